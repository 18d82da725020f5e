"""Request bodies: read (JSON or urlencoded, at most 16 KB) and validate against the protocol.

Every problem raises ApiError, which app.py turns into a 4xx JSON answer (or, for a form posted
without JavaScript, a redirect to the page's error state). Nothing here touches the ledger.
"""
from __future__ import annotations

import io
import json
import logging
import re
import socket
import threading
import time
import uuid

from werkzeug.formparser import FormDataParser
from werkzeug.wsgi import get_input_stream

from generator.campaign.model import Campaign
from .contacts import email_normal, phone_e164

log = logging.getLogger("optin.receiver")

MAX_BODY = 16 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded",)
HEX64 = re.compile(r"^[0-9a-f]{64}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LIST_FIELDS = ("purposes",)
_SURROGATE = re.compile("[\ud800-\udfff]")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 retry_after: int | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.retry_after = retry_after

    def body(self) -> dict:
        return {"error": self.code, "message": self.message, "field": self.field}


class _Watchdog:
    """Ends body reads that take longer than their deadline in all, for every request of the
    process from one thread: the socket's reading side is shut, so a blocked read returns at
    once. A per-read timeout would not do: a client sending one byte a second never lets one
    expire."""

    def __init__(self):
        self._cond = threading.Condition()
        self._due: dict[int, tuple[float, socket.socket, dict]] = {}
        self._thread: threading.Thread | None = None

    def watch(self, environ, seconds: float | None) -> dict:
        """A deadline for this request's body; {'fired': True} once it passed. The socket is
        there where the server hands it over (gunicorn, Werkzeug's); waitress reads the whole
        body before calling the app (bounded by its channel_timeout)."""
        entry = {"fired": False}
        sock = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
        if sock is None or not seconds:
            return entry
        with self._cond:
            self._due[id(entry)] = (time.monotonic() + seconds, sock, entry)
            if self._thread is None or not self._thread.is_alive():  # started in each (forked) worker
                self._thread = threading.Thread(target=self._run, name="optin-body-deadlines", daemon=True)
                self._thread.start()
            self._cond.notify()
        return entry

    def cancel(self, entry: dict) -> None:
        with self._cond:
            self._due.pop(id(entry), None)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for key, (deadline, sock, entry) in list(self._due.items()):
                    if deadline <= now:
                        del self._due[key]
                        entry["fired"] = True
                        try:
                            sock.shutdown(socket.SHUT_RD)
                        except OSError:
                            pass
                soonest = min((deadline for deadline, _, _ in self._due.values()), default=now + 60)
                self._cond.wait(max(0.01, soonest - now))


_deadlines = _Watchdog()


def read_body(request, timeout: float | None = None) -> bytes:
    """At most MAX_BODY bytes of the body, read here rather than trusted to Content-Length:
    a chunked body has none, and werkzeug would cut it at the limit without saying so. A body
    that cannot be read (broken chunked framing, a client gone, `timeout` seconds passed) is
    a 4xx, never a 500: what fails there is the client's connection, not the receiver."""
    length = request.content_length
    if length is not None and length > MAX_BODY:
        raise ApiError(413, "too_large", f"body larger than {MAX_BODY} bytes")
    # The stream ends at Content-Length, or where the server ends a chunked body
    # (wsgi.input_terminated); a server that cannot end one gives an empty stream.
    stream = get_input_stream(request.environ, max_content_length=None)
    chunks, size = [], 0
    deadline = _deadlines.watch(request.environ, timeout)
    try:
        while size <= MAX_BODY:
            chunk = stream.read(MAX_BODY + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except Exception as exc:  # noqa: BLE001 - whatever the server's stream raises is about the connection
        _unreadable(request, deadline, size, exc)
    finally:
        _deadlines.cancel(deadline)
    if size > MAX_BODY:
        raise ApiError(413, "too_large", f"body larger than {MAX_BODY} bytes")
    if length is not None and size < length:
        _unreadable(request, deadline, size, None)
    return b"".join(chunks)


def _unreadable(request, deadline: dict, size: int, exc: Exception | None):
    """One warning line (no traceback: the client's connection failed, not the receiver)."""
    got = f"{size} of {request.content_length}" if request.content_length is not None else str(size)
    if deadline["fired"]:
        log.warning("body from %s not received in time (%s bytes)", request.remote_addr, got)
        raise ApiError(408, "timeout", "the body did not arrive in time") from None
    why = f"{type(exc).__name__}: {exc}" if exc is not None else "the client went away"
    log.warning("body from %s unreadable after %s bytes (%s)", request.remote_addr, got, why)
    raise ApiError(400, "malformed", "the body could not be read (connection closed, or broken chunked framing)") from None


def read(request, timeout: float | None = None) -> dict:
    """The body as a dict; `purposes` is always a list."""
    if request.mimetype == "application/json":
        raw = read_body(request, timeout)
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(400, "malformed", f"body is not valid JSON: {exc}") from None
        except RecursionError:  # [[[[…]]]]: nested deeper than the parser's stack allows
            raise ApiError(400, "malformed", "body is not valid JSON: nested too deeply") from None
        if not isinstance(data, dict):
            raise ApiError(400, "malformed", "body must be a JSON object")
        _check_strings(data)
        return data
    if request.mimetype in FORM_TYPES:
        raw = read_body(request, timeout)
        # werkzeug's own urlencoded parser, on the bytes read above (silent: bad bytes give an empty form)
        _, form, _ = FormDataParser().parse(io.BytesIO(raw), request.mimetype, len(raw), request.mimetype_params)
        return {key: (form.getlist(key) if key in LIST_FIELDS else form.get(key)) for key in form}
    raise ApiError(415, "bad_content_type",
                   "send application/json or application/x-www-form-urlencoded", "Content-Type")


def _check_strings(data: dict) -> None:
    """Every key and string value must be text SQLite can store: JSON can spell a lone
    surrogate ("\\ud800"), which is no character and cannot be encoded as UTF-8."""
    for key, value in data.items():
        todo = [key, value]
        while todo:
            item = todo.pop()
            if isinstance(item, dict):
                todo += [*item.keys(), *item.values()]
            elif isinstance(item, list):
                todo += item
            elif isinstance(item, str) and _SURROGATE.search(item):
                raise ApiError(400, "malformed", "text contains an unpaired surrogate (not a character)",
                               key if isinstance(key, str) and not _SURROGATE.search(key) else None)


def text(data: dict, key: str, max_len: int = 200, required: bool = False) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise ApiError(400, "malformed", f"{key} is required", key)
        return ""
    if not isinstance(value, str):
        raise ApiError(400, "malformed", f"{key} must be a string", key)
    if len(value) > max_len:
        raise ApiError(400, "malformed", f"{key} is longer than {max_len} characters", key)
    return value.strip()


def campaign_of(data: dict, campaigns: dict[str, Campaign]) -> tuple[Campaign, str]:
    cid = text(data, "campaign", 64, required=True)
    campaign = campaigns.get(cid)
    if campaign is None:
        raise ApiError(404, "unknown_campaign", f"no campaign {cid!r}", "campaign")
    locale = text(data, "locale", 8) or campaign.default_locale
    if locale not in campaign.locales:
        raise ApiError(400, "unknown_locale", f"campaign {cid} has no locale {locale!r}", "locale")
    return campaign, locale


def purposes(data: dict, campaign: Campaign, allow_all: bool = False) -> list[str]:
    """Purpose ids in campaign order, no duplicates; ['*'] stands for all when allowed."""
    value = data.get("purposes", [])
    if isinstance(value, str):
        value = [value] if value else []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, "malformed", "purposes must be a list of purpose ids", "purposes")
    known = [p.id for p in campaign.purposes]
    if allow_all and "*" in value:
        return ["*"]
    unknown = [v for v in value if v not in known]
    if unknown:
        raise ApiError(400, "unknown_purpose", f"unknown purpose {unknown[0]!r}", "purposes")
    chosen = [p for p in known if p in value]
    if not chosen:
        raise ApiError(400, "no_purpose", "tick at least one purpose", "purposes")
    return chosen


def phone(data: dict, campaign: Campaign, required: bool) -> str | None:
    raw = text(data, "phone", 40)
    if not raw:
        if required:
            raise ApiError(400, "invalid_phone", "a phone number is needed for these purposes", "phone")
        return None
    code = data.get("country_code")
    number = phone_e164(raw, code if isinstance(code, (str, int)) else None, campaign.country)
    if number is None:
        raise ApiError(400, "invalid_phone", "not a valid phone number", "phone")
    return number


def email(data: dict, required: bool) -> str | None:
    raw = text(data, "email", 254)
    if not raw:
        if required:
            raise ApiError(400, "invalid_email", "an email address is needed for these purposes", "email")
        return None
    value = email_normal(raw)
    if value is None:
        raise ApiError(400, "invalid_email", "not a valid email address", "email")
    return value


def submission(data: dict, campaigns: dict[str, Campaign]) -> dict:
    """A validated submit request: campaign, locale, purposes, contacts, versions, record id."""
    campaign, locale = campaign_of(data, campaigns)
    chosen = purposes(data, campaign)
    needed = campaign.fields_for(chosen)
    out = {"campaign": campaign, "locale": locale, "purposes": chosen,
           "phone": phone(data, campaign, True) if "phone" in needed else None,
           "email": email(data, True) if "email" in needed else None}
    for key in ("notice_version", "wording_version"):
        value = text(data, key, 64, required=True).lower()
        if not HEX64.match(value):
            raise ApiError(400, "malformed", f"{key} must be a sha256 hex digest", key)
        out[key] = value
    record_id = text(data, "record_id", 36)
    if record_id:
        try:
            parsed = uuid.UUID(record_id)
            if parsed.version != 4:
                raise ValueError
        except ValueError:
            raise ApiError(400, "malformed", "record_id must be a UUID4", "record_id") from None
        # one spelling per UUID (uuid.UUID also reads it undashed or in capitals), so a retry
        # spelled differently is still found as the same record
        out["record_id"] = str(parsed)
    else:
        out["record_id"] = str(uuid.uuid4())
    out["page_url"] = text(data, "page_url", 2048)
    out["client_timestamp"] = text(data, "client_timestamp", 40)
    fields = {f for p in campaign.purposes if p.id in chosen for f in p.fields}
    extra = {}
    if "name" in fields and text(data, "name", 200):
        extra["name"] = text(data, "name", 200)
    if "birthday" in fields and text(data, "birthday", 10):
        if not DATE.match(text(data, "birthday", 10)):
            raise ApiError(400, "malformed", "birthday must be YYYY-MM-DD", "birthday")
        extra["birthday"] = text(data, "birthday", 10)
    out["extra"] = extra
    return out



def is_navigation(request) -> bool:
    """A form the browser posted itself (no JavaScript), as opposed to a fetch() call."""
    mode = request.headers.get("Sec-Fetch-Mode")
    if mode:
        return mode == "navigate"
    accept = request.headers.get("Accept", "")
    return request.mimetype in FORM_TYPES and "text/html" in accept
