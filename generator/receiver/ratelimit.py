"""Sliding-window rate limits, in memory and thread-safe.

One process keeps its own counts (a restart or a second worker starts afresh); that is enough
to stop a script hammering one number or one address. Behind a proxy, wrap the app in
werkzeug's ProxyFix so the client address is the real one (see docs/protocol.md).
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass


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
    def __init__(self, clock=time.monotonic):
        self._hits: dict[tuple, deque] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def _window(self, key: tuple, limit: Limit) -> deque:
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
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

    def add(self, key: tuple) -> None:
        with self._lock:
            self._hits.setdefault(key, deque()).append(self._clock())
