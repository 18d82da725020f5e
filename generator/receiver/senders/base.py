"""What every sender shares: the outcome of one delivery, the interface, HTTP over urllib with
timeouts and no redirects, and bounded retries with exponential back-off.

A message is anything with `channel`, `recipient` and `body` (generator.receiver.messages.Message);
adapters also read, when present: `kind` (confirmation, opt_out_reply, withdrawal), `subject`,
`link`, `code`, `duration`, `locale`, `campaign`, `unsubscribe_url` and `values` (a mapping of
named placeholder values), so the interface does not fix one message class.
"""
from __future__ import annotations

import base64
import http.client
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, replace
from typing import Callable

# Delivery.status: accepted by the provider; refused for good (4xx, a message it cannot take:
# sending again would fail again); not delivered for now (5xx, 429, timeouts, connection
# errors: worth another try later); kept in the receiver's outbox table (no provider).
SENT, FAILED, DEFERRED, OUTBOX = "sent", "failed", "deferred", "outbox"
# Sender.suppress: the provider's list now has the contact; the provider has no such API.
SUPPRESSED, UNSUPPORTED = "suppressed", "unsupported"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
log = logging.getLogger("optin.senders")


@dataclass(frozen=True)
class Delivery:
    provider_id: str | None
    status: str
    error: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.status in (SENT, OUTBOX, SUPPRESSED)


class Transient(Exception):
    """A failure worth retrying (5xx, 429, timeout, connection refused)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Permanent(Exception):
    """A failure that another try would repeat (4xx, a message the provider cannot take)."""


class Sender:
    """One channel's way out. `send` never raises for a provider's answer: the outcome is the
    Delivery; `suppress` tells the provider to stop messaging a contact where it has an API."""

    name = "sender"

    def send(self, message) -> Delivery:
        raise NotImplementedError

    def suppress(self, contact: str) -> Delivery:
        return Delivery(None, UNSUPPORTED)


def attr(message, name: str, default=None):
    """An optional field of a message: the attribute, else `message.values[name]`."""
    value = getattr(message, name, None)
    if value in (None, ""):
        value = (getattr(message, "values", None) or {}).get(name)
    return default if value in (None, "") else value


@dataclass(frozen=True)
class Retry:
    """At most `tries` attempts; waits base, 2*base, 4*base, … but never more than `cap` seconds
    (a Retry-After from the provider counts, within the cap). `sleep` is injectable for tests."""

    tries: int = 3
    base: float = 0.5
    cap: float = 4.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int, hint: float | None = None) -> float:
        wait = self.base * (2 ** (attempt - 1))
        if hint is not None:
            wait = max(wait, hint)
        return min(self.cap, wait)

    def run(self, call: Callable[[], Delivery]) -> Delivery:
        error = "not attempted"
        for attempt in range(1, max(1, self.tries) + 1):
            try:
                return replace(call(), attempts=attempt)
            except Permanent as exc:
                return Delivery(None, FAILED, str(exc), attempt)
            except Transient as exc:
                error = str(exc)
                if attempt < self.tries:
                    self.sleep(self.delay(attempt, exc.retry_after))
            except Exception as exc:  # noqa: BLE001 - a sender's bug must not undo a committed sign-up
                log.exception("sender error")
                return Delivery(None, FAILED, f"unexpected {type(exc).__name__}: {exc}", attempt)
        return Delivery(None, DEFERRED, error, max(1, self.tries))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A provider API does not redirect; following one would send the credentials elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def check_base_url(url: str, what: str) -> str:
    """https, or http only to this machine (the tests' fakes): never credentials in clear text."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url.rstrip("/")
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return url.rstrip("/")
    raise ValueError(f"{what}: {url!r} must be an https:// address (http:// only to 127.0.0.1)")


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _retry_after(headers) -> float | None:
    try:
        return float(headers.get("Retry-After")) if headers and headers.get("Retry-After") else None
    except ValueError:
        return None


def post(url: str, body: bytes, headers: dict[str, str], timeout: float, describe) -> tuple[int, dict]:
    """POST and parse the JSON answer. 2xx -> (status, json); 429, 5xx, timeouts and connection
    errors raise Transient; any other status raises Permanent with `describe(status, json)`."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, _json(response.read())
    except urllib.error.HTTPError as exc:
        answer = _json(exc.read() or b"")
        text = f"HTTP {exc.code}: {describe(exc.code, answer)}"
        if exc.code == 429 or exc.code >= 500:
            raise Transient(text, _retry_after(exc.headers)) from None
        raise Permanent(text) from None
    except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        raise Transient(f"{type(exc).__name__}: {exc}") from None
    except urllib.error.URLError as exc:
        raise Transient(f"cannot reach the provider: {exc.reason}") from None


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
