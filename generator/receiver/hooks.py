"""The routes the providers and mail clients call (no browser, no Origin, no CORS):

    GET  {prefix}/hooks/whatsapp   Meta's verification handshake (hub.verify_token)
    POST {prefix}/hooks/whatsapp   messages and delivery statuses, X-Hub-Signature-256
    POST {prefix}/hooks/twilio     inbound SMS, X-Twilio-Signature
    POST {prefix}/unsubscribe?t=…  RFC 8058 one-click unsubscribe (the token is the credential)

A missing signature is 401 and a wrong one 403, before anything is parsed or stored. Valid
webhooks answer 200 whatever they contained (a provider retries anything else).
"""
from __future__ import annotations

import logging

from werkzeug.wrappers import Request, Response

from . import webhooks
from .replies import TOKEN_SHAPE

log = logging.getLogger("optin.receiver")
MAX_HOOK_BODY = 256 * 1024  # Meta batches up to 1000 updates; far below this in practice
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def text(body: str, status: int = 200, mimetype: str = "text/plain") -> Response:
    response = Response(body, status, mimetype=mimetype)
    response.headers["Cache-Control"] = "no-store"
    return response


def _raw(request: Request) -> bytes | None:
    if (request.content_length or 0) > MAX_HOOK_BODY:
        return None
    return request.get_data(cache=True)[: MAX_HOOK_BODY + 1]


def whatsapp(receiver, request: Request) -> Response:
    sender = receiver.senders["whatsapp"]
    if request.method == "GET":
        challenge = webhooks.whatsapp_handshake(request.args, getattr(sender, "verify_token", None))
        return text(challenge) if challenge is not None else text("forbidden\n", 403)
    raw = _raw(request)
    if raw is None or len(raw) > MAX_HOOK_BODY:
        return text("too large\n", 413)
    header = request.headers.get("X-Hub-Signature-256")
    if not header:
        return text("signature missing\n", 401)
    if not webhooks.valid_meta_signature(raw, header, getattr(sender, "app_secret", None)):
        return text("signature invalid\n", 403)
    for message in webhooks.whatsapp_messages(raw):
        log.info("whatsapp reply %s: %s", message.id, receiver.replies.inbound(message))
    statuses = webhooks.whatsapp_statuses(raw)
    if statuses:
        receiver.postman.statuses(statuses)
    return text("ok\n")


def twilio(receiver, request: Request) -> Response:
    sender = receiver.senders["sms"]
    raw = _raw(request)
    if raw is None or len(raw) > MAX_HOOK_BODY:
        return text("too large\n", 413)
    header = request.headers.get("X-Twilio-Signature")
    if not header:
        return text("signature missing\n", 401)
    url = getattr(sender, "webhook_url", None) or request.url
    if not webhooks.valid_twilio_signature(url, request.form, header, getattr(sender, "auth_token", None)):
        return text("signature invalid\n", 403)
    message = webhooks.twilio_message(request.form)
    if message is not None:
        log.info("sms reply %s: %s", message.id, receiver.replies.inbound(message))
    # the opt-out reply goes out through the Messages API (and is recorded), not as TwiML
    return text(EMPTY_TWIML, mimetype="text/xml")


def unsubscribe(receiver, request: Request) -> Response:
    token = request.args.get("t", "")
    if not TOKEN_SHAPE.match(token):
        return text("not an unsubscribe link\n", 400)
    if request.method != "POST":
        # RFC 8058: a GET (a mail scanner following the link) must not unsubscribe
        return text("send a POST (List-Unsubscribe=One-Click) to unsubscribe\n", 405)
    wait = receiver.limiter.hit(("address", request.remote_addr), receiver.limits.per_address)
    if wait:
        response = text("too many requests\n", 429)
        response.headers["Retry-After"] = str(int(wait))
        return response
    receiver.replies.unsubscribe(token)
    # the same answer for every token of the right shape: the link reveals nothing
    return text("unsubscribed\n")


ROUTES = {"hooks/whatsapp": (whatsapp, ["GET", "POST"]), "hooks/twilio": (twilio, ["POST"]),
          "unsubscribe": (unsubscribe, ["GET", "POST"])}
