"""The life of personal data in the ledger: erasure on request, purge when retention ends,
and access (everything stored about one person).

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
from datetime import datetime, timedelta, timezone

from generator.errors import OptinError
from . import flows
from .contacts import contact_key
from .ledger import Ledger, expire_stale

UNCONFIRMED_DAYS = 30


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


def _contact(text: str) -> tuple[str, str]:
    key = contact_key(text)
    if key is None:
        raise OptinError(f"contact {text!r} is neither an email address nor a phone number "
                         "with country code (+47…)")
    return key


def _records_of(db, ledger: Ledger, value: str) -> list:
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
    _, value = _contact(contact)
    now = iso(now or datetime.now(timezone.utc))
    counts = {"records": 0, "outbox": 0, "tokens": 0}
    with ledger.transaction() as db:
        expire_stale(db, now)
        erased = []
        for record in _records_of(db, ledger, value):
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


def purge(ledger: Ledger, retention: dict[str, dict[str, int]], now: datetime | str | None = None,
          dry_run: bool = False, unconfirmed_days: int = UNCONFIRMED_DAYS,
          unconfirmed_by_campaign: dict[str, int] | None = None) -> dict:
    """Erase (reason `retention`) every record whose retention ended: each confirmed purpose is
    kept `retention[campaign][purpose]` months (else the months stored with the record) from
    its last `given` event, and no longer once no purpose is consented any more (withdrawn,
    refused or expired: the notice says consent ending deletes the contact); a sign-up never
    confirmed, with no usable token left, is kept its campaign's days in `unconfirmed_by_campaign`
    (else `unconfirmed_days`) from its creation. `dry_run` reports without erasing."""
    def days_for(campaign: str) -> int:
        return (unconfirmed_by_campaign or {}).get(campaign, unconfirmed_days)

    now = iso(now or datetime.now(timezone.utc))
    moment = parse(now)
    report = {"now": now, "dry_run": dry_run, "retention_ended": [], "consent_ended": [], "unconfirmed": [],
              "unknown_retention": [],
              "records": 0, "outbox": 0, "tokens": 0}
    with ledger.transaction() as db:
        if not dry_run:
            expire_stale(db, now)
        rows = db.execute("SELECT * FROM records WHERE phone IS NOT NULL OR email IS NOT NULL OR extra != '{}'"
                          " ORDER BY created").fetchall()
        due = []
        for record in rows:
            given = {}
            for event in db.execute("SELECT ts, purposes FROM events WHERE record_id = ? AND event = 'given'"
                                    " ORDER BY id", (record["record_id"],)):
                given.update({p: event["ts"] for p in json.loads(event["purposes"])})
            if not given:
                usable = db.execute("SELECT 1 FROM tokens WHERE record_id = ? AND used IS NULL AND expires > ?",
                                    (record["record_id"], now)).fetchone()
                if not usable and parse(record["created"]) + timedelta(days=days_for(record["campaign"])) <= moment:
                    report["unconfirmed"].append(record["record_id"])
                    due.append(record)
                continue
            if not any(state == "given" for state in Ledger.state(db, record["record_id"]).values()):
                report["consent_ended"].append(record["record_id"])  # withdrawn or refused since
                due.append(record)
                continue
            end, unknown = _retention_end(record, given, retention)
            if unknown:
                report["unknown_retention"].append({"record_id": record["record_id"], "purposes": unknown})
            elif end <= moment:
                report["retention_ended"].append(record["record_id"])
                due.append(record)
        if not dry_run:
            for record in due:
                _add(report, _erase_record(db, record, now, "retention"))
    if due and not dry_run:
        report["wal_truncated"] = _checkpoint(ledger)
    return report


def _parsed(row) -> dict:
    out = dict(row)
    for key in ("controller", "pii_categories", "purposes", "extra"):
        if isinstance(out.get(key), str):
            try:
                out[key] = json.loads(out[key])
            except ValueError:
                pass
    return out


def access(ledger: Ledger, contact: str) -> dict:
    """Everything the ledger holds about one person (Art. 15 GDPR): their records (found by the
    contact, or by its pseudonym after erasure), every event of those records, the messages sent
    to them and their confirmation tokens (digests left out: they identify nothing)."""
    kind, value = _contact(contact)
    with ledger.reading() as db:
        records = _records_of(db, ledger, value)
        ids = [r["record_id"] for r in records]
        marks = ", ".join("?" for _ in ids) or "NULL"
        events = db.execute(f"SELECT * FROM events WHERE record_id IN ({marks}) ORDER BY id", ids).fetchall()
        tokens = db.execute(f"SELECT record_id, campaign, purposes, expires, used FROM tokens"
                            f" WHERE record_id IN ({marks}) ORDER BY expires", ids).fetchall()
        recipients = {value} | {c for r in records for c in (r["phone"], r["email"]) if c}
        rmarks = ", ".join("?" for _ in recipients)
        outbox = db.execute(f"SELECT * FROM outbox WHERE recipient IN ({rmarks}) ORDER BY id",
                            sorted(recipients)).fetchall()
    return {"contact": value, "kind": kind, "contact_hmac": ledger.contact_hmac(value),
            "records": [_parsed(r) for r in records], "events": [_parsed(e) for e in events],
            "outbox": [dict(o) for o in outbox], "tokens": [_parsed(t) for t in tokens]}


def suppress_everywhere(senders, contact: str) -> dict[str, str]:
    """Ask each provider of the contact's channels to stop messaging it: channel -> outcome
    (`unsupported` where the provider has no opt-out API; the ledger's state is what stops
    optin itself from sending)."""
    kind, value = _contact(contact)
    channels = ("whatsapp", "sms") if kind == "phone" else ("email",)
    out = {}
    for channel in channels:
        if channel in senders:
            out[channel] = senders.suppress(channel, value).status
    return out
