"""Sliding-window rate limits, in memory and thread-safe (the limiter of an SQLite ledger; a
PostgreSQL ledger keeps shared counters in the database, see postgres.SharedRateLimiter).

One process keeps its own counts (a restart or a second worker starts afresh); that is enough
to stop a script hammering one number or one address. At most MAX_KEYS keys are kept: past
that the least recently hit ones are forgotten, so a flood of addresses cannot fill memory. Behind a proxy, wrap the app in
werkzeug's ProxyFix so the client address is the real one (see docs/protocol.md).
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass

MAX_KEYS = 100_000


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: float


@dataclass(frozen=True)
class Limits:
    per_address: Limit = Limit(60, 600)      # any POST from one client address
    per_contact: Limit = Limit(3, 3600)      # confirmation messages to one phone/email
    wrong_codes: Limit = Limit(10, 900)      # failed code/token attempts from one address


class RateLimiter:
    def __init__(self, clock=time.monotonic, max_keys: int = MAX_KEYS):
        self._hits: OrderedDict[tuple, deque] = OrderedDict()
        self._lock = threading.Lock()
        self._clock = clock
        self.max_keys = max_keys

    def _key(self, key: tuple) -> deque:
        """The key's hits, now the most recently used; the oldest keys go past max_keys."""
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
        else:
            self._hits.move_to_end(key)
        return hits

    def _window(self, key: tuple, limit: Limit) -> deque:
        now = self._clock()
        hits = self._key(key)
        while hits and hits[0] <= now - limit.seconds:
            hits.popleft()
        return hits

    def hit(self, key: tuple, limit: Limit) -> float:
        """Count one hit; 0 if allowed, else seconds until the next hit would be allowed."""
        with self._lock:
            hits = self._window(key, limit)
            if len(hits) >= limit.count:
                return max(1.0, hits[0] + limit.seconds - self._clock())
            hits.append(self._clock())
            return 0.0

    def blocked(self, key: tuple, limit: Limit) -> float:
        """Like hit() but without counting (checked before an attempt whose failure counts)."""
        with self._lock:
            hits = self._window(key, limit)
            return max(1.0, hits[0] + limit.seconds - self._clock()) if len(hits) >= limit.count else 0.0

    def add(self, key: tuple, limit: Limit | None = None) -> None:
        with self._lock:
            self._key(key).append(self._clock())
