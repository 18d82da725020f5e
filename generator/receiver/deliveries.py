"""The ledger's message tables (schema version 3, ledger_schema.SCHEMA_V3), in SQL that runs on
SQLite and PostgreSQL alike:

    deliveries          one row per send and per outcome of a message (append only): `queued`
                        inside the transaction that made the message, then sent / failed /
                        deferred / outbox after the provider answered, delivered / read /
                        failed from the provider's status webhook, cancelled when a retry
                        finds nothing left to send. A message's state is its latest row.
    inbound             the provider message ids of replies already handled (a replay is a no-op)
    unsubscribe_tokens  every message's withdraw link (and an email's one-click address), as
                        SHA-256 digests only, with the channels it stops

No contact is stored here: a delivery's recipient is its record's phone or email (so an
erased record cannot be messaged again), and errors are stored with the recipient cut out.
"""
from __future__ import annotations

import json
import uuid

QUEUED, CANCELLED = "queued", "cancelled"
# latest statuses that `optin ledger deliveries` lists and `optin ledger retry` sends again
PENDING = ("queued", "failed", "deferred")
CONFIRMATION, OPT_OUT_REPLY, SUPPRESSION = "confirmation", "opt_out_reply", "suppression"
WITHDRAWAL = "withdrawal"  # the notice to the person that their consent was withdrawn


def new_message_id() -> str:
    return str(uuid.uuid4())


def scrub(error: str | None, recipient: str | None, secrets=()) -> str | None:
    """An error text without the recipient and without the message's secrets (links, code):
    SMTP and provider errors may quote them, and errors are stored and logged."""
    if not error:
        return error
    for secret in sorted({s for s in secrets if s and len(s) >= 5}, key=len, reverse=True):
        error = error.replace(secret, "<secret>")
    for form in {recipient, recipient.lstrip("+")} if recipient else ():
        if len(form) >= 5:
            error = error.replace(form, "<recipient>")
    return error[:500]


def add(db, ts: str, message_id: str, record, *, channel: str, kind: str, purposes, locale: str,
        site_url: str, api_url: str, provider: str, status: str, provider_id: str | None = None,
        error: str | None = None, attempts: int = 0) -> int:
    """Append one row (inside a write transaction: the id is the next one, as for events)."""
    row_id = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM deliveries").fetchone()[0]
    db.execute("INSERT INTO deliveries (id, message_id, ts, record_id, campaign, locale, channel, kind, purposes,"
               " site_url, api_url, provider, provider_id, status, error, attempts)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (row_id, message_id, ts, record["record_id"], record["campaign"], locale, channel, kind,
                json.dumps(list(purposes)), site_url, api_url, provider, provider_id, status, error, attempts))
    return row_id


def follow(db, ts: str, latest, status: str, *, provider: str | None = None, provider_id: str | None = None,
           error: str | None = None, attempts: int = 0) -> int:
    """Append a new outcome to the message of `latest` (a deliveries row)."""
    return add(db, ts, latest["message_id"], latest, channel=latest["channel"], kind=latest["kind"],
               purposes=json.loads(latest["purposes"]), locale=latest["locale"], site_url=latest["site_url"],
               api_url=latest["api_url"], provider=provider or latest["provider"], status=status,
               provider_id=provider_id if provider_id is not None else latest["provider_id"],
               error=error, attempts=attempts)


LATEST = ("SELECT d.* FROM deliveries d WHERE d.id = (SELECT MAX(x.id) FROM deliveries x"
          " WHERE x.message_id = d.message_id)")


def latest(db, message_id: str):
    return db.execute(LATEST + " AND d.message_id = ?", (message_id,)).fetchone()


def current(db, statuses=None, campaign: str | None = None) -> list:
    """Every message's latest row (or only those whose latest status is in `statuses`), oldest first."""
    sql, args = LATEST, []
    if statuses:
        sql += f" AND d.status IN ({', '.join('?' for _ in statuses)})"
        args += list(statuses)
    if campaign:
        sql += " AND d.campaign = ?"
        args.append(campaign)
    return db.execute(sql + " ORDER BY d.id", args).fetchall()


def by_provider_id(db, provider_id: str):
    """The latest row of the message the provider knows as `provider_id`."""
    row = db.execute("SELECT message_id FROM deliveries WHERE provider_id = ? ORDER BY id DESC LIMIT 1",
                     (provider_id,)).fetchone()
    return latest(db, row["message_id"]) if row else None


def history(db, message_id: str) -> list:
    return db.execute("SELECT * FROM deliveries WHERE message_id = ? ORDER BY id", (message_id,)).fetchall()


# -- inbound replies -----------------------------------------------------------------------
def seen(db, provider_id: str) -> bool:
    return db.execute("SELECT 1 FROM inbound WHERE provider_id = ?", (provider_id,)).fetchone() is not None


def add_inbound(db, provider_id: str, ts: str, channel: str, keyword: str, events: list[int]) -> bool:
    """Remember a handled reply; False when its id was handled before (a replay)."""
    done = db.execute("INSERT INTO inbound (provider_id, ts, channel, keyword, events) VALUES (?, ?, ?, ?, ?)"
                      " ON CONFLICT (provider_id) DO NOTHING", (provider_id, ts, channel, keyword, json.dumps(events)))
    return done.rowcount == 1


# -- withdraw links and one-click unsubscribe ---------------------------------------------
def add_unsubscribe(db, token_hash: str, record, ts: str, channels=("email",)) -> None:
    db.execute("INSERT INTO unsubscribe_tokens (token_hash, record_id, campaign, created, channels)"
               " VALUES (?, ?, ?, ?, ?)",
               (token_hash, record["record_id"], record["campaign"], ts, json.dumps(sorted(channels))))


def unsubscribe_record(db, token_hash: str):
    """The record a withdraw link was made for, or None."""
    found = unsubscribe_of(db, token_hash)
    return found[0] if found else None


def unsubscribe_of(db, token_hash: str):
    """(record, channels the link stops) of a withdraw link, or None; a link made before the
    links named their channels was an email's."""
    row = db.execute("SELECT u.channels FROM unsubscribe_tokens u WHERE u.token_hash = ?", (token_hash,)).fetchone()
    if row is None:
        return None
    record = db.execute("SELECT r.* FROM unsubscribe_tokens u JOIN records r ON r.record_id = u.record_id"
                        " WHERE u.token_hash = ?", (token_hash,)).fetchone()
    return record, json.loads(row["channels"]) if row["channels"] else ["email"]


# -- suppression list ----------------------------------------------------------------------
def records_for_phone(db, phone: str) -> list:
    return db.execute("SELECT * FROM records WHERE phone = ? ORDER BY created", (phone,)).fetchall()


def suppression(db, channel: str, campaign: str | None = None) -> list[str]:
    """Contacts with a withdrawn purpose of `channel` and none of it given (again) since, from the consent state in the ledger (erased contacts are gone and cannot be listed)."""
    field = "email" if channel == "email" else "phone"
    sql = f"SELECT record_id, campaign, {field} AS contact, purposes FROM records WHERE {field} IS NOT NULL"
    args: list = []
    if campaign:
        sql += " AND campaign = ?"
        args.append(campaign)
    withdrawn: dict[str, bool] = {}
    active: set[str] = set()
    for record in db.execute(sql + " ORDER BY created", args).fetchall():
        ids = {p["id"] for p in json.loads(record["purposes"]) if p["channel"] == channel}
        if not ids:
            continue
        state: dict[str, str] = {}
        for row in db.execute("SELECT event, purposes FROM events WHERE record_id = ? ORDER BY id",
                              (record["record_id"],)):
            for purpose in json.loads(row["purposes"]):
                state[purpose] = row["event"]
        for purpose in ids:
            if state.get(purpose) == "given":
                active.add(record["contact"])
            elif state.get(purpose) == "withdrawn":
                withdrawn[record["contact"]] = True
    return sorted(c for c in withdrawn if c not in active)
