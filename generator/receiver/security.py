"""What protects the receiver beyond each request's own checks: the security log, the hosts it
answers for, and which peers may say who the client is.

The security log: one JSON object per event on the logger `optin.security` (level WARNING),
so an operator can see an attack: failed codes, 429s, 403s, refused hosts, webhook signature
failures. No personal data in clear and no secret: a contact is a keyed hash (the same contact
gives the same hash while the ledger key stays), an address is truncated (IPv4 /24, IPv6 /48),
and tokens, codes and bodies are never logged.
"""
from __future__ import annotations

import contextvars
import hashlib
import hmac
import ipaddress
import json
import logging
import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

from generator.urls import origin, scheme
from .payload import ApiError

log = logging.getLogger("optin.security")
# The request being answered, so an event raised deep inside (a limiter refusing) has its context.
current: contextvars.ContextVar = contextvars.ContextVar("optin_security_request", default=None)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_HOST = re.compile(r"^(?:[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$", re.IGNORECASE)
FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
             "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED")


def derived_key(key: bytes, purpose: str) -> bytes:
    """A key for one use, from the ledger's contact key (never the key itself)."""
    return hmac.new(key, b"optin:" + purpose.encode("ascii"), hashlib.sha256).digest()


def truncate_ip(address: str | None) -> str:
    """'203.0.113.7' -> '203.0.113.0/24', '2001:db8:1:2::9' -> '2001:db8:1::/48'; '?' if not an address."""
    try:
        ip = ipaddress.ip_address((address or "").strip("[]"))
    except ValueError:
        return "?"
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 48}", strict=False))


class SecurityLog:
    def __init__(self, key: bytes):
        self._key = derived_key(key, "security-log")

    def pseudonym(self, value: str) -> str:
        """16 hex digits of HMAC-SHA256: groups one contact's events, reveals nothing."""
        return hmac.new(self._key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    def event(self, name: str, request=None, **fields) -> None:
        """Log one event; the request (default: the current one) adds its truncated address,
        method and path."""
        entry = {"event": name, "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds")}
        request = request if request is not None else current.get()
        if request is not None:
            entry.update(ip=truncate_ip(request.remote_addr), method=request.method, path=request.path[:200])
        entry.update({k: v for k, v in fields.items() if v is not None})
        log.warning("%s", json.dumps(entry, ensure_ascii=True, sort_keys=False))

    def refused(self, key: tuple) -> None:
        """A limiter's refusal (ratelimit.KeyedLimiter): the limit's kind, its campaign, and a
        contact only hashed. Keys are (kind, address) or (kind, campaign[, contact])."""
        kind, *parts = key
        fields = {"limit": kind}
        if parts and kind not in ("address", "bad-code"):  # those end in the client's address (the ip field)
            fields["campaign"] = str(parts[0])[:64]
            if len(parts) >= 2:
                fields["contact"] = self.pseudonym(parts[-1])
        self.event("rate_limited", **fields)

    def failed(self, exc: ApiError, data: dict) -> None:
        """An answer worth an event: a wrong code or unknown token (someone guessing?) or a
        refusal. 429s are logged where the limiter refuses (refused())."""
        if exc.code in ("wrong_code", "invalid_token") or exc.status == 403:
            campaign = data.get("campaign") if isinstance(data, dict) else None
            self.event("code_failed" if exc.status != 403 else exc.code, reason=exc.code,
                       campaign=campaign[:64] if isinstance(campaign, str) else None)


def refusal(security: SecurityLog, request, hosts=False, origins=None) -> ApiError | None:
    """Why a request is refused before anything else, logged: a Host not served (`hosts`, see
    allowed_hosts), an Origin not served, or a cross-site request without an Origin (a
    browser always sends one with a form or fetch() of the site's pages)."""
    if hosts is not False and not host_allowed(request.environ, hosts):
        host = (request.environ.get("HTTP_HOST") or "")[:100]
        security.event("bad_host", request, host=host)
        return ApiError(400, "bad_host", f"host {host!r} is not served here")
    if origins is None:
        return None
    sent = request.headers.get("Origin")
    if sent and sent not in origins:
        security.event("forbidden_origin", request, origin=sent[:100])
        return ApiError(403, "forbidden_origin", f"origin {sent} is not allowed")
    if not sent and request.headers.get("Sec-Fetch-Site", "").strip().lower() == "cross-site":
        security.event("cross_site", request, site=request.headers.get("Sec-Fetch-Site"))
        return ApiError(403, "forbidden_origin", "a cross-site request without an Origin is not allowed")
    return None


# -- hosts ---------------------------------------------------------------------------------
def hosts_of(urls, campaigns=(), senders=None) -> set[str]:
    """The host names of the absolute http(s) URLs among `urls`, the campaigns' endpoints and
    the SMS webhook's URL: lower-case, without port."""
    urls = [*urls, *(getattr(c.endpoints, name, None) for c in campaigns for name in ("submit", "confirm", "withdraw")),
            getattr((senders or {}).get("sms"), "webhook_url", None)]
    found = set()
    for url in urls:
        parts = urlsplit(url.strip() if isinstance(url, str) else "")
        if parts.scheme in ("http", "https") and parts.hostname:
            found.add(parts.hostname.lower())
    return found


def allowed_hosts(setting, derived) -> frozenset[str] | None:
    """The Host names to answer: `setting` (a list or comma-separated; '*' answers any), else
    the hosts `derived` from the configured URLs; the loopback names always (no DNS name an
    attacker controls can make a browser send those). None: answer any host."""
    if isinstance(setting, str):
        setting = [s.strip() for s in setting.split(",") if s.strip()]
    names = {(urlsplit("//" + str(s).strip()).hostname or str(s).strip()).lower() for s in (setting or [])}
    if "*" in names:
        return None
    names = names or set(derived)
    return frozenset(names | LOOPBACK) if names else None


def request_host(environ) -> str | None:
    """The Host the client asked for (after the proxy's, when trusted), lower-case without
    port; None when missing or malformed."""
    raw = (environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "").strip()
    if not _HOST.match(raw):
        return None
    return (urlsplit("//" + raw).hostname or "").lower() or None


def host_allowed(environ, allowed: frozenset[str] | None) -> bool:
    if allowed is None:
        return True
    host = request_host(environ)
    return host is not None and (host in allowed or any(a.startswith(".") and host.endswith(a) for a in allowed))


# -- URLs a request names (redirects, page_url) -------------------------------------------
REDIRECT_FIELDS = ("redirect", "success_url")
_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")
_C0_SPACE = "".join(chr(c) for c in range(0x21))
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def checked_urls(endpoint: str, data: dict, origins) -> None:
    """Before anything is written: the page's success_url/redirect must be text of a sane
    length (400), and a sign-up's page_url one of the site's (else dropped)."""
    if endpoint == "submit" and "page_url" in data:
        data["page_url"] = page_url(data["page_url"], origins)
    for key in REDIRECT_FIELDS:
        value = data.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or len(value) > 2048:
            raise ApiError(400, "malformed", f"{key} must be a URL of at most 2048 characters", key)


def browser_url(raw: str) -> str:
    """A URL as a browser would read it (WHATWG URL): leading and trailing C0 controls and
    spaces dropped, tabs and line breaks inside removed; '' when other control characters
    remain (nothing a browser could follow; no header can carry them)."""
    text = raw.strip(_C0_SPACE).translate(_TAB_NEWLINE)
    return "" if _CONTROL.search(text) else text


def site_path(url: str) -> bool:
    """A path on the same origin: '/…', but never '//host' or '/\\host' (scheme-relative:
    another site)."""
    return url.startswith("/") and not url.startswith(("//", "/\\"))


def page_url(value, origins) -> str:
    """The page a sign-up came from, kept only when it is an http(s) URL of one of the site's
    `origins`; anything else (javascript:, another site, junk) is dropped."""
    if not isinstance(value, str):
        return value  # submission() answers a wrong type with 400
    url = browser_url(value)
    ok = scheme(url) in ("http", "https") and origin(url) in origins and len(url) <= 2048
    return url if ok else ""


# -- proxies -------------------------------------------------------------------------------
class TrustedProxies:
    """Werkzeug's ProxyFix for requests whose peer is a trusted proxy only; from anyone else the
    X-Forwarded-* headers are dropped, so a client reaching the server directly cannot choose
    its address (gunicorn passes the headers on from any peer)."""

    def __init__(self, app, count: int, trusted):
        from werkzeug.middleware.proxy_fix import ProxyFix

        self.app, self.fixed = app, ProxyFix(app, x_for=count, x_proto=count, x_host=count)
        items = [t.strip() for t in (trusted.split(",") if isinstance(trusted, str) else trusted) if t.strip()]
        self.any = "*" in items
        self.networks = [ipaddress.ip_network(t, strict=False) for t in items if t != "*"]
        self._warned = False

    def trusted(self, peer: str | None) -> bool:
        if self.any:
            return True
        try:
            ip = ipaddress.ip_address((peer or "").strip("[]"))
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self.trusted(environ.get("REMOTE_ADDR")):
            if "HTTP_X_FORWARDED_FOR" not in environ and not self._warned:
                self._warned = True
                logging.getLogger("optin.receiver").warning(
                    "a request from the trusted proxy %s carries no X-Forwarded-For: if every request looks "
                    "like this, all clients share one rate limit (under waitress use --trusted-proxy and "
                    "OPTIN_PROXIES=0; see docs/operator.md)", environ.get("REMOTE_ADDR"))
            return self.fixed(environ, start_response)
        for name in FORWARDED:
            environ.pop(name, None)
        return self.app(environ, start_response)
