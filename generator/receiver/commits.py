"""Group commit: the write transactions of one process share physical transactions.

Each `Ledger.transaction()` of a process becomes a part (a SAVEPOINT, unless it is the first)
of the process's one open write transaction, on one connection; the first thread to finish its part commits for every
part written meanwhile, and each waits for the commit that covers it before its request is
answered. So one commit (one fsync, one lock hand-over, one flush wait on PostgreSQL) serves a
whole burst of requests instead of each, and an acknowledged write is still always on disk.

A part that fails is rolled back to its savepoint alone; a commit that fails fails every part
it covered (none of them was acknowledged). Writers of a process queue on a mutex, writers
of other processes on the backend's lock (SQLite: a file lock, then BEGIN IMMEDIATE;
PostgreSQL: the advisory lock), as before: the hash chain never forks.
"""
from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager

SAVEPOINT = "optin_part"
LINGER = 0.002  # seconds a commit waits at most for writers already queued to join it


class GroupCommit:
    """`begin(conn)` opens the physical transaction (taking the cross-process lock);
    `finish(conn, commit)` commits or rolls it back and releases the lock; `connect()` makes
    the connection. At most `max_batch` parts share a commit (below PostgreSQL's 64 cached
    subtransactions per transaction)."""

    def __init__(self, connect, begin, finish, max_batch: int = 32):
        self.connect, self.begin, self.finish, self.max_batch = connect, begin, finish, max_batch
        self._orphans: list = []  # a parent's connection after a fork: never used, never closed here
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._mutex = threading.Lock()        # who uses the connection now
        lock = threading.Lock()
        self._cond = threading.Condition(lock)   # commits done, and who leads the next one
        self._drain = threading.Condition(lock)  # the leader's: a queued writer got its turn
        self._conn = None
        self._open = False
        self._gen = 0        # the open (or last) physical transaction
        self._done = 0       # the last one finished
        self._parts = 0      # parts released into the open one
        self._leading = False
        self._queued = 0     # threads waiting for the mutex
        self._owner: int | None = None  # the thread inside a part
        self._failed: dict[int, BaseException] = {}

    def _forked(self) -> None:
        if os.getpid() != self._pid:
            if self._conn is not None:
                self._orphans.append(self._conn)
            self._reset()

    @contextmanager
    def part(self, key: bytes):
        self._forked()
        if self._owner == threading.get_ident():  # would wait for itself forever
            raise RuntimeError("a ledger write transaction inside another one of the same thread")
        with self._cond:
            self._queued += 1
        with self._mutex:
            with self._cond:
                self._queued -= 1
            self._owner = threading.get_ident()
            try:
                gen, db, first = self._enter(key)
                try:
                    yield db  # a savepoint is never released: COMMIT releases them all, one round trip less
                except BaseException:
                    if first:
                        self._end(False)
                    else:
                        self._undo(db)
                    raise
                self._parts += 1
                if self._parts >= self.max_batch:
                    self._end(True)
            finally:
                self._owner = None
        self._wait(gen)

    def _enter(self, key: bytes):
        """Open the transaction if none is, and a savepoint unless this part is alone in it:
        (transaction, connection, alone)."""
        if not self._open:
            if self._conn is None:
                self._conn = self.connect()
            self.begin(self._conn)
            self._open, self._parts = True, 0
            self._gen += 1
        db = self._conn
        db.key = key
        first = not self._parts  # alone in its transaction: no savepoint needed to undo it
        if not first:
            try:
                db.execute(f"SAVEPOINT {SAVEPOINT}")
            except BaseException as exc:
                self._end(False, exc)  # the connection is unusable: so is its transaction
                raise
        return self._gen, db, first

    def _undo(self, db) -> None:
        """Roll back the failed part; end the transaction if nothing else is in it, or if the
        failure took the whole transaction with it."""
        try:
            db.execute(f"ROLLBACK TO {SAVEPOINT}")  # the latest of that name: this part's
        except Exception as exc:  # noqa: BLE001 - the parts released before it fail with it
            self._end(False, exc)
            return
        if not self._parts:
            self._end(False)

    def _end(self, commit: bool, error: BaseException | None = None) -> None:
        """Finish the open transaction (the mutex held); wake those waiting for it."""
        gen = self._gen
        try:
            self.finish(self._conn, commit and error is None)
        except Exception as exc:  # noqa: BLE001 - reported to every part it covered
            error = error or exc
        if error is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001, S110 - it is being thrown away
                pass
            self._conn = None
        self._open = False
        with self._cond:
            if error is not None:
                self._failed[gen] = error
                for old in [g for g in self._failed if g < gen - 1000]:
                    del self._failed[old]
            self._done = gen
            self._cond.notify_all()

    def _wait(self, gen: int) -> None:
        """Return once the transaction holding part `gen` committed (raise if it failed); the
        first waiter commits it, after letting those queued behind it add their parts."""
        while True:
            with self._cond:
                self._drain.notify()  # a leader waiting for the queue to drain looks again
                while self._done < gen and self._leading:
                    self._cond.wait()
                if self._done >= gen:
                    error = self._failed.get(gen)
                    if error is not None:
                        raise RuntimeError("the ledger transaction did not commit") from error
                    return
                self._leading = True
                # Writers queued for the connection join this commit first (a lock is not fair:
                # the leader would otherwise win it back at once and commit alone), for a moment.
                deadline = time.monotonic() + LINGER
                while self._queued and self._parts < self.max_batch and time.monotonic() < deadline:
                    self._drain.wait(LINGER)
            try:
                with self._mutex:
                    if self._open and self._gen == gen:
                        self._end(True)
            finally:
                with self._cond:
                    self._leading = False
                    self._cond.notify_all()

    @property
    def commits(self) -> int:
        """Physical transactions begun by this process so far."""
        return self._gen

    def close(self) -> None:
        with self._mutex:
            if self._open:
                self._end(False)
            if self._conn is not None:
                self._conn.close()
                self._conn = None
