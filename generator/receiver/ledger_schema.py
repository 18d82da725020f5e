"""The ledger's SQL and its versions, counted in `PRAGMA user_version`.

Version 1 is the first schema (a ledger with the tables but no user_version is version 1).
Version 2 adds the hash chain (`events.prev_hash`, `events.hash`, the `chain` head), the
pseudonymous `records.contact_hmac`, the `erased` event and the one update the erase path may
make (see ERASE_ALLOWED). Version 3 adds the message tables: `deliveries` (every send and
its outcome), `inbound` (provider message ids already handled) and `unsubscribe_tokens` (the
email one-click links, as digests); SCHEMA_V3 is written for SQLite and PostgreSQL alike.
Version 4 (SCHEMA_V4, portable too) binds codes to their pending record and keeps withdrawal
evidence. Version 5 lets the proof end (tombstones in `pruned_events`, see SCHEMA_V5). Version 6
lets an event record `rectified` (ledger_schema_v6.py). A ledger
is brought forward in one transaction: all of it or nothing.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Callable

from generator.errors import OptinError

from . import proof

VERSION = 6
EVENTS = ("requested", "given", "refused", "withdrawn", "expired", "erased", "rectified")
APPEND_ONLY = "SELECT RAISE(ABORT, 'the consent ledger is append-only');"

# Version 1, exactly as it shipped: never edit it, add a migration instead.
SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS records (
  record_id TEXT PRIMARY KEY, created TEXT NOT NULL, campaign TEXT NOT NULL,
  controller TEXT NOT NULL, jurisdiction TEXT NOT NULL, locale TEXT NOT NULL,
  phone TEXT, email TEXT, pii_categories TEXT NOT NULL, purposes TEXT NOT NULL,
  notice_version TEXT NOT NULL, wording_version TEXT NOT NULL, notice_url TEXT NOT NULL,
  page_url TEXT NOT NULL, client_timestamp TEXT NOT NULL, method TEXT NOT NULL, extra TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_phone ON records(campaign, phone);
CREATE INDEX IF NOT EXISTS records_email ON records(campaign, email);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL,
  record_id TEXT NOT NULL REFERENCES records(record_id), campaign TEXT NOT NULL,
  event TEXT NOT NULL CHECK (event IN ('requested','given','refused','withdrawn','expired')),
  purposes TEXT NOT NULL, notice_version TEXT NOT NULL, locale TEXT NOT NULL, method TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_record ON events(record_id);
CREATE TRIGGER IF NOT EXISTS records_append_only_u BEFORE UPDATE ON records
  BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS records_append_only_d BEFORE DELETE ON records
  BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_u BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_d BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;
CREATE TABLE IF NOT EXISTS tokens (
  token_hash TEXT PRIMARY KEY, code_hash TEXT NOT NULL, campaign TEXT NOT NULL,
  record_id TEXT NOT NULL REFERENCES records(record_id), purposes TEXT NOT NULL,
  expires TEXT NOT NULL, used TEXT, expired_logged INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tokens_code ON tokens(campaign, code_hash);
CREATE INDEX IF NOT EXISTS tokens_pending ON tokens(expires) WHERE used IS NULL AND expired_logged = 0;
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, campaign TEXT NOT NULL,
  locale TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL, body TEXT NOT NULL,
  link TEXT NOT NULL, code TEXT NOT NULL
);
"""

RECORD_COLUMNS = ("record_id", "created", "campaign", "controller", "jurisdiction", "locale",
                  "pii_categories", "purposes", "notice_version", "wording_version", "notice_url",
                  "page_url", "client_timestamp", "method")
# A record changes once at most: erase() blanks the contact (phone, email, and `extra`, which
# holds name or birthday), keeping contact_hmac, while the record's id sits in erase_gate
# (a row erase() adds and removes inside its own transaction). Every other update is refused.
ERASE_ALLOWED = (
    "OLD.record_id IN (SELECT record_id FROM erase_gate)"
    " AND NEW.phone IS NULL AND NEW.email IS NULL AND NEW.extra = '{}'"
    " AND OLD.contact_hmac IS NOT NULL AND NEW.contact_hmac IS OLD.contact_hmac"
    + "".join(f" AND NEW.{c} IS OLD.{c}" for c in RECORD_COLUMNS))

V2_EVENTS = f"""
CREATE TABLE events_v2 (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL,
  record_id TEXT NOT NULL REFERENCES records(record_id), campaign TEXT NOT NULL,
  event TEXT NOT NULL CHECK (event IN ({", ".join(f"'{e}'" for e in EVENTS)})),
  purposes TEXT NOT NULL, notice_version TEXT NOT NULL, locale TEXT NOT NULL, method TEXT NOT NULL,
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
"""
V2_AFTER = f"""
CREATE INDEX events_record ON events(record_id);
CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events BEGIN {APPEND_ONLY} END;
CREATE TRIGGER events_append_only_d BEFORE DELETE ON events BEGIN {APPEND_ONLY} END;
CREATE TRIGGER records_append_only_u BEFORE UPDATE ON records WHEN NOT ({ERASE_ALLOWED})
  BEGIN {APPEND_ONLY} END;
CREATE TABLE chain (
  one INTEGER PRIMARY KEY CHECK (one = 1), head_id INTEGER NOT NULL, head_hash TEXT NOT NULL
);
"""


def statements(script: str):
    """The statements of a script, one by one (executescript() would commit the transaction)."""
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf.strip()
            buf = ""


def run(db: sqlite3.Connection, script: str) -> None:
    for sql in statements(script):
        db.execute(sql)


def version(db: sqlite3.Connection) -> int:
    found = db.execute("PRAGMA user_version").fetchone()[0]
    if found == 0 and db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'").fetchone():
        return 1  # made before versions were counted
    return found


def to_v2(db: sqlite3.Connection, contact_hmac: Callable[..., str]) -> None:
    db.execute("ALTER TABLE records ADD COLUMN contact_hmac TEXT")
    db.execute("CREATE TABLE erase_gate (record_id TEXT PRIMARY KEY)")
    db.execute("DROP TRIGGER IF EXISTS records_append_only_u")
    for row in db.execute("SELECT record_id, phone, email FROM records").fetchall():
        db.execute("UPDATE records SET contact_hmac = ? WHERE record_id = ?",
                   (contact_hmac(row[1], row[2]), row[0]))
    run(db, V2_EVENTS)
    prev = proof.GENESIS
    for row in db.execute("SELECT * FROM events ORDER BY id").fetchall():
        fields = {k: row[k] for k in proof.EVENT_FIELDS}
        fields["purposes"] = json.loads(fields["purposes"])
        digest = proof.event_hash(fields, prev)
        db.execute("INSERT INTO events_v2 (id, ts, record_id, campaign, event, purposes, notice_version, locale,"
                   " method, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (*[row[k] for k in proof.EVENT_FIELDS], prev, digest))
        prev = digest
    for name in ("events_append_only_u", "events_append_only_d"):
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    db.execute("DROP TABLE events")
    db.execute("ALTER TABLE events_v2 RENAME TO events")
    run(db, V2_AFTER)
    head = db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    db.execute("INSERT INTO chain (one, head_id, head_hash) VALUES (1, ?, ?)",
               (head[0], head[1]) if head else (0, proof.GENESIS))


# Portable SQL (SQLite and PostgreSQL): ids are MAX(id) + 1 inside the write transaction, as
# for events; no contact is stored (a delivery's recipient is its record's phone or email).
SCHEMA_V3 = """
CREATE TABLE deliveries (
  id BIGINT PRIMARY KEY, message_id TEXT NOT NULL, ts TEXT NOT NULL,
  record_id TEXT NOT NULL REFERENCES records(record_id), campaign TEXT NOT NULL,
  locale TEXT NOT NULL, channel TEXT NOT NULL, kind TEXT NOT NULL, purposes TEXT NOT NULL,
  site_url TEXT NOT NULL, api_url TEXT NOT NULL, provider TEXT NOT NULL, provider_id TEXT,
  status TEXT NOT NULL, error TEXT, attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deliveries_message ON deliveries(message_id, id);
CREATE INDEX deliveries_provider ON deliveries(provider_id);
CREATE INDEX deliveries_record ON deliveries(record_id);
CREATE TABLE inbound (
  provider_id TEXT PRIMARY KEY, ts TEXT NOT NULL, channel TEXT NOT NULL,
  keyword TEXT NOT NULL, events TEXT NOT NULL
);
CREATE TABLE unsubscribe_tokens (
  token_hash TEXT PRIMARY KEY, record_id TEXT NOT NULL REFERENCES records(record_id),
  campaign TEXT NOT NULL, created TEXT NOT NULL
);
CREATE INDEX unsubscribe_record ON unsubscribe_tokens(record_id);
"""


def to_v3(db, contact_hmac: Callable[..., str] | None = None) -> None:
    """The message tables; the same step for a PostgreSQL ledger (ledger_schema_pg)."""
    run(db, SCHEMA_V3)


# Version 4 (portable too): a short code is found by its handle (the first characters, as a
# keyed digest) and checked only against that pending record, which counts its failures and
# has its own, shorter expiry; every message's withdraw link (unsubscribe_tokens) names the
# channels it stops; withdrawals keep their evidence (truncated client address, user agent;
# no foreign key, so pruning an event is not blocked: the evidence goes with it).
SCHEMA_V4 = """
ALTER TABLE tokens ADD COLUMN code_handle TEXT;
ALTER TABLE tokens ADD COLUMN code_expires TEXT;
ALTER TABLE tokens ADD COLUMN code_failures INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tokens_handle ON tokens(campaign, code_handle);
ALTER TABLE unsubscribe_tokens ADD COLUMN channels TEXT;
CREATE TABLE event_evidence (
  event_id BIGINT PRIMARY KEY, address TEXT, user_agent TEXT
);
"""


def to_v4(db, contact_hmac: Callable[..., str] | None = None) -> None:
    """Code handles and attempts, withdraw-link channels, withdrawal evidence; the same step
    for a PostgreSQL ledger (ledger_schema_pg)."""
    run(db, SCHEMA_V4)


# Version 5: the proof's own end. Once a record's consent ended longer ago than its campaign's
# proof period, purge removes the record and its events; each event leaves a tombstone in
# `pruned_events` (its id, prev_hash and hash, nothing else) so the chain still links and
# verifies (proof.py). Events and records may be deleted only that way: an event once its
# tombstone carries its hashes, a record once blanked, gated (prune_gate) and without events.
# `maintenance` holds the receiver's purge lease (scheduler.py).
PRUNE_EVENT = ("OLD.record_id IN (SELECT record_id FROM prune_gate) AND EXISTS (SELECT 1 FROM pruned_events p"
               " WHERE p.id = OLD.id AND p.hash = OLD.hash AND p.prev_hash = OLD.prev_hash)")
PRUNE_RECORD = ("OLD.record_id IN (SELECT record_id FROM prune_gate) AND OLD.phone IS NULL AND OLD.email IS NULL"
                " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.record_id = OLD.record_id)")
SCHEMA_V5_TABLES = """
CREATE TABLE pruned_events (
  id BIGINT PRIMARY KEY, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, pruned TEXT NOT NULL
);
CREATE TABLE prune_gate (record_id TEXT PRIMARY KEY);
CREATE TABLE maintenance (
  task TEXT PRIMARY KEY, holder TEXT, started TEXT, lease_until TEXT, finished TEXT, outcome TEXT
);
"""
SCHEMA_V5 = SCHEMA_V5_TABLES + f"""
DROP TRIGGER IF EXISTS events_append_only_d;
CREATE TRIGGER events_append_only_d BEFORE DELETE ON events WHEN NOT ({PRUNE_EVENT}) BEGIN {APPEND_ONLY} END;
DROP TRIGGER IF EXISTS records_append_only_d;
CREATE TRIGGER records_append_only_d BEFORE DELETE ON records WHEN NOT ({PRUNE_RECORD}) BEGIN {APPEND_ONLY} END;
CREATE TRIGGER pruned_events_append_only_u BEFORE UPDATE ON pruned_events BEGIN {APPEND_ONLY} END;
CREATE TRIGGER pruned_events_append_only_d BEFORE DELETE ON pruned_events BEGIN {APPEND_ONLY} END;
"""


def to_v5(db, contact_hmac: Callable[..., str] | None = None) -> None:
    run(db, SCHEMA_V5)


def to_v6(db, contact_hmac: Callable[..., str] | None = None) -> None:
    """Events may record `rectified` (ledger_schema_v6.py)."""
    from .ledger_schema_v6 import sqlite

    sqlite(db)


MIGRATIONS = {2: to_v2, 3: to_v3, 4: to_v4, 5: to_v5, 6: to_v6}  # version reached -> the step from the one before


def migrate(db: sqlite3.Connection, contact_hmac: Callable[..., str]) -> tuple[int, int]:
    """Create or bring the ledger forward to VERSION in one write transaction; returns
    (version found, version now). `contact_hmac(phone, email)` fills the pseudonyms."""
    db.execute("BEGIN IMMEDIATE")  # re-read inside: a second process may have migrated meanwhile
    try:
        found = version(db)
        if found > VERSION:
            raise OptinError(f"ledger schema version {found} is newer than this optin knows ({VERSION}); upgrade optin")
        current = found
        if current == 0:
            run(db, SCHEMA_V1)
            current = 1
        while current < VERSION:
            current += 1
            MIGRATIONS[current](db, contact_hmac)
        db.execute(f"PRAGMA user_version = {VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return found, current
