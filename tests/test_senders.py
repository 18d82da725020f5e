"""The senders against local fakes of the providers (127.0.0.1 only): the WhatsApp Cloud API and
Twilio as WSGI apps that check each request as documented, SMTP as a real aiosmtpd server."""
from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import pytest

from generator.receiver.messages import Message
from generator.receiver.senders import DEFERRED, FAILED, OUTBOX, SENT, Retry, SenderSettingsError, from_settings
from generator.receiver.senders.base import basic_auth
from generator.receiver.senders.smtp import SMTPSender
from generator.receiver.senders.twilio import TwilioSMS
from generator.receiver.senders.whatsapp import WhatsAppCloud
from support.fakes import MetaFake, SMTPFake, TwilioFake, free_port, self_signed

LINK = "https://offers.example.no/spring-offers/nb/confirm.html?t=q8Xv2LmR7tKp4WzN1cYb6HsJ0dFgA3eU5iOo9rTyVnM&p=news"
STOP = "https://offers.example.no/api/unsubscribe?t=Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9"
BODY = "Kari's Bakeri: bekreft påmeldingen\n\nBekreft her: " + LINK + "\nKode: 7K3M-Q9XD\nSvar STOPP for å stoppe. ÆØÅ æøå"


@dataclass(frozen=True)
class Outgoing:
    channel: str
    recipient: str
    body: str = BODY
    campaign: str = "spring-offers"
    locale: str = "nb"
    kind: str = "confirmation"
    link: str = LINK
    code: str = "7K3M-Q9XD"
    duration: str = "48 timer"
    unsubscribe_url: str | None = None
    stop_url: str = STOP
    values: dict = field(default_factory=dict)


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def meta():
    with MetaFake() as fake:
        yield fake
    assert fake.problems == []


@pytest.fixture
def twilio():
    with TwilioFake() as fake:
        yield fake
    assert fake.problems == []


def whatsapp(fake, sleeps, **options):
    return WhatsAppCloud(fake.phone_number_id, options.pop("token", fake.token), base_url=fake.url,
                         api_version=fake.version, retry=Retry(sleep=sleeps), timeout=options.pop("timeout", 5),
                         **options)


# -- WhatsApp -----------------------------------------------------------------------------
def test_whatsapp_confirmation_is_the_approved_template(meta, sleeps):
    delivery = whatsapp(meta, sleeps).send(Outgoing("whatsapp", "+4791234567"))
    assert (delivery.status, delivery.error, delivery.attempts) == (SENT, None, 1)
    [request] = meta.requests
    assert delivery.provider_id == request["id"] and delivery.provider_id.startswith("wamid.")
    assert request["headers"]["Authorization"] == "Bearer EAAtest"
    body = request["json"]
    assert body["to"] == "4791234567" and body["type"] == "template"
    template = body["template"]
    assert template["name"] == "spring_offers_confirmation"  # the build's name for the campaign
    assert template["language"] == {"code": "nb"}
    assert template["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": LINK}, {"type": "text", "text": "7K3M-Q9XD"},
                                        {"type": "text", "text": "48 timer"}, {"type": "text", "text": STOP}]},
        {"type": "button", "sub_type": "url", "index": "0",
         "parameters": [{"type": "text", "text": LINK.split("?", 1)[1]}]}]
    assert sleeps == []


def test_whatsapp_template_name_and_meta_language_codes(meta, sleeps):
    sender = whatsapp(meta, sleeps, template="bakery_confirm", url_button=False)
    assert sender.send(Outgoing("whatsapp", "+60123456789", locale="en")).status == SENT
    template = meta.requests[0]["json"]["template"]
    assert (template["name"], template["language"]["code"]) == ("bakery_confirm", "en_GB")
    assert [c["type"] for c in template["components"]] == ["body"]


def test_whatsapp_opt_out_reply_is_a_text_message(meta, sleeps):
    reply = Outgoing("whatsapp", "+4791234567", body="Kari's Bakeri: du er avmeldt.", kind="opt_out_reply")
    assert whatsapp(meta, sleeps).send(reply).status == SENT
    body = meta.requests[0]["json"]
    assert body["type"] == "text" and body["text"] == {"preview_url": False, "body": "Kari's Bakeri: du er avmeldt."}


def test_whatsapp_needs_every_template_parameter(meta, sleeps):
    # the receiver's Message has no duration yet: the adapter says so instead of sending a
    # template Meta would refuse for a wrong parameter count
    message = Message("spring-offers", "nb", "whatsapp", "+4791234567", BODY, LINK, "7K3M-Q9XD")
    delivery = whatsapp(meta, sleeps).send(message)
    assert delivery.status == FAILED and "'duration'" in delivery.error and meta.hits == 0
    # a message without an approved template (the acknowledgement) is not sent either
    ack = whatsapp(meta, sleeps).send(Outgoing("whatsapp", "+4791234567", kind="subscribed"))
    assert ack.status == FAILED and "template" in ack.error and meta.hits == 0


def test_whatsapp_refused_token_is_not_retried(meta, sleeps):
    delivery = whatsapp(meta, sleeps, token="wrong").send(Outgoing("whatsapp", "+4791234567"))
    assert (delivery.status, delivery.attempts) == (FAILED, 1)
    assert "HTTP 401" in delivery.error and "Invalid OAuth access token" in delivery.error
    assert meta.rejected == [401] and sleeps == []


# -- retries ------------------------------------------------------------------------------
def test_5xx_is_retried_with_exponential_back_off(meta, sleeps):
    meta.script = ["500", "503"]
    delivery = whatsapp(meta, sleeps).send(Outgoing("whatsapp", "+4791234567"))
    assert (delivery.status, delivery.attempts) == (SENT, 3)
    assert sleeps == [0.5, 1.0] and meta.hits == 3 and len(meta.requests) == 1


def test_retries_are_bounded_and_leave_the_delivery_deferred(twilio, sleeps):
    twilio.script = ["500"] * 5
    delivery = sms(twilio, sleeps).send(Outgoing("sms", "+4791234567"))
    assert (delivery.status, delivery.attempts, delivery.provider_id) == (DEFERRED, 3, None)
    assert "HTTP 500" in delivery.error and "Internal Server Error" in delivery.error
    assert twilio.hits == 3 and sleeps == [0.5, 1.0]


def test_a_timeout_is_retried(meta, sleeps):
    meta.script = ["timeout"]
    delivery = whatsapp(meta, sleeps, timeout=0.3).send(Outgoing("whatsapp", "+4791234567"))
    assert (delivery.status, delivery.attempts) == (SENT, 2) and sleeps == [0.5]


def test_429_waits_as_asked_within_the_cap(twilio, sleeps):
    twilio.script = ["429"]
    assert sms(twilio, sleeps).send(Outgoing("sms", "+4791234567")).status == SENT
    assert sleeps == [1.0]  # Retry-After: 1, more than the first back-off


def test_4xx_is_not_retried(twilio, sleeps):
    twilio.script = ["400"]
    delivery = sms(twilio, sleeps).send(Outgoing("sms", "+4791234567"))
    assert (delivery.status, delivery.attempts) == (FAILED, 1) and "21211" in delivery.error
    assert twilio.hits == 1 and sleeps == []


def test_unreachable_provider_is_deferred(sleeps):
    sender = TwilioSMS("AC" + "0" * 32, "token", sender="+4759440000", base_url=f"http://127.0.0.1:{free_port()}",
                       retry=Retry(sleep=sleeps), timeout=2)
    delivery = sender.send(Outgoing("sms", "+4791234567"))
    assert (delivery.status, delivery.attempts) == (DEFERRED, 3) and sleeps == [0.5, 1.0]


def test_back_off_is_capped():
    retry = Retry(tries=6, base=1.0, cap=3.0)
    assert [retry.delay(n) for n in range(1, 6)] == [1.0, 2.0, 3.0, 3.0, 3.0]
    assert retry.delay(1, hint=60) == 3.0


# -- Twilio -------------------------------------------------------------------------------
def sms(fake, sleeps, **options):
    return TwilioSMS(fake.account_sid, fake.auth_token, base_url=fake.url, retry=Retry(sleep=sleeps),
                     **({"sender": "+4759440000"} | options))


def test_twilio_form_and_basic_auth(twilio, sleeps):
    callback = "https://receiver.example.no/api/hooks/twilio/status"
    delivery = sms(twilio, sleeps, status_callback=callback).send(Outgoing("sms", "+4791234567"))
    [request] = twilio.requests
    assert (delivery.status, delivery.provider_id) == (SENT, request["sid"]) and request["sid"].startswith("SM")
    assert request["form"] == {"To": "+4791234567", "From": "+4759440000", "Body": BODY, "StatusCallback": callback}
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"


def test_twilio_messaging_service(twilio, sleeps):
    service = "MG" + "a" * 32
    sender = sms(twilio, sleeps, sender=None, messaging_service_sid=service)
    assert sender.send(Outgoing("sms", "+60123456789")).status == SENT
    assert twilio.requests[0]["form"]["MessagingServiceSid"] == service
    assert "From" not in twilio.requests[0]["form"]


def test_twilio_wrong_token(twilio, sleeps):
    sender = TwilioSMS(twilio.account_sid, "wrong", sender="+4759440000", base_url=twilio.url, retry=Retry(sleep=sleeps))
    delivery = sender.send(Outgoing("sms", "+4791234567"))
    assert delivery.status == FAILED and "20003" in delivery.error and twilio.rejected == [401]


def test_the_fake_itself_refuses_undocumented_requests(twilio):
    body = urllib.parse.urlencode({"To": "4791234567", "Body": "x", "Sender": "me"}).encode()
    request = urllib.request.Request(f"{twilio.url}/2010-04-01/Accounts/{twilio.account_sid}/Messages.json",
                                     data=body, headers={"Authorization": basic_auth(twilio.account_sid, twilio.auth_token)})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)
    assert raised.value.code == 400
    assert {"unknown field 'Sender'", "To '4791234567': E.164",
            "exactly one of From and MessagingServiceSid"} <= set(twilio.problems)
    twilio.problems.clear()  # seen: the fixture's check is for the adapters' requests


# -- SMTP ---------------------------------------------------------------------------------
UNSUBSCRIBE = "https://offers.example.no/api/unsubscribe?t=Zm9vYmFy"


def mail(fake, sleeps, **options):
    return SMTPSender("127.0.0.1", "hei@bakeri.example.no", port=fake.port, retry=Retry(sleep=sleeps),
                      **({"security": "plain", "sender_name": "Kari's Bakeri"} | options))


def email_message(**values):
    return Outgoing("email", "ola.nordmann@example.no", **({"unsubscribe_url": UNSUBSCRIBE} | values))


def test_smtp_delivers_a_utf8_mime_message_with_one_click_unsubscribe(sleeps):
    with SMTPFake() as fake:
        delivery = mail(fake, sleeps, unsubscribe_mailto="unsubscribe@bakeri.example.no").send(email_message())
    assert delivery.status == SENT
    [(envelope_from, recipients, received)] = fake.messages
    assert (envelope_from, recipients) == ("hei@bakeri.example.no", ["ola.nordmann@example.no"])
    assert received["Message-ID"] == delivery.provider_id
    assert received["From"] == "Kari's Bakeri <hei@bakeri.example.no>"
    assert received["Subject"] == "Kari's Bakeri: bekreft påmeldingen"  # the body's first line
    assert received["List-Unsubscribe"] == (f"<{UNSUBSCRIBE}>, "
                                           "<mailto:unsubscribe@bakeri.example.no?subject=unsubscribe>")
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["Content-Language"] == "nb" and received["Date"]
    assert received.get_content_type() == "text/plain" and received.get_content_charset() == "utf-8"
    assert received["Content-Transfer-Encoding"] == "quoted-printable"
    assert received.get_content().replace("\r\n", "\n").rstrip("\n") == BODY  # CRLF on the wire


def test_smtp_mailto_only_has_no_one_click_header(sleeps):
    with SMTPFake() as fake:
        sender = mail(fake, sleeps, unsubscribe_mailto="unsubscribe@bakeri.example.no")
        assert sender.send(email_message(unsubscribe_url=None)).status == SENT
    received = fake.messages[0][2]
    assert received["List-Unsubscribe"] == "<mailto:unsubscribe@bakeri.example.no?subject=unsubscribe>"
    assert received["List-Unsubscribe-Post"] is None  # RFC 8058: one-click needs an https URI


def test_smtp_refuses_a_message_without_an_unsubscribe_address(sleeps):
    with SMTPFake() as fake:
        delivery = mail(fake, sleeps).send(email_message(unsubscribe_url=None))
    assert delivery.status == FAILED and "List-Unsubscribe" in delivery.error and fake.messages == []


@pytest.mark.parametrize("code, status, attempts", [(550, FAILED, 1), (451, DEFERRED, 3)])
def test_smtp_permanent_and_temporary_refusals(sleeps, code, status, attempts):
    with SMTPFake(refuse=code) as fake:
        delivery = mail(fake, sleeps).send(email_message())
    assert (delivery.status, delivery.attempts) == (status, attempts) and str(code) in delivery.error


@pytest.mark.parametrize("tls, security", [("starttls", "starttls"), ("implicit", "tls")])
def test_smtp_over_tls(tmp_path, sleeps, tls, security):
    contexts = self_signed(tmp_path)
    if contexts is None:
        pytest.skip("no openssl command to make a test certificate")
    server, client = contexts
    with SMTPFake(tls=tls, context=server) as fake:
        assert mail(fake, sleeps, security=security, ssl_context=client).send(email_message()).status == SENT
        # the system's trust store does not know the test certificate: refused, not retried
        untrusted = mail(fake, sleeps, security=security).send(email_message())
    assert len(fake.messages) == 1
    assert (untrusted.status, untrusted.attempts) == (FAILED, 1) and "not trusted" in untrusted.error


# -- settings -----------------------------------------------------------------------------
ENV = {"OPTIN_WHATSAPP_TOKEN": "EAAtest", "OPTIN_TWILIO_AUTH_TOKEN": "tok", "OPTIN_SMTP_PASSWORD": "pw",
       "OPTIN_WHATSAPP_APP_SECRET": "appsecret"}
SETTINGS = {
    "ledger": "optin-ledger.sqlite",
    "whatsapp": {"provider": "cloud-api", "phone_number_id": "106540352242922", "token_env": "OPTIN_WHATSAPP_TOKEN",
                 "app_secret_env": "OPTIN_WHATSAPP_APP_SECRET", "api_version": "v21.0"},
    "sms": {"provider": "twilio", "account_sid": "AC" + "0123456789abcdef" * 2, "from": "+4759440000",
            "auth_token_env": "OPTIN_TWILIO_AUTH_TOKEN", "retries": 2,
            "webhook_url": "https://optin.example.no/api/hooks/twilio"},
    "email": {"provider": "smtp", "host": "smtp.example.no", "from": "hei@bakeri.example.no",
              "username": "hei@bakeri.example.no", "password_env": "OPTIN_SMTP_PASSWORD"},
}


def test_settings_build_each_channel_with_secrets_from_the_environment():
    senders = from_settings(SETTINGS, ENV)
    whatsapp_sender, sms_sender, email_sender = senders["whatsapp"], senders["sms"], senders["email"]
    assert whatsapp_sender.url == "https://graph.facebook.com/v21.0/106540352242922/messages"
    assert (whatsapp_sender.token, whatsapp_sender.app_secret, whatsapp_sender.verify_token) == ("EAAtest", "appsecret", None)
    assert sms_sender.url.startswith("https://api.twilio.com/2010-04-01/Accounts/AC") and sms_sender.retry.tries == 2
    assert (sms_sender.auth_token, sms_sender.webhook_url) == ("tok", "https://optin.example.no/api/hooks/twilio")
    assert (email_sender.port, email_sender.security, email_sender.password) == (587, "starttls", "pw")


def test_settings_default_to_the_outbox():
    senders = from_settings({"ledger": "x.sqlite"}, {})
    assert {channel: sender.name for channel, sender in senders.items()} == {
        "whatsapp": "outbox", "sms": "outbox", "email": "outbox"}
    assert senders.send(Outgoing("sms", "+4791234567")).status == OUTBOX


@pytest.mark.parametrize("channel, change, words", [
    ("whatsapp", {"token": "EAAGm0PX4ZCpsBA"}, "token: secrets are not written in the settings"),
    ("sms", {"auth_token": "0123abcd"}, "auth_token: secrets are not written"),
    ("email", {"password": "hunter2"}, "password_env = \"OPTIN_EMAIL_PASSWORD\""),
    ("whatsapp", {"app_secret": "abc"}, "app_secret: secrets are not written"),
    ("whatsapp", {"token_env": "EAAGm0PX4ZCpsBA"}, "the name of an environment variable"),
    ("sms", {"auth_token_env": "0123456789abcdef0123456789abcdef"}, "the name of an environment variable"),
    ("sms", {"auth_token_env": "OPTIN_MISSING"}, "'OPTIN_MISSING': that environment variable is not set"),
    ("whatsapp", {"provider": "telegram"}, "provider = 'telegram'"),
    ("sms", {"form": "+4759440000"}, "unknown setting(s) form"),
    ("whatsapp", {"base_url": "http://graph.example.com"}, "must be an https:// address"),
    ("email", {"security": "plain"}, "'plain' only to 127.0.0.1"),
    ("sms", {"messaging_service_sid": "MG" + "a" * 32}, "exactly one of from"),
])
def test_settings_refuse(channel, change, words):
    settings = {**SETTINGS, channel: {**SETTINGS[channel], **change}}
    with pytest.raises(SenderSettingsError) as raised:
        from_settings(settings, ENV)
    assert words in str(raised.value) and f"[receiver.{channel}]" in str(raised.value)
    assert "EAAGm0PX4ZCpsBA" not in str(raised.value).replace(change.get("token_env", "-"), "")


def test_a_senders_bug_is_a_failed_delivery_not_an_exception():
    delivery = Retry(sleep=Sleeps()).run(lambda: 1 / 0)
    assert (delivery.status, delivery.attempts) == (FAILED, 1) and "ZeroDivisionError" in delivery.error
