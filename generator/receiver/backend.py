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
from .commits import GroupCommit

try:
    import fcntl
except ImportError:  # not POSIX: writers of other processes wait in SQLite's busy handler
    fcntl = None

SCHEMES = ("postgresql", "postgres")
SYNCHRONOUS_ENV = "OPTIN_SQLITE_SYNCHRONOUS"


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
    dialect = "sqlite"
    expiry = None  # the backend's ExpiryHint


class ExpiryHint:
    """When this process last looked for confirmation tokens that ran out (ledger.expire_stale):
    every write transaction would look, but once per second of the ledger's clock is enough
    (a request that depends on a token checks its expiry itself)."""

    EVERY = 1.0  # seconds

    def __init__(self):
        self.last: str = ""

    def due(self, now: str) -> bool:
        return not self.last or now < self.last or _seconds(self.last, now) >= self.EVERY

    def checked(self, now: str) -> None:
        self.last = now


def _seconds(earlier: str, later: str) -> float:
    from datetime import datetime

    def parse(ts: str):
        return datetime.fromisoformat(ts.replace("Z", "+00:00"))
    try:
        return (parse(later) - parse(earlier)).total_seconds()
    except ValueError:
        return float("inf")


class Sqlite:
    """One SQLite file, for any number of threads and worker processes on one machine.

    Writes go through group commit (commits.py): a process's concurrent transactions share one
    physical transaction. Processes queue for the write lock on a file lock (`<ledger>-lock`,
    flock: the next waiter wakes as soon as it is free) before BEGIN IMMEDIATE, instead of
    SQLite's busy wait, which sleeps up to 100 ms between tries. Reads use pooled connections.

    `synchronous`: FULL (the default) fsyncs every commit, so an acknowledged write survives a
    power cut; with group commit one fsync serves a whole burst, and NORMAL was only ~10% faster
    in the receiver benchmark. NORMAL (WAL mode) writes every commit to the log before it
    returns but fsyncs only at checkpoints: an acknowledged write survives the receiver being
    killed (the kernel has it), not a power cut or kernel crash, which may lose the last commits.
    """

    name = "sqlite"
    IDLE_KEPT = 16  # open connections kept for reuse: closing the last one checkpoints the log
    SYNCHRONOUS = ("NORMAL", "FULL")

    def __init__(self, path: Path | str, synchronous: str | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.synchronous = (synchronous or os.environ.get(SYNCHRONOUS_ENV) or "FULL").strip().upper()
        if self.synchronous not in self.SYNCHRONOUS:
            raise OptinError(f"SQLite synchronous must be NORMAL or FULL, not {self.synchronous!r}"
                             f" ([receiver] sqlite_synchronous, {SYNCHRONOUS_ENV})")
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._pid = os.getpid()
        self._lock_fd: int | None = None
        self._lock_pid = 0
        self.expiry = ExpiryHint()
        self.writer = GroupCommit(lambda: self.connect(b""), self._begin, self._finish)

    def __str__(self) -> str:
        return str(self.path)

    def connect(self, key: bytes) -> LedgerConnection:
        # check_same_thread off: a pooled connection serves one thread at a time, then the next
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, factory=LedgerConnection,
                             check_same_thread=False)
        db.key, db.expiry = key, self.expiry
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=30000")
        db.execute("PRAGMA secure_delete=ON")  # deleted bytes are zeroed, not left in free pages
        db.execute(f"PRAGMA synchronous={self.synchronous}")
        return db

    def _file_lock(self) -> int | None:
        """This process's descriptor of `<ledger>-lock` (never the database file itself:
        closing any descriptor of it would drop SQLite's own locks)."""
        if fcntl is None:
            return None
        if self._lock_fd is None or self._lock_pid != os.getpid():  # a forked child opens its own
            self._lock_fd = os.open(self.path.with_name(self.path.name + "-lock"), os.O_RDWR | os.O_CREAT, 0o600)
            self._lock_pid = os.getpid()
        return self._lock_fd

    def _begin(self, db) -> None:
        fd = self._file_lock()
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # blocks without the GIL; wakes when the holder lets go
        try:
            db.execute("BEGIN IMMEDIATE")  # still waits (busy_timeout) for writers without the file lock
        except BaseException:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            raise

    def _finish(self, db, commit: bool) -> None:
        try:
            if db.in_transaction:
                db.execute("COMMIT" if commit else "ROLLBACK")
            elif commit:
                raise sqlite3.OperationalError("the transaction was rolled back by SQLite")
        finally:
            if self._lock_fd is not None and self._lock_pid == os.getpid():
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

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
        """A connection inside a transaction: a write transaction (a part of the process's
        group commit; it returns once committed), or a read-only snapshot (every statement
        sees the same ledger)."""
        if write:
            with self.writer.part(key) as db:
                yield db
            return
        db = self._get(key)
        try:
            db.execute("BEGIN")
            try:
                yield db
            finally:
                if db.in_transaction:
                    db.execute("ROLLBACK")
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

    @contextmanager
    def exclusive(self, name: str):
        """Whether this process may run maintenance task `name` alone: on SQLite the lease in
        the `maintenance` table already says so (scheduler.py), so always True."""
        yield True

    def rate_limiter(self):
        from .ratelimit import RateLimiter

        return RateLimiter()

    def close(self) -> None:
        self.writer.close()
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break
        if self._lock_fd is not None and self._lock_pid == os.getpid():
            os.close(self._lock_fd)
        self._lock_fd = None


def open_backend(target, synchronous: str | None = None):
    """A `postgresql://` URL -> PostgreSQL; anything else is the path of an SQLite file
    (`synchronous`: see Sqlite)."""
    if isinstance(target, str) and "://" in target and not is_url(target):
        raise OptinError(f"unknown database URL {redacted(target)!r}: use postgresql://… or a file path")
    if is_url(target):
        from .postgres import Postgres

        return Postgres(target)
    return Sqlite(target, synchronous)
