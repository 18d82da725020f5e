"""The ledger in PostgreSQL (psycopg 3), for several receiver processes or machines sharing
one ledger. Install with `pip install 'optin[postgres]'`.

The URL names the database (`postgresql://user@host:5432/dbname`); the password never goes
into optin.toml: libpq takes it from PGPASSWORD or ~/.pgpass, or from a URL given in the
environment (OPTIN_DATABASE_URL). Connections are pooled per process (a new one after a fork).
Write transactions take one transaction-level advisory lock, so writers queue as they do on
SQLite: the hash chain never forks and a request's reads (a token's state, a record's events)
cannot change under it before it commits. Rate-limit counters live in the same database
(table rate_limits) so every worker counts the same hits.
"""
from __future__ import annotations

import json
import os
import queue
import threading
import time
import zlib
from contextlib import contextmanager
from functools import lru_cache

from generator.errors import OptinError

from .backend import ExpiryHint, redacted
from .commits import GroupCommit

WRITE_LOCK = 0x6F7074696E  # pg_advisory_xact_lock key of the ledger's writers ("optin")
IDLE_KEPT = 32             # idle connections a process keeps open
TASK_LOCK = WRITE_LOCK + 16  # pg_try_advisory_lock keys of maintenance tasks (scheduler.py)


def _psycopg():
    try:
        import psycopg
    except ImportError:
        raise OptinError("a postgresql:// ledger needs psycopg: pip install 'optin[postgres]'") from None
    return psycopg


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """The ledger's SQLite-flavoured SQL for PostgreSQL: `?` -> `%s` (a literal % doubled),
    instr(a, b) -> strpos(a, b)."""
    return sql.replace("%", "%%").replace("?", "%s").replace("instr(", "strpos(")


class Row(tuple):
    """A row readable as row[0], row["name"] and dict(row), like sqlite3.Row."""

    __slots__ = ()
    names: tuple = ()
    index: dict = {}

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self.index[key])
        return tuple.__getitem__(self, key)

    def keys(self):
        return self.names


@lru_cache(maxsize=256)
def _row_class(names: tuple) -> type:
    return type("Row", (Row,), {"__slots__": (), "names": names, "index": {n: i for i, n in enumerate(names)}})


def row_factory(cursor):
    if cursor.description is None:
        return tuple
    cls = _row_class(tuple(c.name for c in cursor.description))
    return cls


class PgConnection:
    """A psycopg connection (autocommit: transactions are BEGIN/COMMIT, as on SQLite) that
    takes the ledger's SQL as written for SQLite and knows the contact key."""

    dialect = "postgresql"

    def __init__(self, conn, key: bytes = b"", expiry=None):
        self.conn, self.key, self.expiry = conn, key, expiry

    def execute(self, sql: str, params=()):
        cur = self.conn.cursor()
        if params:
            cur.execute(translate(sql), list(params))
        else:
            cur.execute(sql.replace("instr(", "strpos("))
        return cur

    def close(self) -> None:
        self.conn.close()


class Pool:
    """Open connections kept for reuse, per process; a connection that errored is dropped."""

    def __init__(self, url: str, **options):
        self.url, self.options = url, options
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def connect(self):
        psycopg = _psycopg()
        try:
            return psycopg.connect(self.url, autocommit=True, row_factory=row_factory, connect_timeout=30,
                                   **self.options)
        except psycopg.OperationalError as exc:
            raise OptinError(f"cannot connect to the ledger database {redacted(self.url)}: "
                             f"{str(exc).strip().splitlines()[-1]}") from None

    def get(self):
        if os.getpid() != self._pid:  # a forked worker: the parent's connections are not ours
            with self._lock:
                self._idle, self._pid = queue.LifoQueue(), os.getpid()
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return self.connect()

    def put(self, conn) -> None:
        from psycopg.pq import TransactionStatus

        if (os.getpid() != self._pid or conn.closed or conn.info.transaction_status != TransactionStatus.IDLE
                or self._idle.qsize() >= IDLE_KEPT):
            conn.close()
        else:
            self._idle.put(conn)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


class Postgres:
    name = "postgresql"
    path = None

    def __init__(self, url: str):
        self.url = url
        self.pool = Pool(url)
        # rate-limit counters need no fsync per hit: losing the last hits in a crash is harmless
        self.counters = Pool(url, options="-c synchronous_commit=off")
        self.expiry = ExpiryHint()
        self.writer = GroupCommit(lambda: PgConnection(self.pool.connect(), b"", self.expiry), self._begin,
                                  self._finish)

    def __str__(self) -> str:
        return redacted(self.url)

    def connect(self, key: bytes) -> PgConnection:
        """A connection of its own (not pooled): close() it."""
        return PgConnection(self.pool.connect(), key)

    def migrate(self, key: bytes, contact_hmac) -> tuple[int, int]:
        from .ledger_schema_pg import migrate

        db = self.connect(key)
        try:
            return migrate(db, contact_hmac)
        finally:
            db.close()

    @contextmanager
    def session(self, key: bytes, write: bool):
        """A write transaction (a part of this process's group commit, commits.py: it returns
        once committed and flushed), or a read-only snapshot."""
        if write:
            with self.writer.part(key) as db:
                yield db
            return
        conn = self.pool.get()
        db = PgConnection(conn, key, self.expiry)
        try:
            db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                yield db
            finally:
                if not conn.closed:
                    db.execute("ROLLBACK")
        finally:
            self.pool.put(conn)

    # The lock is held until COMMIT; the commit does not wait for the disk inside it (one fsync
    # per writer in turn would cap the ledger at ~1/fsync writes/s): _finish waits for it after
    # the lock is released, so writers share flushes, and nothing is acknowledged before its
    # write is on disk.
    BEGIN = (f"BEGIN; SET LOCAL synchronous_commit = off; SELECT pg_advisory_xact_lock({WRITE_LOCK})")

    def _begin(self, db: PgConnection) -> None:
        db.execute(self.BEGIN)  # one round trip

    @staticmethod
    def _finish(db: PgConnection, commit: bool) -> None:
        if not commit:
            db.execute("ROLLBACK")
            return
        # One round trip: the (asynchronous) commit, then a statement that takes a transaction id
        # in autocommit, so it commits with synchronous_commit on (the session's setting) and
        # waits for the flush of the log up to its commit record: ours is before it. A failure
        # of either raises.
        db.execute("COMMIT; SELECT txid_current()")

    def erased(self, key: bytes) -> None:
        """After an erasure: VACUUM the tables that held the contact, so the old row versions
        are removed from their pages (PostgreSQL has no secure_delete: the bytes are gone from
        the files once the pages are rewritten, e.g. VACUUM FULL, and the WAL is recycled)."""
        conn = self.pool.get()
        try:
            PgConnection(conn).execute("VACUUM records, tokens, outbox, events, deliveries, unsubscribe_tokens,"
                                      " event_evidence, inbound")
        finally:
            self.pool.put(conn)
        return None

    @contextmanager
    def exclusive(self, name: str):
        """A session advisory lock for maintenance task `name` while the block runs: True when
        this process got it, False when another holds it (no waiting)."""
        key = TASK_LOCK + zlib.crc32(name.encode()) % 1000
        conn = self.pool.get()
        db, got = PgConnection(conn), False
        try:
            got = db.execute("SELECT pg_try_advisory_lock(?)", (key,)).fetchone()[0]
            yield got
        finally:
            try:
                if got and not conn.closed:
                    db.execute("SELECT pg_advisory_unlock(?)", (key,))
            except Exception:  # noqa: BLE001 - never pool a connection that may still hold the lock
                conn.close()
            self.pool.put(conn)

    def rate_limiter(self):
        return SharedRateLimiter(self)

    def close(self) -> None:
        self.writer.close()
        self.pool.close()
        self.counters.close()


class SharedRateLimiter:
    """RateLimiter's interface over the rate_limits table: fixed windows of `limit.seconds`,
    counted with one upsert, so every worker (and machine) shares the counts."""

    def __init__(self, store: Postgres, clock=time.time):
        self.store, self._clock = store, clock
        self._limits: dict = {}  # key -> the Limit blocked() last checked it against (for add())

    def _run(self, sql: str, args):
        conn = self.store.counters.get()
        try:
            return PgConnection(conn).execute(sql, args).fetchone()
        finally:
            self.store.counters.put(conn)

    def _window(self, key: tuple, limit) -> tuple[str, float, float]:
        now = self._clock()
        start = now - now % limit.seconds
        return json.dumps(list(key), ensure_ascii=False), start, now

    def hit(self, key: tuple, limit) -> float:
        """Count one hit; 0 if allowed, else seconds until the next hit would be allowed."""
        name, start, now = self._window(key, limit)
        row = self._run("INSERT INTO rate_limits AS r (key, window_start, count, expires) VALUES (?, ?, 1, ?)"
                        " ON CONFLICT (key, window_start) DO UPDATE SET count = r.count + 1"
                        " WHERE r.count < ? RETURNING r.count", (name, start, start + limit.seconds, limit.count))
        return 0.0 if row is not None else max(1.0, start + limit.seconds - now)

    def forget_expired(self) -> None:
        """Delete the windows that ended (the receiver's purge thread, each minute)."""
        self._run("DELETE FROM rate_limits WHERE expires < ? RETURNING 1", (self._clock(),))

    def blocked(self, key: tuple, limit) -> float:
        """Like hit() but without counting."""
        if len(self._limits) > 10_000:
            self._limits.clear()
        self._limits[key] = limit
        name, start, now = self._window(key, limit)
        row = self._run("SELECT count FROM rate_limits WHERE key = ? AND window_start = ?", (name, start))
        return max(1.0, start + limit.seconds - now) if row and row[0] >= limit.count else 0.0

    def add(self, key: tuple, limit=None) -> None:
        """Count a hit without checking (a failed attempt, after blocked())."""
        limit = limit or self._limits.get(key)
        seconds = limit.seconds if limit else 900
        now = self._clock()
        start = now - now % seconds
        self._run("INSERT INTO rate_limits AS r (key, window_start, count, expires) VALUES (?, ?, 1, ?)"
                  " ON CONFLICT (key, window_start) DO UPDATE SET count = r.count + 1 RETURNING r.count",
                  (json.dumps(list(key), ensure_ascii=False), start, start + seconds))
