"""Send about 180 hostile requests to a real receiver and say which answers are wrong.

    .venv/bin/python scripts/hostile_requests.py            # starts its own receiver (see below)
    .venv/bin/python scripts/hostile_requests.py --json     # machine-readable
    .venv/bin/python scripts/hostile_requests.py --url http://127.0.0.1:8000   # one already running

Without --url the script starts `optin serve`'s app (site + receiver + local outbox, default
rate limits) over a temporary copy of the example campaigns, under waitress on 127.0.0.1 and a
free port, in a subprocess it stops at the end. It uses whatever `generator` package Python
imports, so PYTHONPATH=/some/checkout audits that checkout's code.

Every request goes over a raw socket (so malformed framing can be sent) with a timeout; each
category comes from its own loopback address (127.0.0.N) when the target is on loopback, so one
category's requests never use up another's per-address limits. An answer is wrong when it is a
5xx, a hang or a connection closed without an answer (except where waiting is what HTTP demands,
e.g. a body shorter than its Content-Length), or when it accepts what must be refused. Exit
status 1 when any answer is wrong. The whole run is bounded (well under 2 minutes).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
EXAMPLES = ("nordlys-sko", "kedai-harmoni")
DEADLINE = 100.0        # seconds for all the requests; what is left after it is reported as skipped
TIMEOUT = 3.0           # per request
WAIT_OK_TIMEOUT = 2.0   # where a hang is the right answer (incomplete body): no need to wait longer
WRONG_CODE_LIMIT = 10   # ratelimit.Limits.wrong_codes: guesses answered before 429
# Policy of this audit (not of HTTP): one address withdrawing more than this many contacts in a
# row is someone else's consent being switched off in bulk, and should meet a limit.
WITHDRAW_BUDGET = 10
UNSAFE_URL = re.compile(r"^\s*(javascript|vbscript|data|file):|^\s*//|[\x00-\x1f\x7f]", re.IGNORECASE)


@dataclass
class Answer:
    status: int | None = None
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    outcome: str = "hang"   # 2xx 3xx 4xx 5xx hang closed skipped
    seconds: float = 0.0


@dataclass
class Case:
    category: str
    name: str
    raw: bytes | Callable | None        # the request (or ctx -> bytes / None to skip)
    check: Callable | None = None       # (ctx, answer) -> why it is wrong, or None
    wait_ok: bool = False               # a hang / close is the right answer
    allow: tuple = ()                   # statuses HTTP allows here although 5xx (501 for an unknown TE)
    run: Callable | None = None         # ctx -> Answer, for cases that are not one request
    answer: Answer | None = None
    wrong: str | None = None


class Ctx:
    def __init__(self, url: str, ledger: Path | None, bind: bool):
        parts = urllib.parse.urlsplit(url)
        self.url, self.host, self.port = url.rstrip("/"), parts.hostname, parts.port or 80
        self.netloc, self.origin = parts.netloc, f"{parts.scheme}://{parts.netloc}"
        self.ledger, self.bind = ledger, bind
        self.source = None
        self.versions: dict[tuple[str, str], tuple[str, str]] = {}
        self.kept: dict = {}
        self._phone = 0

    def phone(self) -> str:
        self._phone += 1
        return f"+4741{os.getpid() % 100:02d}{self._phone:04d}"

    def send(self, raw: bytes, timeout: float = TIMEOUT, trickle: list[bytes] | None = None) -> Answer:
        return exchange(self.host, self.port, raw, timeout, self.source if self.bind else None, trickle)


# -- the wire ------------------------------------------------------------------------------
def exchange(host, port, raw: bytes, timeout: float, source=None, trickle=None) -> Answer:
    """Send `raw` (then each of `trickle`, 0.5 s apart) and read one answer within `timeout`."""
    started = time.monotonic()
    answer = Answer()
    try:
        sock = socket.create_connection((host, port), timeout=timeout,
                                        source_address=(source, 0) if source else None)
    except OSError as exc:
        answer.outcome, answer.body = "closed", str(exc).encode()
        return answer
    data = b""
    try:
        sock.sendall(raw)
        for piece in trickle or []:
            time.sleep(0.5)
            sock.sendall(piece)
        end = started + timeout
        while True:
            sock.settimeout(max(0.05, end - time.monotonic()))
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            head, sep, rest = data.partition(b"\r\n\r\n")
            if sep:
                length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                if length and len(rest) >= int(length.group(1)):
                    break
            if time.monotonic() >= end:
                break
    except TimeoutError:
        pass
    except OSError:  # reset or broken pipe: whatever arrived is the answer
        pass
    finally:
        sock.close()
    answer.seconds = round(time.monotonic() - started, 2)
    status = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    if not status:
        answer.outcome = "closed" if data or answer.seconds < timeout - 0.1 else "hang"
        return answer
    head, _, answer.body = data.partition(b"\r\n\r\n")
    answer.status = int(status.group(1))
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        answer.headers[name.strip().lower()] = value.strip()
    answer.outcome = f"{answer.status // 100}xx"
    return answer


def request(ctx, method: str, path: str, body: bytes | str | dict | None = None,
            ctype: str | None = None, headers: dict | None = None) -> bytes:
    """One HTTP/1.1 request, byte for byte: Host is the target's unless `headers` names one;
    Content-Length is added unless `headers` sets it or Transfer-Encoding."""
    if isinstance(body, dict):
        body, ctype = json.dumps(body).encode(), ctype or "application/json"
    body = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else (body or b"")
    headers = dict(headers or {})
    names = {k.lower() for k in headers}
    lines = [f"{method} {path} HTTP/1.1"]
    if "host" not in names:
        lines.append(f"Host: {ctx.netloc}")
    if ctype:
        lines.append(f"Content-Type: {ctype}")
    if not names & {"content-length", "transfer-encoding"} and (body or method == "POST"):
        lines.append(f"Content-Length: {len(body)}")
    lines += [f"{k}: {v}" for k, v in headers.items()] + ["Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body


def chunked(ctx, path: str, body: bytes, ctype: str = "application/json") -> bytes:
    framed = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 4096]), body[i:i + 4096])
                      for i in range(0, len(body), 4096))
    return request(ctx, "POST", path, None, ctype, {"Transfer-Encoding": "chunked"}) + framed + b"0\r\n\r\n"


def form(data: dict) -> str:
    return urllib.parse.urlencode(data, doseq=True)


# -- what a right answer is ----------------------------------------------------------------
def refuse(ctx, a: Answer):
    if a.outcome == "4xx":
        return None
    return f"accepted ({a.status})" if a.outcome == "2xx" else f"redirected ({a.status} {a.headers.get('location')})"


def status_is(*codes):
    def check(ctx, a):
        return None if a.status in codes else f"answered {a.status}, expected {'/'.join(map(str, codes))}"
    return check


def accept(ctx, a: Answer):
    return None if a.outcome in ("2xx", "3xx") else f"refused a valid request ({a.status} {a.body[:80]!r})"


def safe_redirect(success: bool | None = None):
    """4xx, or a 303 to the site itself (never elsewhere, never with control characters)."""
    def check(ctx, a):
        if a.outcome == "4xx":
            return None if success is not True else f"refused a valid request ({a.status})"
        if a.outcome == "2xx":
            return f"answered {a.status} to a form posted without JavaScript"
        where = a.headers.get("location", "")
        if not where.startswith(ctx.origin + "/") or re.search(r"[\s\x00-\x1f\x7f\\]", where):
            return f"redirect to {where!r}"
        return None
    return check


def refuse_nav(ctx, a: Answer):
    """Refused: a 4xx, or a 303 to the page's error state (not to its success state)."""
    if a.outcome == "4xx":
        return None
    where = a.headers.get("location", "")
    if a.outcome == "3xx" and not re.search(r"#(withdrawn|confirmed)$|/thanks\.html", where):
        return safe_redirect()(ctx, a)
    return f"accepted ({a.status} {where})"


def stored_page_url(record_id: str):
    """Refused, or stored with a page_url that is no script, data or scheme-relative URL."""
    def check(ctx, a):
        if a.outcome == "4xx":
            return None
        if ctx.ledger is None:
            return f"accepted ({a.status}; the stored page_url cannot be checked remotely)"
        db = sqlite3.connect(f"file:{ctx.ledger}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT page_url FROM records WHERE record_id = ?", (record_id,)).fetchone()
        finally:
            db.close()
        if row and UNSAFE_URL.search(row[0] or ""):
            return f"accepted and stored page_url {row[0]!r}"
        return None
    return check


def nothing_stored(record_id: str):
    def check(ctx, a):
        if a.status != 202:
            return f"answered {a.status}, expected the 202 of a real sign-up"
        if ctx.ledger is None:
            return None
        db = sqlite3.connect(f"file:{ctx.ledger}?mode=ro", uri=True)
        try:
            found = db.execute("SELECT COUNT(*) FROM records WHERE record_id = ?", (record_id,)).fetchone()[0]
        finally:
            db.close()
        return "the honeypot sign-up was stored" if found else None
    return check


def limited_after(n: int, i: int):
    """The i-th of a series (0-based): refused, and from the n-th on refused with 429."""
    def check(ctx, a):
        if i >= n and a.status != 429:
            return f"attempt {i + 1} answered {a.status}, not 429 (limit {n})"
        return refuse(ctx, a)
    return check


def changes_nothing(ctx, a):
    """A GET of an unsubscribe link (a mail scanner): a page or a refusal, never the withdrawal."""
    return f"answered {a.status} {a.body[:40]!r}" if a.status == 200 and b"unsubscribed" in a.body else (
        None if a.status in (200, 404, 405) else f"answered {a.status}")


def not_shared(ctx, a):
    """Another origin may get an answer, but no CORS header letting its page read it."""
    allowed = a.headers.get("access-control-allow-origin")
    return f"readable by {allowed}" if allowed in ("*", "https://evil.example") else None


def same_answer_as_known(ctx, a):
    """A withdrawal of an unknown number answers exactly as one of a known contact."""
    known = ctx.kept.get("known withdraw")
    if known is not None and (a.status, a.body) != known:
        return f"differs from a known contact's answer ({known[0]} {known[1][:60]!r})"
    return status_is(200)(ctx, a)


def keep_known(ctx, a):
    ctx.kept["known withdraw"] = (a.status, a.body)
    return status_is(200)(ctx, a)


def no_redirect(ctx, a):
    """Another spelling of a route may be served or refused, but not redirected (a POST would be
    replayed to wherever the Location points)."""
    return f"redirected ({a.status} to {a.headers.get('location')!r})" if a.outcome == "3xx" else None


def no_passwd(ctx, a):
    return "served /etc/passwd" if b"root:" in a.body else None


# -- the requests --------------------------------------------------------------------------
SUBMIT, CONFIRM, WITHDRAW = "/api/submit", "/api/confirm", "/api/withdraw"
NAV = {"Sec-Fetch-Mode": "navigate", "Accept": "text/html"}
FORM = "application/x-www-form-urlencoded"


def sign_up(ctx, cid: str = "nordlys-sko", lang: str = "nb", **extra) -> dict:
    """A valid sign-up (the versions the pages show, a fresh contact), changed by `extra`."""
    notice, wording = ctx.versions.get((cid, lang), ("0" * 64, "0" * 64))
    body = {"campaign": cid, "locale": lang, "notice_version": notice, "wording_version": wording,
            "record_id": str(uuid.uuid4()), "page_url": f"{ctx.origin}/{cid}/{lang}/"}
    if cid == "nordlys-sko":
        body.update(purposes=["offers"], phone=ctx.phone())
    else:
        body.update(purposes=["newsletter"], email=f"audit{ctx.phone()[-6:]}@example.com")
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}


def baseline(ctx):
    first = sign_up(ctx)
    ctx.kept["phone"] = first["phone"]

    def confirm_by_code(ctx):
        outbox = ctx.send(request(ctx, "GET", "/_outbox.json"))
        try:
            rows = json.loads(outbox.body)
        except ValueError:
            return None
        codes = [r["code"] for r in rows if r.get("recipient") == first["phone"] and r.get("code")]
        return request(ctx, "POST", CONFIRM, {"campaign": "nordlys-sko", "locale": "nb", "code": codes[0],
                                              "purposes": ["*"]}) if codes else None

    nav = form({**sign_up(ctx), "purposes": ["offers"], "country_code": "47"})
    return [
        Case("baseline", "JSON sign-up", request(ctx, "POST", SUBMIT, first), status_is(202)),
        Case("baseline", "confirm with the code sent", confirm_by_code, status_is(200)),
        Case("baseline", "no-JS sign-up", request(ctx, "POST", SUBMIT, nav, FORM, NAV), safe_redirect(True)),
        Case("baseline", "email sign-up", request(ctx, "POST", SUBMIT, sign_up(ctx, "kedai-harmoni", "ms")),
             status_is(202)),
        Case("baseline", "withdraw", request(ctx, "POST", WITHDRAW, {"campaign": "nordlys-sko", "phone": first["phone"],
                                                                      "purposes": ["*"]}), keep_known),
        Case("baseline", "preflight from the site", request(ctx, "OPTIONS", SUBMIT, None, None,
                                                              {"Origin": ctx.origin}), status_is(204)),
    ]


def oversized(ctx):
    big = {**sign_up(ctx), "padding": "x" * 17_000}
    too_large = status_is(413)
    return [Case("oversized", name, raw, check) for name, raw, check in [
        ("JSON 17 KB", request(ctx, "POST", SUBMIT, big), too_large),
        ("form 17 KB", request(ctx, "POST", SUBMIT, form(big), FORM), too_large),
        ("chunked JSON 40 KB", chunked(ctx, SUBMIT, json.dumps({**big, "padding": "x" * 40_000}).encode()), too_large),
        ("chunked form 40 KB", chunked(ctx, SUBMIT, form({**big, "padding": "x" * 40_000}).encode(), FORM), too_large),
        ("confirm 17 KB", request(ctx, "POST", CONFIRM, {"campaign": "nordlys-sko", "code": "x" * 17_000}), too_large),
        ("withdraw chunked 40 KB", chunked(ctx, WITHDRAW, json.dumps({"phone": "1" * 40_000}).encode()), too_large),
        ("Content-Length 10^12", request(ctx, "POST", SUBMIT, b"{}", "application/json",
                                         {"Content-Length": str(10 ** 12)}), refuse),
        ("100 KB header", request(ctx, "POST", SUBMIT, b"{}", "application/json", {"X-Big": "y" * 100_000}), refuse),
        ("20 KB query string", request(ctx, "POST", SUBMIT + "?" + "q=" * 10_000, b"{}", "application/json"), refuse),
        ("JSON nested 5000 deep", request(ctx, "POST", SUBMIT, "[" * 5000 + "]" * 5000, "application/json"), refuse),
        ("3000 form fields", request(ctx, "POST", SUBMIT, "&".join(["purposes=x"] * 3000), FORM), refuse),
        ("WhatsApp hook 300 KB", request(ctx, "POST", "/api/hooks/whatsapp", b"{" + b" " * 300_000 + b"}",
                                         "application/json"), status_is(413, 401)),
        ("Twilio hook 300 KB", request(ctx, "POST", "/api/hooks/twilio", "Body=" + "x" * 300_000, FORM),
         status_is(413, 401)),
    ]]


def malformed(ctx):
    bodies = [("not JSON", "{not json"), ("a list", "[1, 2]"), ("null", "null"), ("a string", '"x"'),
              ("1e999", "1e999"), ("bad UTF-8", b"\xff\xfe{}"), ("empty", ""), ("trailing garbage", "{}x"),
              ("NaN campaign", '{"campaign": NaN}'), ("lone surrogate", '{"campaign": "nordlys-sko", "phone": "\\ud800"}'),
              ("purposes an object", json.dumps({**sign_up(ctx), "purposes": {"a": 1}})),
              ("phone a number", json.dumps({**sign_up(ctx), "phone": 4791234567})),
              ("duplicate keys", '{"campaign": "nordlys-sko", "campaign": ["x"]}'),
              ("NUL in a key", json.dumps({"campaign\u0000": "nordlys-sko"}))]
    cases = [Case("malformed body", f"submit: {name}", request(ctx, "POST", SUBMIT, body, "application/json"), refuse)
             for name, body in bodies]
    forms = [("%-garbage", "%%%&=&&"), ("bad percent bytes", "campaign=%ff%fe&purposes=%c0"),
             ("NUL in campaign", "campaign=nordlys-sko%00&purposes=offers"),
             ("two campaigns", "campaign=nordlys-sko&campaign=kedai-harmoni&purposes=offers"),
             ("only =", "=")]
    cases += [Case("malformed body", f"form: {name}", request(ctx, "POST", SUBMIT, body, FORM), refuse)
              for name, body in forms]
    cases += [Case("malformed body", "confirm: token a list", request(ctx, "POST", CONFIRM, {
                  "campaign": "nordlys-sko", "token": ["x"]}), refuse),
              Case("malformed body", "withdraw: not JSON", request(ctx, "POST", WITHDRAW, "{", "application/json"),
                   refuse)]
    return cases


def content_types(ctx):
    body = json.dumps(sign_up(ctx))
    types = ["text/plain", "multipart/form-data; boundary=x", "application/xml", "text/html",
             "application/json-patch+json", "application/json; charset=utf-16", "", None]
    cases = [Case("content type", f"submit as {t!r}", request(ctx, "POST", SUBMIT,
                  body.encode("utf-16") if t and "utf-16" in t else body, t or None,
                  {"Content-Type": ""} if t == "" else None), refuse) for t in types]
    cases += [Case("content type", "JSON body sent as a form", request(ctx, "POST", SUBMIT, body, FORM), refuse),
              Case("content type", "form body sent as JSON", request(ctx, "POST", WITHDRAW, "campaign=nordlys-sko",
                                                                       "application/json"), refuse),
              Case("content type", "withdraw as text/plain", request(ctx, "POST", WITHDRAW, json.dumps(
                  {"campaign": "nordlys-sko", "phone": "+4791234567"}), "text/plain"), refuse)]
    return cases


def emails(ctx):
    bad = {"NUL in local part": "kari\x00@example.com", "NUL in domain": "kari@exa\x00mple.com",
           "ANSI escape": "\x1b[31mkari@example.com", "zero-width space": "ka\u200bri@example.com",
           "zero-width joiner in domain": "kari@exam\u200dple.com", "BOM": "\ufeffkari@example.com",
           "Cyrillic a in local part": "k\u0430ri@example.com", "Cyrillic o in domain": "kari@example.c\u043em",
           "RTL override": "kari\u202e@example.com", "CRLF header injection": "kari@example.com\r\nBcc: x@evil.example",
           "bell": "kari\x07@example.com", "tab inside": "ka\tri@example.com", "two @": "kari@@example.com",
           "angle brackets": "<kari@example.com>", "DEL": "kari\x7f@example.com"}
    cases = [Case("hostile email", name, request(ctx, "POST", SUBMIT, sign_up(ctx, "kedai-harmoni", "ms", email=e)),
                  refuse) for name, e in bad.items()]
    cases.append(Case("hostile email", "plain address (control)", request(ctx, "POST", SUBMIT, sign_up(
        ctx, "kedai-harmoni", "ms", email="kari.nordmann+news@example.com")), status_is(202)))
    return cases


def urls(ctx):
    cases = []
    for name, value in [("javascript:", "javascript:alert(document.domain)"), ("JaVaScRiPt: with space",
                        " JaVaScRiPt:alert(1)"), ("data:", "data:text/html,<script>alert(1)</script>"),
                        ("vbscript:", "vbscript:msgbox(1)"), ("scheme-relative", "//evil.example/x"),
                        ("CRLF inside", "https://ok.example/\r\nSet-Cookie: a=b")]:
        body = sign_up(ctx, page_url=value)
        cases.append(Case("page_url / success_url", f"page_url {name}", request(ctx, "POST", SUBMIT, body),
                          stored_page_url(body["record_id"])))
    for name, value in [("foreign origin", "https://evil.example/phish"), ("scheme-relative", "//evil.example/x"),
                        ("backslash", "/\\evil.example/x"), ("javascript:", "javascript:alert(1)"),
                        ("CRLF", "/nordlys-sko/nb/\r\nSet-Cookie: owned=1"), ("userinfo", f"{ctx.origin}@evil.example/"),
                        ("host suffix", f"{ctx.origin}.evil.example/"), ("tab in scheme", "java\tscript:alert(1)")]:
        body = form({"campaign": "nordlys-sko", "locale": "nb", "phone": "12", "purposes": "*", "success_url": value})
        cases.append(Case("page_url / success_url", f"withdraw success_url {name}",
                          request(ctx, "POST", WITHDRAW, body, FORM, NAV), safe_redirect()))
    for name, value in [("foreign origin", "https://evil.example/x"), ("CRLF", "/x\r\nSet-Cookie: owned=1"),
                        ("scheme-relative", "//evil.example/")]:
        body = form({**sign_up(ctx), "success_url": value, "redirect": value})
        cases.append(Case("page_url / success_url", f"submit success_url {name}",
                          request(ctx, "POST", SUBMIT, body, FORM, NAV), safe_redirect(True)))
    return cases


def paths(ctx):
    body = json.dumps(sign_up(ctx))
    cases = [Case("path tricks", f"POST {p}", request(ctx, "POST", p, body, "application/json"), no_redirect)
             for p in ("/api//submit", "//api/submit", "/api/submit/", "/api/./submit", "/api/%2e/submit",
                       "/API/submit", "/api/submit%00", "/api/submit;x", "/api/x/../submit")]
    cases += [Case("path tricks", f"GET {p}", request(ctx, "GET", p), no_passwd)
              for p in ("/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                        "/nordlys-sko/..%2f..%2f..%2f..%2fetc%2fpasswd", "/nordlys-sko/nb/../../../../etc/passwd")]
    return cases


def framing(ctx):
    head = request(ctx, "POST", SUBMIT, None, "application/json", {"Transfer-Encoding": "chunked"})
    te = lambda value: request(ctx, "POST", SUBMIT, None, "application/json", {"Transfer-Encoding": value})
    return [Case("chunked framing", name, raw, check, wait_ok, allow) for name, raw, check, wait_ok, allow in [
        ("chunk size zz", head + b"zz\r\n{}\r\n0\r\n\r\n", refuse, False, ()),
        ("chunk size -1", head + b"-1\r\n{}\r\n0\r\n\r\n", refuse, False, ()),
        ("chunk size 2^72", head + b"ffffffffffffffffff\r\n{}\r\n0\r\n\r\n", refuse, True, ()),
        ("chunk longer than its size", head + b"2\r\n{}}}}}}}\r\n0\r\n\r\n", refuse, True, ()),
        ("no last chunk", head + b"2\r\n{}\r\n", refuse, True, ()),
        ("NUL in chunk extension", head + b"2;ext=\x00\r\n{}\r\n0\r\n\r\n", refuse, False, ()),
        ("Content-Length and chunked", request(ctx, "POST", SUBMIT, None, "application/json", {
            "Content-Length": "4", "Transfer-Encoding": "chunked"}) + b"2\r\n{}\r\n0\r\n\r\n", refuse, False, ()),
        ("TE gzip, chunked", te("gzip, chunked") + b"2\r\n{}\r\n0\r\n\r\n", refuse, False, (501,)),
        ("TE xchunked", te("xchunked") + b"2\r\n{}\r\n0\r\n\r\n", refuse, False, (501,)),
        ("TE chunked twice", te("chunked, chunked") + b"2\r\n{}\r\n0\r\n\r\n", refuse, False, (501,)),
    ]]


def lengths(ctx):
    cl = lambda value, body=b"{}": request(ctx, "POST", SUBMIT, body, "application/json", {"Content-Length": value})
    return [
        Case("content-length", "Content-Length 100, body 10", cl("100", b'{"a": "b"}'), refuse, wait_ok=True),
        Case("content-length", "Content-Length -5", cl("-5"), refuse),
        Case("content-length", "Content-Length abc", cl("abc"), refuse),
        Case("content-length", "Content-Length +2", cl("+2"), refuse),
        Case("content-length", "two Content-Lengths", request(ctx, "POST", SUBMIT, b"{}", "application/json", {
            "Content-Length": "2", "content-length": "3"}), refuse, wait_ok=True),
    ]


def versions(ctx):
    if not ctx.versions:
        return []
    nb, de = ctx.versions[("nordlys-sko", "nb")], ctx.versions[("nordlys-sko", "de")]
    kedai = ctx.versions[("kedai-harmoni", "nb")]
    cases = [("64 zeros", "0" * 64, "0" * 64), ("64 f", "f" * 64, "f" * 64), ("notice zeros", "0" * 64, nb[1]),
             ("wording zeros", nb[0], "0" * 64), ("swapped", nb[1], nb[0]), ("another campaign's", *kedai)]
    out = [Case("bogus versions", f"nb sign-up, {name}", request(ctx, "POST", SUBMIT, sign_up(
        ctx, notice_version=n, wording_version=w)), refuse) for name, n, w in cases]
    out += [Case("bogus versions", "de sign-up with nb versions", request(ctx, "POST", SUBMIT, sign_up(
                ctx, "nordlys-sko", "de", notice_version=nb[0], wording_version=nb[1])), refuse),
            Case("bogus versions", "nb sign-up with de versions", request(ctx, "POST", SUBMIT, sign_up(
                ctx, notice_version=de[0], wording_version=de[1])), refuse),
            Case("bogus versions", "no-JS de sign-up with nb versions", request(ctx, "POST", SUBMIT, form(sign_up(
                ctx, "nordlys-sko", "de", notice_version=nb[0], wording_version=nb[1])), FORM, NAV), refuse_nav)]
    return out


def cross_site(ctx):
    withdraw = {"campaign": "nordlys-sko", "locale": "nb", "phone": "+4791234567", "purposes": ["*"]}
    cross = {"Sec-Fetch-Site": "cross-site"}
    return [
        Case("cross-site", "JSON withdraw, Sec-Fetch-Site cross-site, no Origin",
             request(ctx, "POST", WITHDRAW, withdraw, None, cross), refuse),
        Case("cross-site", "form withdraw (navigate), cross-site, no Origin",
             request(ctx, "POST", WITHDRAW, form(withdraw), FORM, {**cross, **NAV}), refuse_nav),
        Case("cross-site", "sign-up, cross-site, no Origin", request(ctx, "POST", SUBMIT, sign_up(ctx), None, cross),
             refuse),
        Case("cross-site", "no-JS sign-up, cross-site, no Origin",
             request(ctx, "POST", SUBMIT, form(sign_up(ctx)), FORM, {**cross, **NAV}), refuse_nav),
        Case("cross-site", "confirm, cross-site, no Origin", request(ctx, "POST", CONFIRM, {
            "campaign": "nordlys-sko", "code": "AAAA-AAAA"}, None, cross), refuse),
        Case("cross-site", "Origin null", request(ctx, "POST", WITHDRAW, withdraw, None, {"Origin": "null"}), refuse),
        Case("cross-site", "Origin host suffix", request(ctx, "POST", WITHDRAW, withdraw, None,
                                                       {"Origin": ctx.origin + ".evil.example"}), refuse),
        Case("cross-site", "Origin userinfo", request(ctx, "POST", WITHDRAW, withdraw, None,
                                                    {"Origin": f"http://{ctx.netloc}@evil.example"}), refuse),
        Case("cross-site", "preflight from evil.example", request(ctx, "OPTIONS", SUBMIT, None, None, {
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}), refuse),
        Case("cross-site", "same-site fetch (control)", request(ctx, "POST", WITHDRAW, withdraw, None, {
            "Origin": ctx.origin, "Sec-Fetch-Site": "same-origin"}), status_is(200)),
    ]


def outbox(ctx):
    hosts = ["evil.example", f"evil.example:{ctx.port}", f"{ctx.host}.nip.io:{ctx.port}", "localhost.evil.example"]
    cases = [Case("outbox host", f"/_outbox.json Host {h}", request(ctx, "GET", "/_outbox.json", None, None,
                                                                    {"Host": h}), refuse) for h in hosts]
    cases += [Case("outbox host", "/_outbox Host evil.example", request(ctx, "GET", "/_outbox", None, None,
                                                                        {"Host": "evil.example"}), refuse),
              Case("outbox host", "/_outbox.json with Origin evil.example", request(ctx, "GET", "/_outbox.json", None,
                                                                                    None, {"Origin": "https://evil.example"}), not_shared)]
    return cases


def guessing(ctx, category: str, spoof: bool):
    cases = []
    for i in range(WRONG_CODE_LIMIT + 3):
        headers = {"X-Forwarded-For": f"10.9.{i}.1", "X-Real-IP": f"10.9.{i}.1",
                   "Forwarded": f"for=10.9.{i}.1"} if spoof else {}
        body = {"campaign": "nordlys-sko", "locale": "nb", "purposes": ["*"]}
        body.update({"token": f"{i:043d}"} if i % 4 == 3 else {"code": f"ZZZZ-{i:04d}".replace("0", "Q")})
        cases.append(Case(category, f"guess {i + 1}" + (" (spoofed address)" if spoof else ""),
                          request(ctx, "POST", CONFIRM, body, None, headers), limited_after(WRONG_CODE_LIMIT, i)))
    return cases


def mass_withdraw(ctx):
    cases = []
    for i in range(WITHDRAW_BUDGET + 12):
        body = {"campaign": "nordlys-sko", "phone": f"+47930{i:05d}", "purposes": ["*"]}
        check = same_answer_as_known if i == 0 else status_is(200) if i < WITHDRAW_BUDGET else status_is(429)
        cases.append(Case("mass withdraw", f"withdraw number {i + 1}", request(ctx, "POST", WITHDRAW, body), check))
    return cases


def slowloris(ctx):
    def stalled(n: int, body: bool):
        def run(ctx):
            head = f"POST {SUBMIT} HTTP/1.1\r\nHost: {ctx.netloc}\r\n".encode()
            if body:
                head += b"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"
            return ctx.send(head, timeout=4.0, trickle=[b"X-a: b\r\n" if not body else b" "] * 6)
        return Case("slowloris", f"stalled {'body' if body else 'headers'} {n}", None, None, wait_ok=True, run=run)

    def probe(ctx):
        return ctx.send(request(ctx, "POST", WITHDRAW, {"campaign": "nordlys-sko", "phone": "+4791234567",
                                                        "purposes": ["*"]}), timeout=2.5)
    return [*(stalled(i + 1, i % 2 == 1) for i in range(12)),
            Case("slowloris", "a normal request while 12 connections stall", None, status_is(200), run=probe)]


def webhooks(ctx):
    wa, tw = "/api/hooks/whatsapp", "/api/hooks/twilio"
    meta = json.dumps({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {
        "messages": [{"from": "4791234567", "id": "wamid.x", "type": "text", "text": {"body": "STOPP"}}]}}]}]})
    return [Case("webhooks", name, raw, check) for name, raw, check in [
        ("WhatsApp without signature", request(ctx, "POST", wa, meta, "application/json"), status_is(401)),
        ("WhatsApp bogus signature", request(ctx, "POST", wa, meta, "application/json",
                                             {"X-Hub-Signature-256": "sha256=" + "0" * 64}), status_is(403)),
        ("WhatsApp signature not hex", request(ctx, "POST", wa, meta, "application/json",
                                               {"X-Hub-Signature-256": "sha256=\u00ff"}), status_is(403)),
        ("handshake with an empty token", request(ctx, "GET", wa + "?hub.mode=subscribe&hub.verify_token=&"
                                                  "hub.challenge=%3Cscript%3E"), status_is(403)),
        ("handshake with a guessed token", request(ctx, "GET", wa + "?hub.mode=subscribe&hub.verify_token=optin&"
                                                   "hub.challenge=1"), status_is(403)),
        ("Twilio without signature", request(ctx, "POST", tw, "From=%2B4791234567&Body=STOP&MessageSid=SM1", FORM),
         status_is(401)),
        ("Twilio bogus signature", request(ctx, "POST", tw, "From=%2B4791234567&Body=STOP&MessageSid=SM1", FORM,
                                           {"X-Twilio-Signature": "AAAA"}), status_is(403)),
        ("unsubscribe GET (link scanner)", request(ctx, "GET", "/api/unsubscribe?t=" + "A" * 43), changes_nothing),
        ("unsubscribe bad token shape", request(ctx, "POST", "/api/unsubscribe?t=%00%0d%0a", "List-Unsubscribe=One-Click",
                                                FORM), status_is(400)),
        ("unsubscribe unknown token", request(ctx, "POST", "/api/unsubscribe?t=" + "B" * 43,
                                              "List-Unsubscribe=One-Click", FORM), status_is(200)),
    ]]


def methods(ctx):
    return [Case("methods", f"{m} {SUBMIT}", request(ctx, m, SUBMIT, b"{}" if m in ("PUT", "PATCH") else None,
                                                      "application/json" if m in ("PUT", "PATCH") else None),
                 status_is(405)) for m in ("GET", "PUT", "DELETE", "PATCH", "TRACE", "HEAD")] + [
        Case("methods", "GET /api/hooks/twilio", request(ctx, "GET", "/api/hooks/twilio"), status_is(405)),
        Case("methods", "BREW /api/submit", request(ctx, "BREW", SUBMIT), refuse)]


CATEGORIES = [baseline, oversized, malformed, content_types, emails, urls, paths, framing, lengths, versions,
              cross_site, outbox, lambda ctx: guessing(ctx, "code guessing", False),
              lambda ctx: guessing(ctx, "spoofed XFF", True), mass_withdraw, slowloris, webhooks, methods]


def honeypot(ctx):
    body = sign_up(ctx, website="https://spam.example")
    return [Case("baseline", "honeypot filled", request(ctx, "POST", SUBMIT, body), nothing_stored(body["record_id"]))]


CATEGORIES.insert(1, honeypot)


# -- running -------------------------------------------------------------------------------
def read_versions(ctx) -> None:
    """The versions each signup page shows (its hidden fields), for the valid requests."""
    for cid in EXAMPLES:
        for lang in ("nb", "de", "ms", "en", "es"):
            page = ctx.send(request(ctx, "GET", f"/{cid}/{lang}/")).body.decode("utf-8", "replace")
            found = [re.search(rf'name="{k}" value="([0-9a-f]{{64}})"', page) for k in ("notice_version", "wording_version")]
            if all(found):
                ctx.versions[(cid, lang)] = (found[0].group(1), found[1].group(1))


def judge(ctx, case: Case) -> str | None:
    a = case.answer
    if a.outcome == "skipped":
        return None
    if a.outcome in ("hang", "closed"):
        return None if case.wait_ok else f"{a.outcome} (no answer after {a.seconds} s)"
    if a.status in case.allow:
        return None
    if a.outcome == "5xx":
        return f"server error {a.status}"
    return case.check(ctx, a) if case.check else None


def run_all(ctx, cases: list[Case], deadline: float) -> None:
    sources = {}
    for case in cases:
        sources.setdefault(case.category, f"127.0.0.{20 + len(sources)}")
    stalled = [c for c in cases if c.category == "slowloris" and c.wait_ok]
    for case in cases:
        ctx.source = sources[case.category]
        if time.monotonic() > deadline:
            case.answer = Answer(outcome="skipped")
            continue
        if case in stalled:
            continue
        if case.category == "slowloris":  # the probe: sent while the stalled connections hang on
            threads = []
            for c in stalled:
                t = threading.Thread(target=lambda c=c: setattr(c, "answer", c.run(ctx)), daemon=True)
                t.start()
                threads.append(t)
            time.sleep(1.5)
        raw = case.raw(ctx) if callable(case.raw) else case.raw
        if case.run:
            case.answer = case.run(ctx)
        elif raw is None:
            case.answer = Answer(outcome="skipped")
        else:
            case.answer = ctx.send(raw, WAIT_OK_TIMEOUT if case.wait_ok else TIMEOUT)
        if case.category == "slowloris":
            for t in threads:
                t.join(6)
    for case in cases:
        case.answer = case.answer or Answer(outcome="skipped")
        case.wrong = judge(ctx, case)


COLUMNS = ("2xx", "3xx", "4xx", "5xx", "hang", "closed", "skipped")


def summary(cases: list[Case]) -> list[dict]:
    rows = {}
    for case in cases:
        row = rows.setdefault(case.category, {"category": case.category, "count": 0, **{k: 0 for k in COLUMNS},
                                              "wrong": 0})
        row["count"] += 1
        row[case.answer.outcome] += 1
        row["wrong"] += bool(case.wrong)
    return list(rows.values())


def excerpt(a: Answer) -> str:
    text = a.body[:100].decode("utf-8", "replace").replace("\n", " ").replace("\r", " ")
    where = a.headers.get("location")
    return (f"Location {where!r} " if where else "") + text


def report(ctx, cases: list[Case], log: list[str], as_json: bool) -> None:
    rows = summary(cases)
    wrong = [c for c in cases if c.wrong]
    if as_json:
        print(json.dumps({"target": ctx.url, "total": len(cases), "wrong": len(wrong), "categories": rows,
                          "wrong_answers": [{"category": c.category, "request": c.name, "status": c.answer.status,
                                             "outcome": c.answer.outcome, "why": c.wrong, "answer": excerpt(c.answer)}
                                            for c in wrong],
                          "server_log": log}, ensure_ascii=False, indent=2))
        return
    print(f"{len(cases)} hostile requests to {ctx.url}\n")
    head = f"{'category':24} {'count':>5} " + " ".join(f"{k:>5}" for k in COLUMNS[:-1]) + f" {'skip':>5} {'wrong':>5}"
    print(head + "\n" + "-" * len(head))
    for row in rows + [{"category": "total", **{k: sum(r[k] for r in rows) for k in ("count", *COLUMNS, "wrong")}}]:
        print(f"{row['category']:24} {row['count']:5} " + " ".join(f"{row[k]:5}" for k in COLUMNS) + f" {row['wrong']:5}")
    print(f"\n{len(wrong)} wrong answer(s)" + (":" if wrong else "."))
    for c in wrong:
        print(f"  [{c.category}] {c.name}: {c.wrong}" + (f" -- {excerpt(c.answer)}" if c.answer.status else ""))
    if log:
        print("\nserver log (errors):")
        for line in log:
            print("  " + line)


# -- the receiver under test ---------------------------------------------------------------
def serve(folder: Path) -> None:
    """(subprocess) `optin serve`'s app over copies of the example campaigns, under waitress."""
    import waitress

    import generator
    from generator.pipeline.serve import LocalServer
    from generator.project import Project

    source = Path(generator.__file__).resolve().parents[1] / "campaigns"
    campaigns = folder / "project" / "campaigns"
    campaigns.mkdir(parents=True)
    for cid in EXAMPLES:
        for path in source.glob(f"{cid}*"):
            (shutil.copytree if path.is_dir() else shutil.copy2)(path, campaigns / path.name)
    local = LocalServer(Project((folder / "project").resolve()), ledger=folder / "ledger.sqlite")
    port, app = local.server.server_address[1], local.server.app
    local.server.server_close()  # the port is waitress's now (the build already points at it)
    server = waitress.create_server(app, host=HOST, port=port, threads=4, channel_timeout=20, ident="optin")
    print("READY", local.url, flush=True)
    server.run()


def start(folder: Path):
    with open(folder / "server.log", "w", encoding="utf-8") as log:  # the child keeps its own copy
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve", str(folder)],
                                stdout=subprocess.PIPE, stderr=log, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    until = time.monotonic() + 90
    while time.monotonic() < until and proc.poll() is None:
        ready = [line for line in lines if line.startswith("READY ")]
        if ready:
            return proc, ready[0].split()[1]
        time.sleep(0.1)
    stop(proc)
    raise SystemExit("the receiver did not start:\n" + (folder / "server.log").read_text(encoding="utf-8")[-3000:])


def stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def errors_logged(path: Path) -> list[str]:
    """The final exception of each traceback, and each other ERROR line, the server wrote."""
    seen: list[str] = []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []
    chained = ("Traceback", "During handling", "The above exception")
    in_traceback = False
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            in_traceback = True
            continue
        if in_traceback and line and not line[0].isspace() and not line.startswith(chained):
            following = next((n for n in lines[i + 1:] if n.strip()), "")
            if following.startswith(chained):
                continue  # an exception another one was raised while handling
            item, in_traceback = "exception: " + line[:200], False
        elif "ERROR" in line and not in_traceback:
            item = line[:200]
        else:
            continue
        if item not in seen:
            seen.append(item)
    return seen[:15]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a receiver already running (default: start one)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve))
        return 0
    folder = Path(tempfile.mkdtemp(prefix="optin-hostile-"))
    proc = None
    try:
        if args.url:
            url, ledger = args.url, None
        else:
            proc, url = start(folder)
            ledger = folder / "ledger.sqlite"
        host = urllib.parse.urlsplit(url).hostname or ""
        ctx = Ctx(url, ledger, bind=host.startswith("127."))
        deadline = time.monotonic() + DEADLINE
        ctx.source = "127.0.0.19"
        read_versions(ctx)
        cases = [case for category in CATEGORIES for case in category(ctx)]
        run_all(ctx, cases, deadline)
        report(ctx, cases, errors_logged(folder / "server.log"), args.json)
        return 1 if any(c.wrong for c in cases) else 0
    finally:
        if proc:
            stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
