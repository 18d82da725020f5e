"""Sliding-window rate limits, in memory and thread-safe (the limiter of an SQLite ledger; a
PostgreSQL ledger keeps shared counters in the database, see postgres.SharedRateLimiter), and
KeyedLimiter, which the receiver puts in front of either.

One process keeps its own counts (a restart or a second worker starts afresh); that is enough
to stop a script hammering one number or one address. Memory stays bounded: a key whose hits
have all left the longest window is forgotten, and past MAX_KEYS keys the least recently hit
ones go too, so a flood of addresses cannot fill memory. Behind a proxy the client address
must be the real one (docs/operator.md, "Behind a reverse proxy").
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass

from .contacts import mailbox

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
    campaign_codes: Limit = Limit(100, 900)  # failed codes across one campaign: then codes pause
    withdrawals: Limit = Limit(5, 3600)      # withdrawals (page) of one phone/email
    withdrawals_per_address: Limit = Limit(10, 3600)  # withdrawal requests from one client address


class RateLimiter:
    def __init__(self, clock=time.monotonic, max_keys: int = MAX_KEYS):
        self._hits: OrderedDict[tuple, deque] = OrderedDict()
        self._lock = threading.Lock()
        self._clock = clock
        self.max_keys = max_keys
        self._longest = 0.0  # the longest window seen: hits older than this count for nothing

    def __len__(self) -> int:
        return len(self._hits)

    def keys(self) -> list[tuple]:
        """The keys held now (what the table would reveal)."""
        with self._lock:
            return list(self._hits)

    def _sweep(self, now: float) -> None:
        """Forget least recently used keys whose last hit is outside every window; stops at
        the first key still in use, so each call costs as many keys as it forgets."""
        while self._hits:
            hits = next(iter(self._hits.values()))
            if hits and hits[-1] > now - self._longest:
                return
            self._hits.popitem(last=False)

    def forget_expired(self) -> None:
        """Forget every key whose hits all lie outside every window (the receiver's purge
        thread calls this each minute, so an idle receiver keeps no counts either)."""
        with self._lock:
            self._sweep(self._clock())

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

    def _window(self, key: tuple, limit: Limit, create: bool = True) -> deque:
        now = self._clock()
        self._longest = max(self._longest, limit.seconds)
        self._sweep(now)
        hits = self._key(key) if create or key in self._hits else deque()
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
            hits = self._window(key, limit, create=False)
            return max(1.0, hits[0] + limit.seconds - self._clock()) if len(hits) >= limit.count else 0.0

    def add(self, key: tuple, limit: Limit | None = None) -> None:
        with self._lock:
            self._key(key).append(self._clock())


def canonical(kind: str, value) -> str:
    """What one part of a key counts as: an email its mailbox (kari+1@ and kari+2@ share a
    limit), an IPv6 address its /64 (one machine's share), anything else itself."""
    text = str(value)
    if "@" in text:
        return mailbox(text)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if address.version == 6:
        mapped = address.ipv4_mapped
        return str(mapped) if mapped else str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class KeyedLimiter:
    """Any limiter, with each key (kind, value, …) stored as (kind, HMAC-SHA256 of its
    canonical parts): the table never holds a phone number, email or address in clear, and
    with a shared key (the ledger's) every worker of a PostgreSQL ledger counts alike.
    `on_refused(key)` is told each refusal (the receiver's security log), with the key as given."""

    def __init__(self, inner, key: bytes, on_refused=None):
        self.inner, self._key = inner, key
        self.on_refused = on_refused or (lambda key: None)

    def digest(self, key: tuple) -> tuple[str, str]:
        kind, *parts = key
        text = json.dumps([kind, *(canonical(kind, p) for p in parts)], ensure_ascii=False)
        return kind, hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def hit(self, key: tuple, limit: Limit) -> float:
        wait = self.inner.hit(self.digest(key), limit)
        if wait:
            self.on_refused(key)
        return wait

    def blocked(self, key: tuple, limit: Limit) -> float:
        wait = self.inner.blocked(self.digest(key), limit)
        if wait:
            self.on_refused(key)
        return wait

    def add(self, key: tuple, limit: Limit | None = None) -> None:
        self.inner.add(self.digest(key), limit)

    def forget_expired(self) -> None:
        self.inner.forget_expired()
