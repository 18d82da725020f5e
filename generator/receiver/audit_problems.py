"""What an auditor would flag in a ledger, each problem with the records concerned (their
pseudonymous record_id, never a contact). The judgements are the ledger's own: what is due for
purge is retention.purge's dry run, the chain is proof.verify, the published versions are
site/published.py's manifest (or archive)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from .deliveries import CONFIRMATION
from .proof import verify
from .retention import Periods, consent_end, purge

# A purge that runs at least daily has erased anything due longer ago than this.
PURGE_GRACE = timedelta(days=1)
# A message still queued or deferred after this never reached its provider: run `optin ledger retry`.
PENDING_LIMIT = timedelta(hours=1)
SENT = ("sent", "outbox", "delivered", "read")

TEXTS = {
    "chain_broken": ("The hash chain of the events is broken",
                     "An event was changed, deleted or inserted outside optin, so the ledger no longer proves "
                     "its own history from this event on.",
                     "Keep this copy as evidence, compare it with the latest backup that passes `optin ledger "
                     "verify`, and find out who had write access to the database."),
    "retention_overdue": ("Contact data kept past its retention",
                          "These records still hold a phone number, address or name although the period the "
                          "notice states ended more than a day ago (retention, consent ended, or never confirmed).",
                          "Run `optin ledger purge`, and check the receiver's purge_interval or the cron job."),
    "proof_overdue": ("Proof kept past its period",
                      "The consent of these records ended longer ago than the campaign's proof_years.",
                      "Run `optin ledger purge` (the events leave only their hashes)."),
    "retention_unknown": ("Retention unknown",
                          "These records name purposes whose retention is neither in the project nor stored with "
                          "the record, so purge never erases them.",
                          "Add the campaign back to the project with its retention_months, or erase the records."),
    "unpublished_version": ("Consent given under a version that was never published",
                            "The notice or consent wording these records name is not in the campaign's record "
                            "of published versions, so nothing shows what the person was told.",
                            "Restore the campaign's notices archive (campaigns/<id>.notices/) from git, or "
                            "publish with `optin build --strict` before taking sign-ups."),
    "notice_page_missing": ("Notice page missing from the site",
                            "The built site has no privacy page for the notice version these records name: "
                            "their notice link is dead.",
                            "Rebuild with the notices archive in place (`optin build --strict`)."),
    "failed_after_consent": ("Delivery failed after consent",
                             "A message to these contacts failed after they confirmed: the number or address "
                             "may no longer be theirs.",
                             "Check with the person; rectify (`optin ledger rectify`) or erase the contact."),
    "stuck_delivery": ("Messages still pending",
                       "These messages are still queued or deferred, more than an hour after they were made.",
                       "Run `optin ledger retry`, and check the provider settings and the receiver's log."),
    "sent_after_withdrawal": ("Message sent after withdrawal",
                              "A confirmation message went out for purposes the person had already withdrawn.",
                              "Find out why (a retry of an old message?); the person must not be contacted."),
}


def problem(code: str, items: list[dict]) -> dict:
    title, explanation, fix = TEXTS[code]
    return {"code": code, "title": title, "explanation": explanation, "fix": fix, "count": len(items),
            "items": items}


def _chain(ledger) -> list[dict]:
    verdict = verify(ledger)
    if verdict.ok:
        return []
    with ledger.reading() as db:
        row = db.execute("SELECT record_id, campaign FROM events WHERE id = ?", (verdict.broken,)).fetchone()
    return [{"event_id": verdict.broken, "record_id": row["record_id"] if row else None,
             "campaign": row["campaign"] if row else None, "detail": verdict.reason}]


def _purge_due(ledger, snap, campaigns, moment: datetime) -> dict[str, list[dict]]:
    """retention.purge's own dry run, as of PURGE_GRACE ago: what was already due then. Purge
    erases a contact whose consent ended at once, whenever that was: that one is overdue once
    its consent ended (retention.consent_end) longer ago than the grace."""
    from .flows import iso

    then = moment - PURGE_GRACE
    due = purge(ledger, Periods.of(campaigns), then, dry_run=True)
    due["consent_ended"] = [r for r in due["consent_ended"]
                            if (consent_end(snap.events.get(r, [])) or iso(moment)) <= iso(then)]
    out: dict[str, list[dict]] = {"retention_overdue": [], "proof_overdue": [], "retention_unknown": []}
    for reason in ("retention_ended", "consent_ended", "unconfirmed"):
        out["retention_overdue"] += [{"record_id": r, "campaign": snap.records[r]["campaign"], "detail": reason}
                                     for r in due[reason] if r in snap.records]
    out["proof_overdue"] = [{"record_id": r, "campaign": snap.records[r]["campaign"]}
                            for r in due["proof_expired"] if r in snap.records]
    out["retention_unknown"] = [{"record_id": u["record_id"], "campaign": snap.records[u["record_id"]]["campaign"],
                                 "detail": ", ".join(u["purposes"])}
                                for u in due["unknown_retention"] if u["record_id"] in snap.records]
    return out


def _versions(snap, published: dict, site: Path | None) -> tuple[list[dict], list[dict]]:
    from generator.site.published import KINDS, NOTICE, versions

    known = {cid: versions(data) for cid, data in published.items()}
    unpublished, missing = [], []
    for record_id, record in snap.records.items():
        mine = known.get(record["campaign"], {}).get(record["locale"], {})
        for kind in KINDS:
            if record[kind] not in mine.get(kind, set()):
                unpublished.append({"record_id": record_id, "campaign": record["campaign"],
                                    "locale": record["locale"], "detail": f"{kind} {record[kind][:12]}"})
        if site is not None:
            page = site / record["campaign"] / record["locale"] / f"privacy-{record[NOTICE][:8]}.html"
            if not page.is_file():
                missing.append({"record_id": record_id, "campaign": record["campaign"], "locale": record["locale"],
                                "detail": page.relative_to(site).as_posix()})
    return unpublished, missing


def _given_since(events) -> str | None:
    """When the record's consent was first given, if some purpose is still given now."""
    state: dict[str, str] = {}
    first = None
    for event in events:
        state.update({p: event["event"] for p in json.loads(event["purposes"])})
        if event["event"] == "given" and first is None:
            first = event["ts"]
    return first if "given" in state.values() else None


def _deliveries(snap, items: list[dict], moment: datetime) -> dict[str, list[dict]]:
    from .flows import iso

    limit = iso(moment - PENDING_LIMIT)
    out: dict[str, list[dict]] = {"failed_after_consent": [], "stuck_delivery": [], "sent_after_withdrawal": []}
    ended: dict[str, list[dict]] = {}
    for item in items:
        ended.setdefault(item["record_id"], []).append(item)
    for record_id, rows in snap.deliveries.items():
        since = _given_since(snap.events.get(record_id, []))
        latest: dict[str, dict] = {}
        for row in rows:
            latest[row["message_id"]] = row
            if row["kind"] == CONFIRMATION and row["status"] in SENT:
                purposes = set(json.loads(row["purposes"]))
                for w in ended.get(record_id, []):
                    if w["ts"] < row["ts"] and purposes & set(w["purposes"]):
                        out["sent_after_withdrawal"].append(_item(row, f"withdrawn {w['ts']} by {w['route']}"))
                        break
        for row in latest.values():
            if row["status"] == "failed" and since and row["ts"] > since:
                out["failed_after_consent"].append(_item(row, f"consent given {since}"))
            elif row["status"] in ("queued", "deferred") and row["ts"] < limit:
                out["stuck_delivery"].append(_item(row, f"{row['status']} since {row['ts']}"))
    return out


def _item(row, detail: str) -> dict:
    return {"record_id": row["record_id"], "campaign": row["campaign"], "message_id": row["message_id"],
            "channel": row["channel"], "kind": row["kind"], "status": row["status"], "ts": row["ts"],
            "detail": detail}


def find(ledger, snap, campaigns: list, items: list[dict], published: dict, site: Path | None,
         moment: datetime) -> list[dict]:
    """Every problem found (those with at least one item), in TEXTS' order."""
    found: dict[str, list[dict]] = {"chain_broken": _chain(ledger)}
    found.update(_purge_due(ledger, snap, campaigns, moment))
    found["unpublished_version"], found["notice_page_missing"] = _versions(snap, published, site)
    found.update(_deliveries(snap, items, moment))
    return [problem(code, found[code]) for code in TEXTS if found.get(code)]
