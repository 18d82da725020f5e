"""Back-office endpoints for a person's requests (off by default): what `optin ledger access`
and `optin ledger erase` print, over HTTP, for a support tool that must not log in to the
server.

    [receiver.backoffice]
    token_env = "OPTIN_BACKOFFICE_TOKEN"   # names the environment variable; the token is never here

    GET  {prefix}/backoffice/access?contact=+4791234567   Authorization: Bearer <token>
    POST {prefix}/backoffice/erase   {"contact": "...", "reason": "..."}   (JSON or a form)
    POST {prefix}/backoffice/rectify {"contact": OLD, "to": NEW, "reason": "..."}   (rectify.py)

Without the table the routes do not exist (404). A missing or wrong token is 401 JSON; the
check compares SHA-256 digests with hmac.compare_digest (no timing leak of the token's
length or prefix), and wrong tokens count against the address's wrong-code limit (429 when
used up). Neither the token nor the contact is ever logged.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Mapping

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from generator.errors import OptinError

from . import export, retention

log = logging.getLogger("optin.receiver")
KEYS = {"token_env"}
MIN_TOKEN = 32  # characters: a token that can be guessed is no lock
MAX_BODY = 16 * 1024


def _json(body: dict, status: int = 200, **headers) -> Response:
    text = json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    response = Response(text, status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


def _error(status: int, code: str, message: str, field: str | None = None, **headers) -> Response:
    return _json({"error": code, "message": message, "field": field}, status, **headers)


class Backoffice:
    def __init__(self, token: str):
        self._digest = hashlib.sha256(token.encode("utf-8")).digest()

    def _refused(self, receiver, request: Request) -> Response | None:
        """None when the request carries the token; else the answer to give."""
        fails = ("backoffice", request.remote_addr)
        limit = receiver.limits.wrong_codes
        wait = receiver.limiter.blocked(fails, limit)
        if wait:
            return _error(429, "rate_limited", "too many wrong tokens from this address",
                          Retry_After=str(int(wait)))
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        presented = hashlib.sha256(given.strip().encode("utf-8")).digest()
        if scheme.lower() == "bearer" and hmac.compare_digest(presented, self._digest):
            return None
        receiver.limiter.add(fails, limit)
        return _error(401, "unauthorized", "send the back-office token as 'Authorization: Bearer <token>'",
                      WWW_Authenticate='Bearer realm="optin back office"')

    def access(self, receiver, request: Request) -> Response:
        refused = self._refused(receiver, request)
        if refused is not None:
            return refused
        contact = request.args.get("contact", "")
        try:
            return _json(export.access(receiver.ledger, contact))
        except OptinError as exc:
            return _error(400, "invalid_contact", str(exc), "contact")

    def erase(self, receiver, request: Request) -> Response:
        refused = self._refused(receiver, request)
        if refused is not None:
            return refused
        if (request.content_length or 0) > MAX_BODY:
            return _error(413, "too_large", f"the body is limited to {MAX_BODY} bytes")
        if request.mimetype == "application/json":
            data = request.get_json(silent=True)
            if not isinstance(data, dict):
                return _error(400, "bad_request", "the body must be a JSON object")
        else:
            data = request.form.to_dict()
        contact, reason = data.get("contact"), data.get("reason") or "request"
        if not isinstance(contact, str) or not isinstance(reason, str) or len(reason) > 200:
            return _error(400, "bad_request", "give `contact` (text) and optionally `reason` (up to 200 characters)",
                          "contact")
        try:
            report = retention.erase(receiver.ledger, contact, reason)
        except OptinError as exc:
            return _error(400, "invalid_contact", str(exc), "contact")
        report["suppression"] = retention.suppress_everywhere(receiver.senders, contact)
        log.info("back office: erased %d record(s)", report["records"])
        return _json(report)

    def rectify(self, receiver, request: Request) -> Response:
        from .rectify import answer

        refused = self._refused(receiver, request)
        if refused is not None:
            return refused
        status, body = answer(receiver, request, MAX_BODY)
        if status == 200:
            log.info("back office: rectified %d record(s)", len(body["rectified"]))
        return _json(body, status)


def mount(receiver, settings: Mapping, env: Mapping[str, str]) -> Backoffice | None:
    """Add the routes to `receiver` when [receiver.backoffice] is set; a table that cannot work
    (no token, a short one, unknown keys) stops the start, naming the setting."""
    table = settings.get("backoffice")
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise OptinError("[receiver.backoffice] must be a table with token_env = \"NAME_OF_A_VARIABLE\"")
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise OptinError(f"[receiver.backoffice] does not know {', '.join(unknown)} (it takes token_env)")
    name = table.get("token_env")
    if not isinstance(name, str) or not name.strip():
        raise OptinError("[receiver.backoffice] needs token_env, the name of the variable holding the token")
    token = (env.get(name) or "").strip()
    if len(token) < MIN_TOKEN:
        raise OptinError(f"[receiver.backoffice] token_env names {name}: set it to a token of at least "
                         f"{MIN_TOKEN} characters (e.g. openssl rand -hex 32)")
    office = Backoffice(token)
    for name_, handler, method in (("access", office.access, "GET"), ("erase", office.erase, "POST"),
                                   ("rectify", office.rectify, "POST")):
        endpoint = f"backoffice_{name_}"
        receiver.url_map.add(Rule(f"{receiver.prefix}/backoffice/{name_}", endpoint=endpoint, methods=[method]))
        receiver.routes[endpoint] = (handler, [method])
    return office
