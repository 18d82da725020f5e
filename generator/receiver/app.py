"""The receiver as a WSGI application (Werkzeug): POST {prefix}/submit, /confirm, /withdraw,
and the providers' webhooks and the email one-click unsubscribe (hooks.py).

Run it under any WSGI server, e.g.
    gunicorn 'generator.receiver.app:create_app(campaigns="campaigns", ledger="/var/lib/optin/ledger.sqlite")'
Answers follow docs/protocol.md: JSON for fetch() calls; for forms posted without JavaScript a
303 redirect to the page (and its state fragment, e.g. confirm.html#confirmed).
"""
from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.urls import iri_to_uri
from werkzeug.wrappers import Request, Response

from generator.campaign.model import Campaign, load_all
from generator.i18n.locales import Locales
from generator.project import Project
from generator.site.build import campaign_files
from generator.urls import origin
from . import hooks, look, payload, security
from .flows import Flows
from .ledger import Ledger
from .messages import error_page
from .outgoing import Postman
from .payload import ApiError
from .ratelimit import KeyedLimiter, Limits, RateLimiter
from .replies import Replies

log = logging.getLogger("optin.receiver")
# States the confirm and withdraw pages can show for a form posted without JavaScript.
PAGE_STATES = {
    "confirm": {"confirmed", "already_confirmed", "expired_token", "invalid_token", "wrong_code",
                "no_purpose", "rate_limited", "server_error", "bad_request"},
    "withdraw": {"withdrawn", "invalid_phone", "invalid_email", "no_contact", "no_purpose",
                 "rate_limited", "server_error", "bad_request"},
}
PAGES = {"submit": "thanks.html", "confirm": "confirm.html", "withdraw": "withdraw.html"}
# The state a page shows after success, added to the default redirect (confirm.html#confirmed).
SUCCESS_STATES = {"confirm": "confirmed", "withdraw": "withdrawn"}


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


class Receiver:
    """Holds the campaigns, the ledger and the limits; one instance serves every thread."""

    def __init__(self, campaigns: list[Campaign], ledger: Ledger, locales: Locales, origins: list[str] | None = None,
                 site_url: str = "", token_ttl: timedelta = timedelta(hours=48), prefix: str = "/api",
                 limits: Limits | None = None, clock=now_utc, on_message=None, senders=None, api_url: str = "",
                 preview: bool = False, allowed_hosts=None, body_timeout: float | None = 10, theme_dirs=None):
        """`senders` (senders.Senders, channel -> Sender; default: every channel to the outbox
        table) deliver the messages; `on_message(message)` is called before each send.
        `api_url` is the receiver's public address with the prefix (for the unsubscribe links;
        default: from the campaign's submit endpoint, else the request). `preview` (`optin serve`
        only) keeps the messages as sent, link and code included, in the outbox table."""
        self.campaigns = {c.id: c for c in campaigns}
        self.looks = look.Looks(theme_dirs)  # its own pages in the campaigns' themes (Project.theme_dirs)
        self.locales = locales
        self.site_url = site_url.rstrip("/")
        wanted = list(origins or []) + [self.site_url] + [c.base_url for c in campaigns]
        self.origins = {origin(o) for o in wanted if origin(o)}
        self.limits, self.body_timeout = limits or Limits(), body_timeout
        self.security = security.SecurityLog(key := getattr(ledger, "key", None) or os.urandom(32))
        self.limiter = KeyedLimiter(ledger.rate_limiter() if hasattr(ledger, "rate_limiter") else RateLimiter(),
                                    security.derived_key(key, "rate-limits"), self.security.refused)
        self.flows = Flows(self, ledger, token_ttl, clock, on_message or (lambda message: None))
        self.ledger = ledger
        self.postman = Postman(ledger, senders, self.campaigns, locales, token_ttl, clock, self.flows.now,
                               on_message, preview)
        self.senders = self.postman.senders
        self.flows.postman = self.postman
        self.replies = Replies(self, ledger, self.postman)
        prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.prefix, self.api_url = prefix, api_url.rstrip("/")
        self.routes = dict(hooks.ROUTES)  # endpoint -> (handler, methods); backoffice.mount adds to it
        self.purger = None  # scheduler.Purger, started by create_app
        self.allowed_hosts = security.allowed_hosts(allowed_hosts, security.hosts_of([*wanted, self.api_url], campaigns, self.senders))
        self.url_map = Map([Rule(f"{prefix}/{name}", endpoint=name, methods=["POST", "OPTIONS"])
                            for name in ("submit", "confirm", "withdraw")]
                           + [Rule(f"{prefix}/{name}", endpoint=name, methods=methods)
                              for name, (_, methods) in hooks.ROUTES.items()]
                           + [Rule(f"{prefix}/openapi.json", endpoint="openapi", methods=["GET"])],
                           merge_slashes=False)  # /api//submit is not found, not a 308 a POST cannot follow

    # -- WSGI --------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)  # payload.read_body enforces the 16 KB limit, chunked or not
        security.current.set(request)  # for the security log's events (each request sets its own)
        try:  # first, the Host: a name not served (DNS rebinding) gets nothing else
            refused = security.refusal(self.security, request, self.allowed_hosts)
            response = json_response(refused.body(), refused.status) if refused else self.handle(request)
        except Exception:  # noqa: BLE001 - a bug: logged once, answered in JSON
            log.exception("receiver error on %s %r", request.method, request.path[:200])
            response = json_response(ApiError(500, "server_error", "internal error (see the server log)").body(), 500)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        try:
            endpoint, _ = self.url_map.bind_to_environ(request.environ).match()
        except HTTPException as exc:
            return json_response({"error": "not_found" if exc.code == 404 else "method_not_allowed",
                                  "message": exc.description, "field": None}, exc.code or 400)
        if endpoint == "openapi":  # the contract (docs/protocol.md), as shipped in the package
            return hooks.text(resources.files(__package__).joinpath("openapi.json").read_text("utf-8"),
                              mimetype="application/json")
        if endpoint in self.routes:
            try:
                return self.routes[endpoint][0](self, request)
            except Exception:  # noqa: BLE001 - answer 500 (the provider retries), log the bug
                log.exception("receiver error in %s", endpoint)
                return hooks.text("internal error\n", 500)
        origin = request.headers.get("Origin")
        if refused := security.refusal(self.security, request, origins=self.origins):  # or cross-site without
            return json_response(refused.body(), refused.status)
        if request.method == "OPTIONS":
            response = Response(status=204)
            response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept"
            response.headers["Access-Control-Max-Age"] = "600"
        else:
            response = self.dispatch(endpoint, request)
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
        response.headers["Cache-Control"] = "no-store"
        return response

    def dispatch(self, endpoint: str, request: Request) -> Response:
        navigate = payload.is_navigation(request)
        data: dict = {}
        try:
            wait = self.limiter.hit(("address", request.remote_addr), self.limits.per_address)
            if wait:
                raise ApiError(429, "rate_limited", "too many requests from this address", retry_after=int(wait))
            data = payload.read(request, self.body_timeout)
            security.checked_urls(endpoint, data, self.origins)  # before any write: a retry must not send twice
            after = self.target(request, data, endpoint, success=True) if navigate else ""
            status, body = getattr(self.flows, endpoint)(request, data)
        except ApiError as exc:
            if exc.status >= 500:
                log.error("%s: %s", endpoint, exc.message)
            self.security.failed(exc, data)
            return self.error(endpoint, request, data, exc, navigate)
        except Exception:  # noqa: BLE001 - a bug must still answer in the protocol's shape
            log.exception("receiver error in %s", endpoint)
            return self.error(endpoint, request, data,
                              ApiError(500, "server_error", "internal error (see the server log)"), navigate)
        return redirect(after) if navigate else json_response(body, status)

    def error(self, endpoint, request, data, exc: ApiError, navigate: bool) -> Response:
        if not navigate:
            response = json_response(exc.body(), exc.status)
        elif endpoint == "submit":
            lang, back = self._lang(data), self.target(request, data, endpoint, success=False, page="index.html")
            shown = self.looks.of(self.campaigns.get(str(data.get("campaign"))), home=back)
            response = hooks.page(error_page(self.locales.translations(lang), lang, exc.code, back, shown), lang, shown, exc.status, look.ERROR_CSP)
        else:
            state = exc.code if exc.code in PAGE_STATES[endpoint] else "bad_request"
            response = redirect(self.target(request, data, endpoint, success=False, fragment=state))
        if exc.retry_after:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    # -- URLs --------------------------------------------------------------------------------
    def _lang(self, data: dict) -> str:
        campaign = self.campaigns.get(data.get("campaign") if isinstance(data.get("campaign"), str) else "")
        lang = data.get("locale")
        if campaign:
            return lang if lang in campaign.locales else campaign.default_locale
        return "en"

    def public_base(self, campaign: Campaign, request: Request | None) -> str:
        """Where the site is: the local server, else the campaign's base_url, else the caller."""
        if self.site_url:
            return self.site_url
        if campaign.base_url:
            return campaign.base_url
        origin = request.headers.get("Origin", "") if request else ""
        return origin if origin in self.origins else ""

    def api_base(self, campaign: Campaign, request: Request | None) -> str:
        """The receiver's public address with its prefix, for links to its own routes."""
        if self.api_url:
            return self.api_url
        submit = campaign.endpoints.submit if campaign.endpoints else ""
        if submit.startswith(("https://", "http://")) and submit.endswith("/submit"):
            return submit[: -len("/submit")]
        return request.host_url.rstrip("/") + self.prefix if request else ""

    def target(self, request: Request, data: dict, endpoint: str, success: bool,
               page: str | None = None, fragment: str | None = None) -> str:
        """Where a form posted without JavaScript goes next: the page's success_url/redirect
        when it points at an allowed origin (or is a site path), else the default page."""
        campaign = self.campaigns.get(data.get("campaign") if isinstance(data.get("campaign"), str) else "")
        if campaign is None:
            return self.site_url + "/" if self.site_url else "/"
        lang = self._lang(data)
        base = self.public_base(campaign, request)
        default = f"{base}/{campaign.id}/{lang}/{page or PAGES[endpoint]}"
        raw = data.get("redirect") or data.get("success_url") or ""
        url = default
        if isinstance(raw, str) and raw and page is None:
            raw = security.browser_url(raw)  # what a browser would follow: "/\t/x" is "//x"
            if campaign.base_url and self.site_url and raw.startswith(campaign.base_url + "/"):
                raw = self.site_url + raw[len(campaign.base_url):]
            if security.site_path(raw):
                url = base + raw
            elif origin(raw) in self.origins and raw.lower().startswith(("https:", "http:")):
                url = raw
        if fragment:
            url = url.split("#", 1)[0] + "#" + fragment
        elif not success:
            url = url.split("#", 1)[0]
        elif url == default and endpoint in SUCCESS_STATES:
            url = f"{default}#{SUCCESS_STATES[endpoint]}"
        return url


def json_response(body: dict, status: int) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")


def redirect(url: str) -> Response:
    response = Response(status=303)
    response.headers["Location"] = iri_to_uri(url)
    return response


def _split(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


def load_campaigns(project: Project, paths=None) -> list[Campaign]:
    """Campaign files or folders (str, Path or a list of them; default: the project's) ->
    validated campaigns."""
    items = _split(paths) if isinstance(paths, str) else [paths] if isinstance(paths, Path) else list(paths or [])
    if items and all(isinstance(item, Campaign) for item in items):
        return items
    return load_all(campaign_files([Path(item) for item in items] or [project.campaigns_dir]), project)


def create_app(campaigns=None, ledger=None, origins=None, site_url: str = "",
               token_hours: float = 48, prefix: str = "/api", proxies: int = 0,
               limits: Limits | None = None, clock=now_utc, on_message=None, project: Project | None = None,
               senders=None, api_url: str | None = None, purge_interval: float | None = None,
               allowed_hosts=None, trusted_proxies=None, body_timeout: float = 10):
    """The WSGI app for a production server. Arguments fall back to environment variables
    OPTIN_CONFIG (the project file; default: optin.toml in the working folder or above),
    OPTIN_CAMPAIGNS (default: the project's campaigns), OPTIN_LEDGER (an SQLite file or a
    postgresql:// URL; default: OPTIN_DATABASE_URL, else the project's [receiver] database or
    ledger, with [receiver] key_file of optin.toml), OPTIN_ORIGINS
    (comma-separated), OPTIN_TOKEN_HOURS, OPTIN_PREFIX, OPTIN_PROXIES (number of trusted
    reverse proxies in front), OPTIN_API_URL (the receiver's public address with the prefix,
    default [receiver] api_url). The senders come from [receiver.whatsapp], [receiver.sms]
    and [receiver.email] (senders/settings.py; secrets from the environment). The ledger is
    purged every `purge_interval` seconds (OPTIN_PURGE_INTERVAL, [receiver] purge_interval;
    0: never; scheduler.py); [receiver.backoffice] mounts access/erase (backoffice.py).
    OPTIN_ALLOWED_HOSTS, OPTIN_TRUSTED_PROXIES, OPTIN_BODY_TIMEOUT: see docs/operator.md."""
    env = os.environ
    if project is None:
        config = env.get("OPTIN_CONFIG")
        project = Project.find(config=Path(config) if config else None)
    campaigns = env.get("OPTIN_CAMPAIGNS", campaigns) if campaigns is None else campaigns
    ledger = env.get("OPTIN_LEDGER", ledger) if ledger is None else ledger
    origins = _split(origins if origins is not None else env.get("OPTIN_ORIGINS"))
    token_hours = float(env.get("OPTIN_TOKEN_HOURS", token_hours))
    prefix = env.get("OPTIN_PREFIX", prefix)
    proxies = int(env.get("OPTIN_PROXIES", proxies))
    if senders is None:
        from .senders import from_settings

        senders = from_settings(project.receiver, env)
    api_url = api_url if api_url is not None else env.get("OPTIN_API_URL", project.receiver.get("api_url", ""))
    ledger = ledger if isinstance(ledger, Ledger) else Ledger.of_project(project, ledger)
    app = Receiver(load_campaigns(project, campaigns), ledger, project.locales, origins=origins, site_url=site_url, token_ttl=timedelta(hours=token_hours),
                   prefix=prefix, limits=limits, clock=clock, on_message=on_message, senders=senders,
                   api_url=api_url, allowed_hosts=env.get("OPTIN_ALLOWED_HOSTS") if allowed_hosts is None else allowed_hosts,
                   body_timeout=float(env.get("OPTIN_BODY_TIMEOUT", body_timeout)), theme_dirs=project.theme_dirs)
    from . import backoffice, scheduler

    backoffice.mount(app, project.receiver, env)
    app.purger = scheduler.start_purging(app, project.receiver, env, purge_interval)
    if proxies:  # X-Forwarded-* believed only from the proxies' own addresses
        return security.TrustedProxies(app, proxies, trusted_proxies or env.get("OPTIN_TRUSTED_PROXIES")
                                       or env.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1")
    return app
