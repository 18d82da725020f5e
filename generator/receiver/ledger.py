"""The consent ledger: append-only, in an SQLite file or a PostgreSQL database (backend.py).

`records` holds what was shown and collected once per sign-up (shaped after ISO/IEC TS 27560
and the Kantara Consent Receipt); `events` holds every change of state (requested, given,
refused, withdrawn, expired, erased, rectified). Triggers make both tables insert-only, so the current
state is always derived from the history; the one exception is erasure, which blanks a
record's contact (retention.py). Events form a hash chain (proof.py) and records carry a keyed
pseudonym of the contact, `contact_hmac` (key: OPTIN_LEDGER_KEY, a configured key file, or
`<ledger>.key` generated next to the ledger with mode 0600; never in the database).
`tokens` (hashes only) and `outbox` are working tables, as are the message tables of
deliveries.py (`deliveries`, `inbound`, `unsubscribe_tokens`). The schema is versioned and migrated
forward on open (ledger_schema.py). Every request's writes happen in one transaction: nothing
is ever half-written.
"""
from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from generator.errors import OptinError
from . import proof
from .backend import LedgerConnection, Sqlite, has_password, is_url, open_backend, redacted  # noqa: F401
from .backend import SYNCHRONOUS_ENV
from .ledger_schema import EVENTS  # noqa: F401 - the states an event can record

DATABASE_ENV = "OPTIN_DATABASE_URL"

ACTIVE = ("requested", "given")
INSERT_EVENT = ("INSERT INTO events (id, ts, record_id, campaign, event, purposes, notice_version, locale, method,"
                " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
MOVE_HEAD = ("INSERT INTO chain (one, head_id, head_hash) VALUES (1, ?, ?) ON CONFLICT (one)"
             " DO UPDATE SET head_id = excluded.head_id, head_hash = excluded.head_hash")


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
    """The consent ledger: an SQLite file (`Ledger(path)`), or a PostgreSQL database
    (`Ledger.open("postgresql://…")`); backend.py holds what differs between the two."""

    def __init__(self, path: Path | str, key_file: Path | str | None = None, key: bytes | None = None,
                 synchronous: str | None = None):
        """Open (create, or migrate forward) the SQLite ledger at `path`. The contact key is
        `key`, else OPTIN_LEDGER_KEY, else `key_file`, else `<path>.key`, generated (mode 0600)
        if missing. `synchronous`: NORMAL or FULL (backend.Sqlite)."""
        self._setup(Sqlite(path, synchronous), key_file, key)

    @classmethod
    def open(cls, target: Path | str, key_file: Path | str | None = None, key: bytes | None = None,
             synchronous: str | None = None) -> "Ledger":
        """A `postgresql://` URL or an SQLite file's path. A PostgreSQL ledger takes its key
        from `key`, OPTIN_LEDGER_KEY or `key_file` (every machine must use the same key)."""
        ledger = cls.__new__(cls)
        ledger._setup(open_backend(target, synchronous), key_file, key)
        return ledger

    def _setup(self, backend, key_file, key) -> None:
        self.backend = backend
        self.path = backend.path  # None for PostgreSQL
        if key is None:
            key, self.key_source = proof.load_key(self.path, key_file)
        else:
            self.key_source = "argument"
        self.key = key
        self.migrated = backend.migrate(key, lambda phone, email: proof.contact_hmac(key, phone, email))

    @staticmethod
    def target_of(project, target: Path | str | None = None) -> Path | str:
        """What the project's ledger is: `target` if given, else OPTIN_DATABASE_URL, else
        [receiver] database (a URL without a password), else [receiver] ledger (a file)."""
        if target:
            return target
        env = os.environ.get(DATABASE_ENV, "").strip()
        if env:
            return env
        url = str(project.receiver.get("database", "") or "").strip()
        if url:
            if not is_url(url):
                raise OptinError(f"[receiver] database must be a postgresql:// URL, not {redacted(url)!r}"
                                 " (an SQLite file is [receiver] ledger)")
            if has_password(url):
                raise OptinError("[receiver] database holds a password: keep it out of optin.toml; set"
                                 f" PGPASSWORD (or ~/.pgpass), or the whole URL in {DATABASE_ENV}")
            return url
        return project.ledger_path

    @classmethod
    def of_project(cls, project, path: Path | str | None = None) -> "Ledger":
        """The project's ledger (see target_of) with the project's key file, if its optin.toml
        names one ([receiver] key_file, relative to the project), and [receiver]
        sqlite_synchronous (NORMAL or FULL; OPTIN_SQLITE_SYNCHRONOUS wins)."""
        key_file = project.receiver.get("key_file")
        return cls.open(cls.target_of(project, path), key_file=project.root / key_file if key_file else None,
                        synchronous=os.environ.get(SYNCHRONOUS_ENV) or project.receiver.get("sqlite_synchronous"))

    def __str__(self) -> str:
        return str(self.backend)

    def _connect(self):
        """A connection of its own, outside any transaction (close it)."""
        return self.backend.connect(self.key)

    def contact_hmac(self, contact: str) -> str:
        """The pseudonym of one normalised contact (E.164 phone or lower-case email)."""
        return proof.hmac_of(self.key, contact)

    def erased(self):
        """Make erased values leave the storage (backend.py): True/False on SQLite (whether
        the write-ahead log was truncated), None on PostgreSQL."""
        return self.backend.erased(self.key)

    def rate_limiter(self):
        """Counters for the receiver's limits: in memory for SQLite, in the database for
        PostgreSQL (shared by every worker)."""
        return self.backend.rate_limiter()

    def close(self) -> None:
        self.backend.close()

    @contextmanager
    def transaction(self):
        """A write transaction: everything inside commits together or not at all, and no
        other writer runs meanwhile."""
        with self.backend.session(self.key, write=True) as db:
            yield db

    @contextmanager
    def reading(self):
        """A consistent snapshot for reading."""
        with self.backend.session(self.key, write=False) as db:
            yield db

    # -- writes (call inside transaction()) ------------------------------------------------
    @staticmethod
    def add_record(db, record: dict) -> None:
        if "contact_hmac" not in record:
            record = {**record, "contact_hmac": proof.contact_hmac(db.key, record.get("phone"), record.get("email"))}
        cols = ", ".join(record)
        marks = ", ".join("?" for _ in record)
        values = [json.dumps(v, ensure_ascii=False, sort_keys=True) if isinstance(v, (dict, list)) else v
                  for v in record.values()]
        db.execute(f"INSERT INTO records ({cols}) VALUES ({marks})", values)

    @staticmethod
    def add_event(db, ts: str, record: sqlite3.Row | dict, event: str, purposes: list[str],
                  locale: str, method: str) -> int:
        """Append one event, linked to the chain's head. Inside a write transaction (one
        writer at a time, see backend.py) the head read here cannot move before the insert:
        parallel writers queue and the chain never forks."""
        # the next id follows the chain's head, not MAX(id): the last events may have been pruned
        head = db.execute("SELECT head_id, head_hash FROM chain").fetchone()
        if head:
            event_id, prev = head[0] + 1, head[1]
        else:
            event_id, prev = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM events").fetchone()[0], proof.GENESIS
        fields = {"id": event_id, "ts": ts, "record_id": record["record_id"], "campaign": record["campaign"],
                  "event": event, "purposes": list(purposes), "notice_version": record["notice_version"],
                  "locale": locale, "method": method}
        digest = proof.event_hash(fields, prev)
        values = (event_id, ts, record["record_id"], record["campaign"], event, json.dumps(list(purposes)),
                  record["notice_version"], locale, method, prev, digest)
        if getattr(db, "dialect", "sqlite") == "postgresql":  # one round trip: the event and the new head
            db.execute(f"WITH e AS ({INSERT_EVENT}) {MOVE_HEAD}", (*values, event_id, digest))
        else:
            db.execute(INSERT_EVENT, values)
            db.execute(MOVE_HEAD, (event_id, digest))
        return event_id

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
        return db.execute("INSERT INTO outbox (ts, campaign, locale, channel, recipient, body, link, code)"
                          " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                          (ts, message.campaign, message.locale, message.channel, message.recipient,
                           message.body, message.link, message.code)).fetchone()[0]

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
        if phone or email:  # by the contact, or by its pseudonym once the contact was erased
            where.append("(r.phone = ? OR r.email = ? OR instr(r.contact_hmac, ?) > 0)")
            args += [phone, email, self.contact_hmac(phone or email)]  # NULL matches nothing
        sql = ("SELECT e.id AS event_id, e.ts, e.event, e.purposes AS event_purposes, e.locale AS event_locale,"
               " e.method AS event_method, e.notice_version AS event_notice, e.prev_hash, e.hash,"
               " r.* FROM events e"
               " JOIN records r ON r.record_id = e.record_id")
        sql += (" WHERE " + " AND ".join(where)) if where else ""
        with self.reading() as db:
            return [dict(row) for row in db.execute(sql + " ORDER BY e.id", args)]


def _token(row) -> Token | None:
    if row is None:
        return None
    return Token(row["token_hash"], row["code_hash"], row["campaign"], row["record_id"],
                 json.loads(row["purposes"]), row["expires"], row["used"], bool(row["expired_logged"]))


def expire_stale(db, now: str, force: bool = False) -> int:
    """Log `expired` for purposes whose confirmation token ran out unused; returns how many.
    Looks at most once per second of `now` per process (backend.ExpiryHint), unless `force`."""
    hint = getattr(db, "expiry", None)
    if hint is not None and not force and not hint.due(now):
        return 0
    if hint is not None:
        hint.checked(now)
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
