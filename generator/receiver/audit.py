"""`optin audit`: a report over the consent ledger (and the built site) that can be filed as
evidence: the sign-up funnel, withdrawals by route and how fast each was honoured, the
problems an auditor would flag (audit_problems.py), the settings in force, and when it was
made. Read only: the ledger is read in one snapshot and nothing is written (tokens that ran
out unused count as expired whether or not the receiver has logged it yet).

Records are named by their pseudonymous record_id; no phone number, address or name appears
in the report. Rendering (JSON, HTML with inline SVG charts) is audit_render.py.
"""
from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from generator import __version__

from . import audit_problems, audit_settings
from .deliveries import SUPPRESSION
from .ledger import ACTIVE, Ledger
from .retention import parse

FORMAT = 1
WEEKS_SHOWN = 52  # the charts show the most recent year; the tables cover everything
ROUTES = {"withdraw-page": "withdraw page", "withdraw-link": "withdraw link in a message",
          "one-click-unsubscribe": "one-click email unsubscribe"}


@dataclass
class Snapshot:
    """What the audit reads, in one consistent snapshot of the ledger (scope applied)."""

    records: dict = field(default_factory=dict)      # record_id -> row (dict)
    events: dict = field(default_factory=dict)       # record_id -> [event rows], oldest first
    deliveries: dict = field(default_factory=dict)   # record_id -> [delivery rows], oldest first
    usable: set = field(default_factory=set)         # record_ids with a confirmation still open
    campaigns: list = field(default_factory=list)    # campaign ids in the ledger, in scope
    pruned: int = 0
    schema_version: int | None = None


def read(ledger: Ledger, scope: list[str] | None, now: str) -> Snapshot:
    snap = Snapshot()
    where, args = (f"WHERE campaign IN ({', '.join('?' for _ in scope)})", list(scope)) if scope else ("", [])
    with ledger.reading() as db:
        for row in db.execute(f"SELECT * FROM records {where} ORDER BY created", args):
            snap.records[row["record_id"]] = dict(row)
        for row in db.execute(f"SELECT * FROM events {where} ORDER BY id", args):
            snap.events.setdefault(row["record_id"], []).append(dict(row))
        for row in db.execute(f"SELECT * FROM deliveries {where} ORDER BY id", args):
            snap.deliveries.setdefault(row["record_id"], []).append(dict(row))
        snap.usable = {row[0] for row in db.execute(
            "SELECT record_id FROM tokens WHERE used IS NULL AND expires > ?", (now,))}
        snap.pruned = db.execute("SELECT COUNT(*) FROM pruned_events").fetchone()[0]
    snap.campaigns = sorted({r["campaign"] for r in snap.records.values()} | set(scope or []))
    return snap


def purposes_of(event) -> list[str]:
    return json.loads(event["purposes"])


def week_of(ts: str) -> str:
    """The Monday (UTC date) of the week `ts` falls in."""
    day = parse(ts).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def route_of(event, before: dict[str, str]) -> str | None:
    """The withdrawal route of an event, or None when it ended no consent: `before` is the
    record's state (purpose -> latest event) just before it."""
    method, kind = event["method"], event["event"]
    if kind == "withdrawn":
        if method.startswith("reply-keyword:"):
            return "reply keyword " + method.split(":", 1)[1]
        return ROUTES.get(method, method)
    held = any(before.get(p) in ACTIVE for p in purposes_of(event))
    if kind == "rectified" and held:
        return "rectification"
    if kind == "erased" and held and not method.startswith("erase:retention"):
        return "erasure"
    return None


def _seconds(start: str, end: str) -> float:
    return round((parse(end) - parse(start)).total_seconds(), 3)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def funnel(snap: Snapshot, campaign: str) -> dict:
    """Sign-ups of one campaign: requested -> given per purpose and per locale, the confirmation
    rate, the median time to confirm, the expired and refused."""
    purposes: dict[str, dict[str, int]] = {}
    locales: dict[str, dict[str, int]] = {}
    waits, confirmed, pending, expired = [], 0, 0, 0
    for record_id, record in snap.records.items():
        if record["campaign"] != campaign:
            continue
        events = snap.events.get(record_id, [])
        first_given = next((e["ts"] for e in events if e["event"] == "given"), None)
        state: dict[str, str] = {}
        for event in events:
            for purpose in purposes_of(event):
                counts = purposes.setdefault(purpose, dict.fromkeys(("requested", "given", "refused", "expired",
                                                                     "withdrawn"), 0))
                if event["event"] in counts and state.get(purpose) != event["event"]:
                    counts[event["event"]] += 1
                state[purpose] = event["event"]
        loc = locales.setdefault(record["locale"], {"signups": 0, "confirmed": 0})
        loc["signups"] += 1
        if first_given:
            confirmed += 1
            loc["confirmed"] += 1
            waits.append(_seconds(record["created"], first_given))
        elif any(e["event"] == "expired" for e in events):
            expired += 1
        elif "requested" in state.values():  # its link ran out unused, and the receiver has not looked yet
            pending, expired = (pending + 1, expired) if record_id in snap.usable else (pending, expired + 1)
    signups = sum(v["signups"] for v in locales.values())
    failed = sum(1 for rows in snap.deliveries.values() for d in _latest(rows)
                 if d["campaign"] == campaign and d["kind"] == "confirmation" and d["status"] == "failed")
    return {"campaign": campaign, "signups": signups, "confirmed": confirmed,
            "confirmation_rate": round(confirmed / signups, 4) if signups else None,
            "median_seconds_to_confirm": _median(waits), "pending": pending, "expired": expired,
            "refused": sum(p["refused"] for p in purposes.values()), "failed_confirmations": failed,
            "purposes": [{"purpose": k, **v} for k, v in sorted(purposes.items())],
            "locales": [{"locale": k, **v, "confirmation_rate": round(v["confirmed"] / v["signups"], 4)}
                        for k, v in sorted(locales.items())]}


def _latest(rows: list[dict]) -> list[dict]:
    """Each message's latest row."""
    last: dict[str, dict] = {}
    for row in rows:
        last[row["message_id"]] = row
    return list(last.values())


def withdrawals(snap: Snapshot) -> list[dict]:
    """Every event that ended consent by a person's act, with its route and when a provider
    was told to suppress the contact (from `deliveries`)."""
    out = []
    for record_id, events in snap.events.items():
        state: dict[str, str] = {}
        for event in events:
            route = route_of(event, state)
            for purpose in purposes_of(event):
                state[purpose] = event["event"]
            if route is None:
                continue
            told = [d for d in snap.deliveries.get(record_id, []) if d["kind"] == SUPPRESSION and d["ts"] >= event["ts"]]
            done = next((d for d in told if d["status"] == "suppressed"), None)
            out.append({"event_id": event["id"], "record_id": record_id, "campaign": event["campaign"],
                        "ts": event["ts"], "route": route, "purposes": purposes_of(event),
                        "suppression": done["status"] if done else (told[0]["status"] if told else None),
                        "seconds_to_suppression": _seconds(event["ts"], done["ts"]) if done else None})
    return sorted(out, key=lambda w: w["event_id"])


def routes(items: list[dict]) -> list[dict]:
    by: dict[str, list[dict]] = {}
    for item in items:
        by.setdefault(item["route"], []).append(item)
    out = []
    for route, group in sorted(by.items()):
        delays = [w["seconds_to_suppression"] for w in group if w["seconds_to_suppression"] is not None]
        out.append({"route": route, "count": len(group), "suppressed": len(delays),
                    "suppression_failed": sum(1 for w in group if w["suppression"] not in (None, "suppressed")),
                    "not_recorded": sum(1 for w in group if w["suppression"] is None),
                    "median_seconds": _median(delays), "max_seconds": max(delays) if delays else None})
    return out


def weekly(snap: Snapshot, items: list[dict]) -> list[dict]:
    """Per week (its Monday): sign-ups, confirmations (a record's first `given`), withdrawals
    per route; every week from the first to the last, the most recent WEEKS_SHOWN."""
    weeks: dict[str, dict] = {}

    def at(ts: str) -> dict:
        return weeks.setdefault(week_of(ts), {"signups": 0, "confirmations": 0, "withdrawals": {}})

    for record_id, record in snap.records.items():
        at(record["created"])["signups"] += 1
        first = next((e["ts"] for e in snap.events.get(record_id, []) if e["event"] == "given"), None)
        if first:
            at(first)["confirmations"] += 1
    for item in items:
        counts = at(item["ts"])["withdrawals"]
        counts[item["route"]] = counts.get(item["route"], 0) + 1
    if not weeks:
        return []
    day, last = datetime.fromisoformat(min(weeks)).date(), datetime.fromisoformat(max(weeks)).date()
    out = []
    while day <= last:
        key = day.isoformat()
        out.append({"week": key, **weeks.get(key, {"signups": 0, "confirmations": 0, "withdrawals": {}})})
        day += timedelta(days=7)
    return out[-WEEKS_SHOWN:]


def build(ledger: Ledger, campaigns: list, *, scope: list[str] | None = None, published: dict | None = None,
          site=None, settings: dict | None = None, env: dict | None = None, now: datetime | None = None) -> dict:
    """The report. `campaigns`: the project's (for periods and settings); `scope`: campaign ids
    (None: every campaign in the ledger); `published`: campaign id -> site.published.read() of
    its archive; `site`: the built site's folder, or None; `settings`: [receiver] of optin.toml."""
    from .flows import iso

    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    stamp = iso(moment)
    snap = read(ledger, scope, stamp)
    if not scope:  # the whole project: its campaigns without a sign-up yet count too
        snap.campaigns = sorted(set(snap.campaigns) | {c.id for c in campaigns})
    items = withdrawals(snap)
    problems = audit_problems.find(ledger, snap, campaigns, items, published or {}, site, moment)
    stamps = [e["ts"] for events in snap.events.values() for e in events]
    funnels = [funnel(snap, c) for c in snap.campaigns]
    signups, confirmed = sum(f["signups"] for f in funnels), sum(f["confirmed"] for f in funnels)
    return {
        "report": "optin consent audit", "format": FORMAT, "generated": moment.replace(microsecond=0).isoformat()
        .replace("+00:00", "Z"), "tool": f"optin {__version__}",
        "scope": {"campaigns": snap.campaigns, "whole_project": not scope},
        "ledger": audit_settings.ledger_info(ledger),
        "site": str(site) if site else None,
        "period": {"first": min(stamps) if stamps else None, "last": max(stamps) if stamps else None},
        "summary": {"problems": len(problems), "records_concerned": len({i["record_id"] for p in problems
                                                                         for i in p["items"] if i.get("record_id")}),
                    "signups": signups, "confirmed": confirmed,
                    "confirmation_rate": round(confirmed / signups, 4) if signups else None,
                    "withdrawals": len(items), "pruned_events": snap.pruned,
                    "chain": "broken" if any(p["code"] == "chain_broken" for p in problems) else "intact"},
        "problems": problems,
        "funnel": funnels,
        "withdrawals": {"routes": routes(items), "events": items},
        "weekly": weekly(snap, items),
        "settings": audit_settings.collect(campaigns, snap.campaigns, settings or {}, env or {}),
    }


def ledger_campaigns(ledger: Ledger) -> list[str]:
    """The campaign ids the ledger holds records of."""
    with ledger.reading() as db:
        return [row[0] for row in db.execute("SELECT DISTINCT campaign FROM records ORDER BY campaign")]
