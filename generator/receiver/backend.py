"""Where the ledger lives: an SQLite file (the embedded default) or a PostgreSQL database
(postgres.py), chosen by what the ledger is opened with: a path, or a `postgresql://` URL.

A backend hands out connections whose `execute(sql, params)` takes the ledger's SQL as
written for SQLite (`?` placeholders, `instr()`) and returns a cursor (fetchone, fetchall,
iteration, rowcount) of rows readable by name and by position. What differs lives here:
how a write transaction starts (SQLite: BEGIN IMMEDIATE, one writer at a time; PostgreSQL:
a transaction-level advisory lock, the same one for every writer, so parallel writers queue
and the hash chain never forks), the schema and its migrations, and what "deleted" means on
disk (SQLite: secure_delete and a truncated write-ahead log; PostgreSQL: VACUUM).
"""
from __future__ import annotations

import os
import queue
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from generator.errors import OptinError

SCHEMES = ("postgresql", "postgres")


def is_url(target) -> bool:
    return isinstance(target, str) and target.split("://", 1)[0].lower() in SCHEMES and "://" in target


def redacted(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def has_password(url: str) -> bool:
    parts = urlsplit(url)
    return parts.password is not None or "password=" in parts.query.lower()


class LedgerConnection(sqlite3.Connection):
    """A connection that knows the ledger's contact key (for records.contact_hmac)."""

    key: bytes = b""


class Sqlite:
    """One SQLite file. Each transaction opens its own connection, so any number of threads
    (or worker processes on one machine) can write; SQLite serialises writers (BEGIN
    IMMEDIATE + busy wait)."""

    name = "sqlite"
    IDLE_KEPT = 16  # open connections kept for reuse: closing the last one checkpoints the log

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._pid = os.getpid()

    def __str__(self) -> str:
        return str(self.path)

    def connect(self, key: bytes) -> LedgerConnection:
        # check_same_thread off: a pooled connection serves one thread at a time, then the next
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, factory=LedgerConnection,
                             check_same_thread=False)
        db.key = key
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=30000")
        db.execute("PRAGMA secure_delete=ON")  # deleted bytes are zeroed, not left in free pages
        return db

    def migrate(self, key: bytes, contact_hmac) -> tuple[int, int]:
        from .ledger_schema import migrate

        db = self.connect(key)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return migrate(db, contact_hmac)
        finally:
            db.close()

    @contextmanager
    def session(self, key: bytes, write: bool):
        """A connection inside a transaction: a write transaction (the one writer), or a
        read-only snapshot (every statement sees the same ledger)."""
        db = self._get(key)
        try:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            self._put(db)

    def _get(self, key: bytes) -> LedgerConnection:
        if os.getpid() != self._pid:  # a forked worker: never share the parent's connections
            self._idle, self._pid = queue.LifoQueue(), os.getpid()
        try:
            db = self._idle.get_nowait()
        except queue.Empty:
            return self.connect(key)
        db.key = key
        return db

    def _put(self, db: LedgerConnection) -> None:
        if os.getpid() != self._pid or db.in_transaction or self._idle.qsize() >= self.IDLE_KEPT:
            db.close()
        else:
            self._idle.put(db)

    def erased(self, key: bytes) -> bool:
        """After an erasure: copy the write-ahead log into the database file and truncate it
        to zero bytes, so the erased values survive in neither file. False when a reader kept
        the log from being truncated (run it again when the receiver is idle)."""
        db = self.connect(key)
        try:
            return db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        finally:
            db.close()

    def rate_limiter(self):
        from .ratelimit import RateLimiter

        return RateLimiter()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


def open_backend(target):
    """A `postgresql://` URL -> PostgreSQL; anything else is the path of an SQLite file."""
    if isinstance(target, str) and "://" in target and not is_url(target):
        raise OptinError(f"unknown database URL {redacted(target)!r}: use postgresql://… or a file path")
    if is_url(target):
        from .postgres import Postgres

        return Postgres(target)
    return Sqlite(target)
