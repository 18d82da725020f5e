"""SMS through Twilio's Messages API: POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json,
form-encoded To, From (or MessagingServiceSid), Body and optional StatusCallback, HTTP basic auth
with the Account SID and Auth Token. A 201 answer names the message's SID ("SM…")."""
from __future__ import annotations

import re
import urllib.parse

from .base import FAILED, SENT, Delivery, Permanent, Retry, Sender, basic_auth, check_base_url, post

ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
BODY_MAX = 1600  # Twilio refuses longer bodies


class TwilioSMS(Sender):
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, *, sender: str | None = None,
                 messaging_service_sid: str | None = None, status_callback: str | None = None,
                 base_url: str = "https://api.twilio.com", timeout: float = 10.0, retry: Retry | None = None,
                 webhook_url: str | None = None):
        if not ACCOUNT_SID.match(account_sid or ""):
            raise ValueError(f"twilio account_sid {account_sid!r}: 'AC' and 32 hexadecimal digits")
        if bool(sender) == bool(messaging_service_sid):
            raise ValueError("twilio: give exactly one of from (a number or sender id) and messaging_service_sid")
        if messaging_service_sid and not SERVICE_SID.match(messaging_service_sid):
            raise ValueError(f"twilio messaging_service_sid {messaging_service_sid!r}: 'MG' and 32 hexadecimal digits")
        self.url = f"{check_base_url(base_url, 'twilio base_url')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.account_sid, self.auth_token = account_sid, auth_token
        self.sender, self.service = sender, messaging_service_sid
        self.status_callback = check_base_url(status_callback, "twilio status_callback") if status_callback else None
        self.timeout, self.retry = timeout, retry or Retry()
        # the inbound webhook's public URL exactly as configured at Twilio (the signature covers
        # it; behind a proxy the Host a request shows may differ): for generator.receiver.webhooks
        self.webhook_url = check_base_url(webhook_url, "twilio webhook_url") if webhook_url else None

    def form(self, message) -> dict[str, str]:
        to = str(message.recipient).strip()
        if not E164.match(to):
            raise Permanent(f"{to!r} is not an E.164 phone number")
        if len(message.body) > BODY_MAX:
            raise Permanent(f"SMS body of {len(message.body)} characters, at most {BODY_MAX}")
        fields = {"To": to, "Body": message.body}
        fields.update({"From": self.sender} if self.sender else {"MessagingServiceSid": self.service})
        if self.status_callback:
            fields["StatusCallback"] = self.status_callback
        return fields

    def send(self, message) -> Delivery:
        try:
            body = urllib.parse.urlencode(self.form(message)).encode("ascii")
        except Permanent as exc:
            return Delivery(None, FAILED, str(exc), 0)
        headers = {"Authorization": basic_auth(self.account_sid, self.auth_token),
                   "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}

        def attempt() -> Delivery:
            _, answer = post(self.url, body, headers, self.timeout, describe)
            sid = answer.get("sid")
            if not isinstance(sid, str) or not sid:
                raise Permanent("the answer names no message sid")
            if answer.get("status") == "failed":
                return Delivery(sid, FAILED, describe(0, answer))
            return Delivery(sid, SENT)

        return self.retry.run(attempt)

    def suppress(self, contact: str) -> Delivery:
        # Twilio keeps its own opt-out list from the keywords people text to its numbers and
        # offers no call to add a number to it: nothing to hand over here.
        return super().suppress(contact)


def describe(status: int, answer: dict) -> str:
    parts = [str(answer.get(k)) for k in ("message", "code") if answer.get(k) not in (None, "")]
    if answer.get("error_message"):
        parts.append(str(answer["error_message"]))
    return " / ".join(parts) or "no error detail"
