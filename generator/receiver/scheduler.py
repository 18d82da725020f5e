"""The receiver purges the ledger by itself (retention.purge: contacts whose retention or consent
ended, proof whose period ended), every `[receiver] purge_interval` seconds (default hourly;
0 turns it off, e.g. where cron runs `optin ledger purge` instead).

Every worker process (gunicorn -w N, several machines on one PostgreSQL ledger) runs a thread
that wakes up now and then; a run is claimed in the ledger's `maintenance` table, inside a
write transaction (writers are serialised on both backends, so two claims cannot both win):
the row names who runs it and until when its lease holds, and when the last run started, so
the purge runs once per interval, whichever worker gets there first. On PostgreSQL the run also
holds a session advisory lock, so a run that outlives its lease never overlaps the next one; on
SQLite the lease is enough (one machine, and purge's own writes are one transaction).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

from generator.errors import OptinError

from .flows import iso
from .retention import Periods, purge

log = logging.getLogger("optin.receiver")
DEFAULT_INTERVAL = 3600.0
INTERVAL_ENV = "OPTIN_PURGE_INTERVAL"
LEASE = timedelta(minutes=15)  # a worker killed mid-run leaves a claim that lapses after this
TASK = "purge"


def interval_of(settings, env=os.environ, given: float | None = None) -> float:
    """Seconds between purges: the argument, else OPTIN_PURGE_INTERVAL, else [receiver]
    purge_interval, else hourly; 0 (or less) turns the receiver's own purge off."""
    raw = given if given is not None else env.get(INTERVAL_ENV, settings.get("purge_interval", DEFAULT_INTERVAL))
    try:
        return max(0.0, float(raw))
    except (TypeError, ValueError):
        raise OptinError(f"[receiver] purge_interval must be a number of seconds (0 turns it off), not {raw!r}") from None


def _wall() -> datetime:
    return datetime.now(timezone.utc)


class Purger:
    """Runs retention.purge for one receiver every `interval` seconds, once across workers."""

    def __init__(self, ledger, campaigns: dict, interval: float, clock=_wall, wall=_wall, forget=lambda: None):
        self.ledger, self.campaigns, self.interval, self.forget = ledger, campaigns, interval, forget
        self.clock = clock  # the receiver's clock: what purge calls now
        self.wall = wall    # real time: intervals and leases
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    @property
    def holder(self) -> str:
        return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"

    def start(self) -> "Purger":
        self._thread = threading.Thread(target=self._loop, name="optin-purge", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        tick = min(self.interval, 60.0) if self.interval else 60.0  # the first look one tick after start
        while not self._stop.wait(tick):
            try:
                self.forget()  # every worker its own counts: the notice says they go within two hours
                if self.interval:
                    self.run_once()
            except Exception:  # noqa: BLE001 - the receiver goes on serving; the next tick tries again
                log.exception("scheduled purge failed")

    def claim(self) -> bool:
        """Take this interval's run, if it is due and nobody holds it."""
        now = self.wall()
        with self.ledger.transaction() as db:
            db.execute("INSERT INTO maintenance (task) VALUES (?) ON CONFLICT (task) DO NOTHING", (TASK,))
            done = db.execute(
                "UPDATE maintenance SET holder = ?, started = ?, lease_until = ?, finished = NULL"
                " WHERE task = ? AND (lease_until IS NULL OR lease_until <= ?) AND (started IS NULL OR started <= ?)",
                (self.holder, iso(now), iso(now + LEASE), TASK, iso(now),
                 iso(now - timedelta(seconds=self.interval))))
            return done.rowcount == 1

    def run_once(self) -> dict | None:
        """One purge if this worker won the claim (its report), else None."""
        if not self.claim():
            return None
        outcome, report = "failed", None
        try:
            with self.ledger.backend.exclusive(TASK) as alone:
                if not alone:  # a run past its lease still holds the lock: leave it be
                    outcome = "skipped: another run still holds the lock"
                    return None
                began = time.monotonic()
                report = purge(self.ledger, Periods.of(self.campaigns.values()), self.clock())
                self.runs += 1
                counts = {k: len(report[k]) for k in ("retention_ended", "consent_ended", "unconfirmed",
                                                      "proof_expired")}
                outcome = "ok: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                log.info("purge %s (%.2f s)", outcome, time.monotonic() - began)
                return report
        finally:
            with self.ledger.transaction() as db:
                db.execute("UPDATE maintenance SET finished = ?, lease_until = NULL, outcome = ?"
                           " WHERE task = ? AND holder = ?", (iso(self.wall()), outcome, TASK, self.holder))


def start_purging(receiver, settings, env=os.environ, interval: float | None = None) -> Purger | None:
    """The receiver's maintenance thread: the purge every interval (0: never, e.g. where cron runs
    `optin ledger purge`), and each minute the rate-limit counts whose windows ended."""
    seconds = interval_of(settings, env, interval)
    return Purger(receiver.ledger, receiver.campaigns, seconds, clock=receiver.flows.clock,
                  forget=receiver.limiter.forget_expired).start()
