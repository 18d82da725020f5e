"""`optin serve`: one WSGI app on 127.0.0.1 for the built site, the receiver (/api/...) and a
local outbox page (/_outbox, /_outbox.json) showing the confirmation messages "sent"."""
from __future__ import annotations

import json
from pathlib import Path

from werkzeug.security import safe_join
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from generator.urls import campaign_page

from . import security
from .app import Receiver
from .messages import outbox_page

OUTBOX_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'"


class LocalSite:
    def __init__(self, site_dir: Path, receiver: Receiver, prefix: str = "/api"):
        self.site_dir = Path(site_dir)
        self.receiver = receiver
        self.prefix = prefix.rstrip("/") + "/"

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "/")
        if path.startswith(self.prefix):
            return self.receiver(environ, start_response)
        request = Request(environ)
        refused = security.refusal(self.receiver.security, request, self.receiver.allowed_hosts)
        if refused:  # another name resolving to 127.0.0.1 (DNS rebinding) must not read the outbox
            response = Response(json.dumps(refused.body()), refused.status, mimetype="application/json")
        elif path in ("/_outbox", "/_outbox/"):
            response = self.outbox_page()
        elif path == "/_outbox.json":
            response = Response(json.dumps([dict(r) for r in self.receiver.ledger.outbox()], ensure_ascii=False),
                                mimetype="application/json")
        elif request.method not in ("GET", "HEAD"):
            response = Response("method not allowed\n", 405, mimetype="text/plain")
        else:
            response = self.static(request)
        response.headers["Cache-Control"] = "no-store"
        return response(environ, start_response)

    def static(self, request: Request) -> Response:
        rel = request.path.lstrip("/")
        full = safe_join(str(self.site_dir), rel) if rel else str(self.site_dir)
        if full is None:
            return Response("not found\n", 404, mimetype="text/plain")
        target = Path(full)
        if target.is_dir():
            if not request.path.endswith("/"):
                response = Response(status=301)
                response.headers["Location"] = request.path + "/"
                return response
            target = target / "index.html"
        if not target.is_file():
            return Response("not found\n", 404, mimetype="text/plain")
        return send_file(target, request.environ, max_age=0)

    def outbox_page(self) -> Response:
        """In the campaign's look when the project has one campaign, else the default theme's
        (each message links to its campaign's signup page); in the campaigns' default locale
        when they share one, else English."""
        campaigns = self.receiver.campaigns
        defaults = {c.default_locale for c in campaigns.values()}
        lang = defaults.pop() if len(defaults) == 1 else "en"
        only = next(iter(campaigns.values())) if len(campaigns) == 1 else None
        look = self.receiver.looks.of(only, campaign_page("", only.id, only.default_locale, "index.html") if only else "")
        html = outbox_page(self.receiver.locales.translations(lang), lang, self.receiver.ledger.outbox(), campaigns, look)
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = look.csp(OUTBOX_CSP)
        response.headers["Content-Language"] = lang
        return response
