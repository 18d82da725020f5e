"""The routes the providers and mail clients call (no browser, no Origin, no CORS):

    GET  {prefix}/hooks/whatsapp   Meta's verification handshake (hub.verify_token)
    POST {prefix}/hooks/whatsapp   messages and delivery statuses, X-Hub-Signature-256
    POST {prefix}/hooks/twilio     inbound SMS, X-Twilio-Signature
    GET  {prefix}/unsubscribe?t=…  a message's withdraw link: a page with a button, nothing more
    POST {prefix}/unsubscribe?t=…  that button, or RFC 8058 one-click (the token is the credential)

A missing signature is 401 and a wrong one 403, before anything is parsed or stored. Valid
webhooks answer 200 whatever they contained (a provider retries anything else).
"""
from __future__ import annotations

import logging

from werkzeug.wrappers import Request, Response

from . import evidence, webhooks
from generator.urls import campaign_page

from .look import Look
from .messages import stop_page
from .replies import LINK_METHOD, ONE_CLICK_METHOD, TOKEN_SHAPE

log = logging.getLogger("optin.receiver")
MAX_HOOK_BODY = 256 * 1024  # Meta batches up to 1000 updates; far below this in practice
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
STOP_CSP = "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"


def text(body: str, status: int = 200, mimetype: str = "text/plain") -> Response:
    response = Response(body, status, mimetype=mimetype)
    response.headers["Cache-Control"] = "no-store"
    return response


def _raw(request: Request) -> bytes | Response:
    """The body, or the answer when it is too large or cannot be read."""
    if (request.content_length or 0) > MAX_HOOK_BODY:
        return text("too large\n", 413)
    try:
        raw = request.get_data(cache=True)[: MAX_HOOK_BODY + 1]
    except Exception as exc:  # noqa: BLE001 - the connection failed (client gone, broken chunking), not the receiver
        log.warning("webhook body from %s unreadable (%s)", request.remote_addr, type(exc).__name__)
        return text("body unreadable\n", 400)
    return raw if len(raw) <= MAX_HOOK_BODY else text("too large\n", 413)


def _refused(receiver, channel: str, reason: str, body: str, status: int) -> Response:
    """A webhook whose signature is missing or wrong (or a failed handshake): an event in the
    security log, then the answer."""
    receiver.security.event("webhook_signature" if reason != "verify_token" else "webhook_verify_failed",
                            channel=channel, reason=reason)
    return text(body, status)


def whatsapp(receiver, request: Request) -> Response:
    sender = receiver.senders["whatsapp"]
    if request.method == "GET":
        challenge = webhooks.whatsapp_handshake(request.args, getattr(sender, "verify_token", None))
        return text(challenge) if challenge is not None else _refused(receiver, "whatsapp", "verify_token",
                                                                      "forbidden\n", 403)
    raw = _raw(request)
    if isinstance(raw, Response):
        return raw
    header = request.headers.get("X-Hub-Signature-256")
    if not header:
        return _refused(receiver, "whatsapp", "missing", "signature missing\n", 401)
    if not webhooks.valid_meta_signature(raw, header, getattr(sender, "app_secret", None)):
        return _refused(receiver, "whatsapp", "invalid", "signature invalid\n", 403)
    for message in webhooks.whatsapp_messages(raw):
        log.info("whatsapp reply %s: %s", message.id, receiver.replies.inbound(message))
    statuses = webhooks.whatsapp_statuses(raw)
    if statuses:
        receiver.postman.statuses(statuses)
    return text("ok\n")


def twilio(receiver, request: Request) -> Response:
    sender = receiver.senders["sms"]
    raw = _raw(request)
    if isinstance(raw, Response):
        return raw
    header = request.headers.get("X-Twilio-Signature")
    if not header:
        return _refused(receiver, "sms", "missing", "signature missing\n", 401)
    url = getattr(sender, "webhook_url", None) or request.url
    if not webhooks.valid_twilio_signature(url, request.form, header, getattr(sender, "auth_token", None)):
        return _refused(receiver, "sms", "invalid", "signature invalid\n", 403)
    message = webhooks.twilio_message(request.form)
    if message is not None:
        log.info("sms reply %s: %s", message.id, receiver.replies.inbound(message))
    # the opt-out reply goes out through the Messages API (and is recorded), not as TwiML
    return text(EMPTY_TWIML, mimetype="text/xml")


def unsubscribe(receiver, request: Request) -> Response:
    token = request.args.get("t", "")
    if not TOKEN_SHAPE.match(token):
        return text("not an unsubscribe link\n", 400)
    wait = receiver.limiter.hit(("address", request.remote_addr), receiver.limits.per_address)
    if wait:
        response = text("too many requests\n", 429)
        response.headers["Retry-After"] = str(int(wait))
        return response
    one_click = request.method == "POST" and request.form.get("List-Unsubscribe") == "One-Click"
    if one_click:
        receiver.replies.unsubscribe(token, ONE_CLICK_METHOD, evidence.of_request(request))
        # the same answer for every token of the right shape: the link reveals nothing
        return text("unsubscribed\n")
    # a person with the link in a browser. GET only shows the button: mail scanners and link
    # previews fetch links, and must never withdraw anything
    found = receiver.replies.link(token)
    campaign = receiver.campaigns.get(found[0]["campaign"]) if found else None
    lang = found[0]["locale"] if campaign else "en"
    t = receiver.locales.translations(lang)
    base = receiver.public_base(campaign, request) if campaign else ""
    look = receiver.looks.of(campaign, campaign_page(base, campaign.id, lang, "index.html") if base else "")
    if campaign is None:
        return page(stop_page(t, lang, "invalid", look), lang, look, 404)
    if request.method == "POST":
        done = receiver.replies.unsubscribe(token, LINK_METHOD, evidence.of_request(request))
        return page(stop_page(t, lang, "done" if done else "nothing", look, campaign, done), lang, look)
    state = "ask" if found[1] else "nothing"
    return page(stop_page(t, lang, state, look, campaign, found[1], action=f"?t={token}"), lang, look)


def page(html: str, lang: str, look: Look, status: int = 200, policy: str = STOP_CSP) -> Response:
    """One of the receiver's HTML pages; `policy` is its CSP, to which the page's inline
    stylesheet is added by its hash."""
    response = text(html, status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = look.csp(policy)
    response.headers["Content-Language"] = lang
    response.headers["Referrer-Policy"] = "no-referrer"  # the address holds the token
    response.headers["X-Robots-Tag"] = "noindex"
    return response


ROUTES = {"hooks/whatsapp": (whatsapp, ["GET", "POST"]), "hooks/twilio": (twilio, ["POST"]),
          "unsubscribe": (unsubscribe, ["GET", "POST"])}
