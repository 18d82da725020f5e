"""The consent ledger: an append-only SQLite file.

`records` holds what was shown and collected once per sign-up (shaped after ISO/IEC TS 27560
and the Kantara Consent Receipt); `events` holds every change of state (requested, given,
refused, withdrawn, expired). Triggers make both tables insert-only, so the current state is
always derived from the history. `tokens` (hashes only) and `outbox` are working tables.
Every request's writes happen in one transaction: nothing is ever half-written.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

EVENTS = ("requested", "given", "refused", "withdrawn", "expired")
ACTIVE = ("requested", "given")

SCHEMA = """
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


@dataclass(frozen=True)
class Token:
    token_hash: str
    code_hash: str
    campaign: str
    record_id: str
    purposes: list[str]
    expires: str
    used: str | None
    expired_logged: bool


class Ledger:
    """One SQLite file. Each transaction opens its own connection, so any number of threads
    (or worker processes) can write; SQLite serialises writers (BEGIN IMMEDIATE + busy wait)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=30000")
        return db

    @contextmanager
    def transaction(self):
        """A write transaction: everything inside commits together or not at all."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    @contextmanager
    def reading(self):
        db = self._connect()
        try:
            yield db
        finally:
            db.close()

    # -- writes (call inside transaction()) ------------------------------------------------
    @staticmethod
    def add_record(db, record: dict) -> None:
        cols = ", ".join(record)
        marks = ", ".join("?" for _ in record)
        values = [json.dumps(v, ensure_ascii=False, sort_keys=True) if isinstance(v, (dict, list)) else v
                  for v in record.values()]
        db.execute(f"INSERT INTO records ({cols}) VALUES ({marks})", values)

    @staticmethod
    def add_event(db, ts: str, record: sqlite3.Row | dict, event: str, purposes: list[str],
                  locale: str, method: str) -> None:
        db.execute(
            "INSERT INTO events (ts, record_id, campaign, event, purposes, notice_version, locale, method)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (ts, record["record_id"], record["campaign"], event, json.dumps(list(purposes)),
             record["notice_version"], locale, method))

    @staticmethod
    def add_token(db, token_hash: str, code_hash: str, record: dict, purposes: list[str], expires: str) -> None:
        db.execute("INSERT INTO tokens (token_hash, code_hash, campaign, record_id, purposes, expires)"
                   " VALUES (?, ?, ?, ?, ?, ?)",
                   (token_hash, code_hash, record["campaign"], record["record_id"], json.dumps(purposes), expires))

    @staticmethod
    def use_token(db, token_hash: str, ts: str) -> None:
        db.execute("UPDATE tokens SET used = ? WHERE token_hash = ? AND used IS NULL", (ts, token_hash))

    @staticmethod
    def add_outbox(db, ts: str, message) -> int:
        cur = db.execute("INSERT INTO outbox (ts, campaign, locale, channel, recipient, body, link, code)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (ts, message.campaign, message.locale, message.channel, message.recipient,
                          message.body, message.link, message.code))
        return cur.lastrowid

    # -- reads -----------------------------------------------------------------------------
    @staticmethod
    def record(db, record_id: str) -> sqlite3.Row | None:
        return db.execute("SELECT * FROM records WHERE record_id = ?", (record_id,)).fetchone()

    @staticmethod
    def token_by_hash(db, token_hash: str) -> Token | None:
        row = db.execute("SELECT * FROM tokens WHERE token_hash = ?", (token_hash,)).fetchone()
        return _token(row)

    @staticmethod
    def tokens_by_code(db, campaign: str, code_hash: str) -> list[Token]:
        rows = db.execute("SELECT * FROM tokens WHERE campaign = ? AND code_hash = ? ORDER BY expires DESC",
                          (campaign, code_hash)).fetchall()
        return [_token(r) for r in rows]

    @staticmethod
    def state(db, record_id: str) -> dict[str, str]:
        """purpose -> its latest event, derived from the history."""
        out: dict[str, str] = {}
        for row in db.execute("SELECT event, purposes FROM events WHERE record_id = ? ORDER BY id", (record_id,)):
            for purpose in json.loads(row["purposes"]):
                out[purpose] = row["event"]
        return out

    @staticmethod
    def records_for_contact(db, campaign: str, phone: str | None, email: str | None) -> list[sqlite3.Row]:
        return db.execute(
            "SELECT * FROM records WHERE campaign = ? AND ((phone IS NOT NULL AND phone = ?)"
            " OR (email IS NOT NULL AND email = ?)) ORDER BY created",
            (campaign, phone or "", email or "")).fetchall()

    @staticmethod
    def stale_tokens(db, now: str) -> list[Token]:
        rows = db.execute("SELECT * FROM tokens WHERE used IS NULL AND expired_logged = 0 AND expires <= ?",
                          (now,)).fetchall()
        return [_token(r) for r in rows]

    @staticmethod
    def mark_expired(db, token_hash: str) -> None:
        db.execute("UPDATE tokens SET expired_logged = 1 WHERE token_hash = ?", (token_hash,))

    def outbox(self, limit: int = 200) -> list[sqlite3.Row]:
        with self.reading() as db:
            return db.execute("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", (limit,)).fetchall()

    def history(self, campaign: str | None = None, phone: str | None = None,
                email: str | None = None) -> list[dict]:
        """Every event joined with its record, oldest first, optionally for one campaign/contact."""
        where, args = [], []
        if campaign:
            where.append("e.campaign = ?")
            args.append(campaign)
        if phone or email:
            where.append("(r.phone = ? OR r.email = ?)")
            args += [phone or "\0", email or "\0"]
        sql = ("SELECT e.id AS event_id, e.ts, e.event, e.purposes AS event_purposes, e.locale AS event_locale,"
               " e.method AS event_method, e.notice_version AS event_notice, r.* FROM events e"
               " JOIN records r ON r.record_id = e.record_id")
        sql += (" WHERE " + " AND ".join(where)) if where else ""
        with self.reading() as db:
            return [dict(row) for row in db.execute(sql + " ORDER BY e.id", args)]

    def counts(self) -> dict[str, int]:
        with self.reading() as db:
            return {row["event"]: row["n"] for row in
                    db.execute("SELECT event, COUNT(*) AS n FROM events GROUP BY event")}


def _token(row) -> Token | None:
    if row is None:
        return None
    return Token(row["token_hash"], row["code_hash"], row["campaign"], row["record_id"],
                 json.loads(row["purposes"]), row["expires"], row["used"], bool(row["expired_logged"]))


def expire_stale(db, now: str) -> int:
    """Log `expired` for purposes whose confirmation token ran out unused; returns how many."""
    count = 0
    for token in Ledger.stale_tokens(db, now):
        record = Ledger.record(db, token.record_id)
        state = Ledger.state(db, token.record_id)
        still = [p for p in token.purposes if state.get(p) == "requested"]
        if still:
            Ledger.add_event(db, token.expires, record, "expired", still, record["locale"], "token-expiry")
            count += 1
        Ledger.mark_expired(db, token.token_hash)
    return count
