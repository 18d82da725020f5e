"""The life of personal data in the ledger: erasure on request, purge when retention ends,
and the end of the proof (access, everything stored about one person, is export.access).

Erasing a record blanks its contact (phone, email, and `extra`: name or birthday), deletes its
pending tokens and the messages sent to it, and appends an `erased` event. What remains is the
proof that consent was asked, given or withdrawn, linked to the person only through
`contact_hmac` (a keyed pseudonym, see proof.py). On SQLite every connection runs with
secure_delete, and after an erasure the write-ahead log is checkpointed and truncated, so the
erased values are left in neither the .sqlite file nor its -wal file; on PostgreSQL the tables
are vacuumed (backend.py says what that guarantees).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from generator.campaign import vocab
from generator.errors import OptinError
from . import flows
from .contacts import contact_key
from .ledger import ACTIVE, Ledger, expire_stale

UNCONFIRMED_DAYS = vocab.DEFAULT_UNCONFIRMED_DAYS


def iso(moment: datetime | str) -> str:
    return moment if isinstance(moment, str) else flows.iso(moment)


def parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it has fewer days)."""
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    for day in range(moment.day, 0, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError(moment)


def contact_of(text: str) -> tuple[str, str]:
    key = contact_key(text)
    if key is None:
        raise OptinError(f"contact {text!r} is neither an email address nor a phone number "
                         "with country code (+47…)")
    return key


def records_of(db, ledger: Ledger, value: str) -> list:
    return db.execute("SELECT * FROM records WHERE phone = ? OR email = ? OR instr(contact_hmac, ?) > 0"
                      " ORDER BY created", (value, value, ledger.contact_hmac(value))).fetchall()


def _erase_record(db, record, now: str, reason: str) -> dict:
    """Blank one record's contact (inside a write transaction); counts of what went."""
    if record["phone"] is None and record["email"] is None and record["extra"] == "{}":
        return {"records": 0, "outbox": 0, "tokens": 0}
    recipients = [c for c in (record["phone"], record["email"]) if c]
    outbox = 0
    if recipients:
        marks = ", ".join("?" for _ in recipients)
        outbox = db.execute(f"DELETE FROM outbox WHERE campaign = ? AND ts = ? AND recipient IN ({marks})",
                            (record["campaign"], record["created"], *recipients)).rowcount
    tokens = db.execute("DELETE FROM tokens WHERE record_id = ? AND used IS NULL", (record["record_id"],)).rowcount
    db.execute("INSERT INTO erase_gate (record_id) VALUES (?)", (record["record_id"],))
    db.execute("UPDATE records SET phone = NULL, email = NULL, extra = '{}' WHERE record_id = ?",
               (record["record_id"],))
    db.execute("DELETE FROM erase_gate WHERE record_id = ?", (record["record_id"],))
    purposes = [p["id"] for p in json.loads(record["purposes"])]
    Ledger.add_event(db, now, record, "erased", purposes, record["locale"], f"erase:{reason}")
    return {"records": 1, "outbox": outbox, "tokens": tokens}


def _add(total: dict, part: dict) -> None:
    for k, v in part.items():
        total[k] = total.get(k, 0) + v


def erase(ledger: Ledger, contact: str, reason: str = "request", now: datetime | str | None = None) -> dict:
    """Erase every record of `contact` (phone with country code, or email), in every campaign,
    and every outbox message sent to it. Returns what was erased."""
    _, value = contact_of(contact)
    now = iso(now or datetime.now(timezone.utc))
    counts = {"records": 0, "outbox": 0, "tokens": 0}
    with ledger.transaction() as db:
        expire_stale(db, now, force=True)
        erased = []
        for record in records_of(db, ledger, value):
            part = _erase_record(db, record, now, reason)
            _add(counts, part)
            if part["records"]:
                erased.append(record["record_id"])
        counts["outbox"] += db.execute("DELETE FROM outbox WHERE recipient = ?", (value,)).rowcount
    return {"contact_hmac": ledger.contact_hmac(value), "reason": reason, "at": now,
            "erased_records": erased, **counts, "wal_truncated": _checkpoint(ledger)}


def _checkpoint(ledger: Ledger) -> bool | None:
    """SQLite: False when a reader kept the log from being truncated (erased bytes may stay in
    the -wal file until the next checkpoint: run the command again when the receiver is idle).
    PostgreSQL: None (no write-ahead log of ours to truncate; the tables were vacuumed)."""
    return ledger.erased()


def _retention_end(record, given: dict[str, str], retention: dict) -> tuple[datetime | None, list[str]]:
    """When the last purpose's retention ends (None if a purpose's retention is unknown)."""
    months_of = dict(retention.get(record["campaign"], {}))
    for purpose in json.loads(record["purposes"]):  # the record's own copy, for campaigns gone since
        months_of.setdefault(purpose["id"], purpose.get("retention_months"))
    ends, unknown = [], []
    for purpose, ts in given.items():
        months = months_of.get(purpose)
        if not isinstance(months, int):
            unknown.append(purpose)
        else:
            ends.append(add_months(parse(ts), months))
    return (None if unknown or not ends else max(ends)), unknown


def consent_end(events) -> str | None:
    """When a record's consent ended for good: the time of the event after which none of its
    purposes was requested or given any more (withdrawn, refused, expired or erased); None
    while one still is."""
    state: dict[str, str] = {}
    ended = None
    for event in events:
        for purpose in json.loads(event["purposes"]):
            state[purpose] = event["event"]
        if any(value in ACTIVE for value in state.values()):
            ended = None
        elif ended is None:
            ended = event["ts"]
    return ended


@dataclass
class Periods:
    """How long things are kept, per campaign (the project's campaigns; a record of a campaign
    gone since falls back to the defaults and to the retention stored with it)."""

    retention: dict = field(default_factory=dict)        # campaign -> purpose -> months
    unconfirmed: dict = field(default_factory=dict)      # campaign -> days
    proof: dict = field(default_factory=dict)            # campaign -> years
    unconfirmed_days: int = vocab.DEFAULT_UNCONFIRMED_DAYS
    proof_years: int = vocab.DEFAULT_PROOF_YEARS

    @classmethod
    def of(cls, campaigns, **defaults) -> "Periods":
        return cls({c.id: {p.id: p.retention_months for p in c.purposes} for c in campaigns},
                   {c.id: c.unconfirmed_days for c in campaigns}, {c.id: c.proof_years for c in campaigns},
                   **defaults)


def _judge(record, events, usable: bool, moment: datetime, periods: Periods) -> tuple[str | None, bool, list]:
    """(why the record's contact goes now, or None; whether its proof period ended; purposes
    whose retention is unknown). `events`: the record's, oldest first."""
    reason, unknown = None, []
    if record["phone"] is not None or record["email"] is not None or record["extra"] != "{}":
        given: dict[str, str] = {}
        for event in events:
            if event["event"] == "given":
                given.update({p: event["ts"] for p in json.loads(event["purposes"])})
        days = periods.unconfirmed.get(record["campaign"], periods.unconfirmed_days)
        if not given:
            if not usable and parse(record["created"]) + timedelta(days=days) <= moment:
                reason = "unconfirmed"
        elif not _still_given(events):
            reason = "consent_ended"  # withdrawn or refused since
        else:
            end, unknown = _retention_end(record, given, periods.retention)
            if not unknown and end <= moment:
                reason = "retention_ended"
    ended = consent_end(events)
    years = periods.proof.get(record["campaign"], periods.proof_years)
    return reason, ended is not None and add_months(parse(ended), 12 * years) <= moment, unknown


def _still_given(events) -> bool:
    state: dict[str, str] = {}
    for event in events:
        state.update({p: event["event"] for p in json.loads(event["purposes"])})
    return any(value == "given" for value in state.values())


def _prune(db, record_id: str, now: str) -> list[int]:
    """Remove a record and everything linked to it (inside a write transaction, its contact
    already erased); its events leave tombstones: id, prev_hash, hash (ledger_schema v5)."""
    ids = [row[0] for row in db.execute("SELECT id FROM events WHERE record_id = ? ORDER BY id", (record_id,))]
    for table in ("tokens", "unsubscribe_tokens", "deliveries"):
        db.execute(f"DELETE FROM {table} WHERE record_id = ?", (record_id,))
    if ids:
        db.execute(f"DELETE FROM event_evidence WHERE event_id IN ({', '.join('?' for _ in ids)})", ids)
    db.execute("INSERT INTO prune_gate (record_id) VALUES (?)", (record_id,))
    db.execute("INSERT INTO pruned_events (id, prev_hash, hash, pruned) SELECT id, prev_hash, hash, ?"
               " FROM events WHERE record_id = ?", (now, record_id))
    db.execute("DELETE FROM events WHERE record_id = ?", (record_id,))
    db.execute("DELETE FROM records WHERE record_id = ?", (record_id,))
    db.execute("DELETE FROM prune_gate WHERE record_id = ?", (record_id,))
    return ids


def _forget_replies(db, pruned: set[int]) -> None:
    """Handled replies (provider message ids) that caused a pruned event go with it."""
    for row in db.execute("SELECT provider_id, events FROM inbound").fetchall():
        if pruned.intersection(json.loads(row["events"] or "[]")):
            db.execute("DELETE FROM inbound WHERE provider_id = ?", (row["provider_id"],))


def purge(ledger: Ledger, periods: Periods | dict | None = None, now: datetime | str | None = None,
          dry_run: bool = False, **defaults) -> dict:
    """Erase (reason `retention`) every record whose retention ended: each confirmed purpose is
    kept its campaign's months (else the months stored with the record) from its last `given`
    event, and no longer once no purpose is consented any more (withdrawn, refused or expired:
    the notice says consent ending deletes the contact); a sign-up never confirmed, with no
    usable token left, is kept its campaign's unconfirmed days from its creation. Then remove
    the proof (record, pseudonym, events as tombstones) of records whose consent ended longer
    ago than their campaign's proof years. `dry_run` reports without changing anything.

    The ledger is read in a snapshot first (no writer waits meanwhile); only the records found
    due are judged again inside the write transaction, and acted on."""
    if not isinstance(periods, Periods):
        periods = Periods(retention=periods or {}, **defaults)
    now = iso(now or datetime.now(timezone.utc))
    moment = parse(now)
    report = {"now": now, "dry_run": dry_run, "retention_ended": [], "consent_ended": [], "unconfirmed": [],
              "unknown_retention": [], "proof_expired": [], "records": 0, "outbox": 0, "tokens": 0,
              "pruned_events": 0}
    with ledger.reading() as db:
        records = db.execute("SELECT * FROM records ORDER BY created").fetchall()
        events: dict[str, list] = {}
        for event in db.execute("SELECT record_id, ts, event, purposes FROM events ORDER BY id"):
            events.setdefault(event["record_id"], []).append(event)
        usable = {row[0] for row in db.execute("SELECT record_id FROM tokens WHERE used IS NULL AND expires > ?",
                                               (now,))}
    due = []
    for record in records:
        reason, proof_due, unknown = _judge(record, events.get(record["record_id"], []),
                                            record["record_id"] in usable, moment, periods)
        if unknown:
            report["unknown_retention"].append({"record_id": record["record_id"], "purposes": unknown})
        if reason or proof_due:
            due.append(record["record_id"])
            if dry_run:
                _note(report, record["record_id"], reason, proof_due)
    if dry_run:
        return report
    pruned: set[int] = set()
    with ledger.transaction() as db:
        expire_stale(db, now, force=True)
        for record_id in due:  # judged again: a request may have changed them since the snapshot
            record = Ledger.record(db, record_id)
            if record is None:
                continue
            mine = db.execute("SELECT record_id, ts, event, purposes FROM events WHERE record_id = ? ORDER BY id",
                              (record_id,)).fetchall()
            has_token = db.execute("SELECT 1 FROM tokens WHERE record_id = ? AND used IS NULL AND expires > ?",
                                   (record_id, now)).fetchone() is not None
            reason, proof_due, _ = _judge(record, mine, has_token, moment, periods)
            _note(report, record_id, reason, proof_due)
            if reason or proof_due:
                _add(report, _erase_record(db, record, now, "retention"))
            if proof_due:
                pruned.update(_prune(db, record_id, now))
        if pruned:
            _forget_replies(db, pruned)
    report["pruned_events"] = len(pruned)
    if report["records"] or pruned:
        report["wal_truncated"] = _checkpoint(ledger)
    return report


def _note(report: dict, record_id: str, reason: str | None, proof_due: bool) -> None:
    if reason:
        report[reason].append(record_id)
    if proof_due:
        report["proof_expired"].append(record_id)


def suppress_everywhere(senders, contact: str) -> dict[str, str]:
    """Ask each provider of the contact's channels to stop messaging it: channel -> outcome
    (`unsupported` where the provider has no opt-out API; the ledger's state is what stops
    optin itself from sending)."""
    kind, value = contact_of(contact)
    channels = ("whatsapp", "sms") if kind == "phone" else ("email",)
    out = {}
    for channel in channels:
        if channel in senders:
            out[channel] = senders.suppress(channel, value).status
    return out
