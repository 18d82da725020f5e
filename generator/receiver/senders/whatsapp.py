"""WhatsApp Cloud API (Meta Graph API): POST {base}/{version}/{phone_number_id}/messages with a
bearer token and a JSON body.

A business-initiated message must be an approved template: the confirmation request goes out as
the template written by the build (site/<campaign>/whatsapp-templates.json, one per locale) with
its body parameters in order ({{1}} link, {{2}} code, {{3}} duration, {{4}} the recipient's own
withdraw link) and the part of the link after "confirm.html?" as the URL button's parameter.
The opt-out reply answers a message the person just sent, inside WhatsApp's customer-service
window, so it is a plain text message; so is the notice after a withdrawal, which Meta delivers
only inside that window (outside it the delivery is recorded as failed).
"""
from __future__ import annotations

import json

from generator.site.whatsapp import META_LANGUAGES, template_name
from .base import FAILED, SENT, Delivery, Permanent, Retry, Sender, attr, check_base_url, post

BODY_PARAMETERS = ("link", "code", "duration", "stop_url")  # the order of the build's template body
TEXT_MAX = 4096  # Meta's limit for a text message body


class WhatsAppCloud(Sender):
    name = "cloud-api"

    def __init__(self, phone_number_id: str, token: str, *, base_url: str = "https://graph.facebook.com",
                 api_version: str = "v21.0", template: str | None = None,
                 body_parameters=BODY_PARAMETERS, url_button: bool = True, languages: dict | None = None,
                 timeout: float = 10.0, retry: Retry | None = None, app_secret: str | None = None,
                 verify_token: str | None = None):
        if not str(phone_number_id).isdigit():
            raise ValueError(f"whatsapp phone_number_id {phone_number_id!r}: the digits Meta shows for the number")
        self.url = f"{check_base_url(base_url, 'whatsapp base_url')}/{api_version}/{phone_number_id}/messages"
        self.token, self.template, self.timeout = token, template, timeout
        self.body_parameters, self.url_button = tuple(body_parameters), url_button
        self.languages = {**META_LANGUAGES, **(languages or {})}
        self.retry = retry or Retry()
        # for the webhooks (generator.receiver.webhooks): not used to send
        self.app_secret, self.verify_token = app_secret, verify_token

    # -- the request -------------------------------------------------------------------------
    def payload(self, message) -> dict:
        to = digits(message.recipient)
        kind = attr(message, "kind", "confirmation" if attr(message, "link") else "text")
        if kind == "confirmation":
            return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                    "type": "template", "template": self.template_of(message)}
        if kind in ("opt_out_reply", "withdrawal", "text"):
            body = message.body
            if len(body) > TEXT_MAX:
                raise Permanent(f"text message of {len(body)} characters, at most {TEXT_MAX}")
            return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                    "type": "text", "text": {"preview_url": False, "body": body}}
        # outside the customer-service window only a template may go out, and the build writes
        # one for the confirmation only
        raise Permanent(f"no approved WhatsApp template for a {kind!r} message")

    def template_of(self, message) -> dict:
        campaign, locale = attr(message, "campaign"), attr(message, "locale")
        name = self.template or (template_name(_Named(campaign)) if campaign else None)
        if not name or not locale:
            raise Permanent("a template message needs the campaign (or template = …) and the locale")
        parameters = []
        for index, key in enumerate(self.body_parameters, 1):
            value = attr(message, key)
            if value is None:
                raise Permanent(f"template parameter {{{{{index}}}}} needs the message's {key!r}")
            parameters.append({"type": "text", "text": str(value)})
        components: list[dict] = [{"type": "body", "parameters": parameters}] if parameters else []
        link = attr(message, "link")
        if self.url_button and link and "?" in link:
            components.append({"type": "button", "sub_type": "url", "index": "0",
                               "parameters": [{"type": "text", "text": link.split("?", 1)[1]}]})
        language = self.languages.get(locale, locale.replace("-", "_"))
        return {"name": name, "language": {"code": language}, "components": components}

    # -- sending -----------------------------------------------------------------------------
    def send(self, message) -> Delivery:
        try:
            body = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        except Permanent as exc:
            return Delivery(None, FAILED, str(exc), 0)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                   "Accept": "application/json"}

        def attempt() -> Delivery:
            _, answer = post(self.url, body, headers, self.timeout, describe)
            ids = [m.get("id") for m in answer.get("messages", []) if isinstance(m, dict)]
            if not ids or not ids[0]:
                raise Permanent("the answer names no message id")
            return Delivery(ids[0], SENT)

        return self.retry.run(attempt)

    def suppress(self, contact: str) -> Delivery:
        # The Cloud API has no opt-out list; its block_users call would also stop the person
        # from writing to the business (and so from asking to sign up again). Not sending is
        # the ledger's job: a withdrawn contact gets no template.
        return super().suppress(contact)


class _Named:
    def __init__(self, campaign_id: str):
        self.id = campaign_id


def digits(phone: str) -> str:
    """Meta's `to`: the E.164 number without '+' (the form webhooks name it in, as wa_id)."""
    value = "".join(ch for ch in str(phone) if ch.isdigit())
    if not 7 <= len(value) <= 15:
        raise Permanent(f"{phone!r} is not an international phone number")
    return value


def describe(status: int, answer: dict) -> str:
    error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
    parts = [str(error.get(k)) for k in ("message", "code", "error_subcode") if error.get(k) is not None]
    return " / ".join(parts) or "no error detail"
