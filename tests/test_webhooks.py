"""Webhook checks and parsing (Meta's handshake and X-Hub-Signature-256, Twilio's
X-Twilio-Signature) and the reply-keyword table."""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from werkzeug.datastructures import MultiDict

from generator.receiver.webhooks import (
    START,
    STOP,
    Inbound,
    is_opt_out,
    twilio_message,
    twilio_signature,
    valid_meta_signature,
    valid_twilio_signature,
    whatsapp_handshake,
    whatsapp_messages,
    whatsapp_statuses,
)

APP_SECRET = "6f1c0e9a4b7d2e58"
INBOUND = {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
    "field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "4759440000", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Kari"}, "wa_id": "4791234567"}],
        "messages": [
            {"from": "4791234567", "id": "wamid.HBgLNDc5MTIzNDU2NxUCABIYFDNB", "timestamp": "1764010000",
             "type": "text", "text": {"body": " Stopp "}},
            {"from": "4791234567", "id": "wamid.image", "timestamp": "1764010001", "type": "image",
             "image": {"id": "1", "mime_type": "image/jpeg"}},
        ]}}]}]}
STATUSES = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
    "messaging_product": "whatsapp", "metadata": {"phone_number_id": "106540352242922"},
    "statuses": [{"id": "wamid.sent", "status": "delivered", "timestamp": "1764010002", "recipient_id": "4791234567"},
                 {"id": "wamid.bad", "status": "failed", "recipient_id": "4791234567",
                  "errors": [{"code": 131026, "title": "Message undeliverable"}]}]}}]}]}


# -- Meta --------------------------------------------------------------------------------
def test_handshake_answers_the_challenge_only_for_our_token():
    args = {"hub.mode": "subscribe", "hub.verify_token": "my-verify-token", "hub.challenge": "1158201444"}
    assert whatsapp_handshake(args, "my-verify-token") == "1158201444"
    assert whatsapp_handshake({**args, "hub.verify_token": "guess"}, "my-verify-token") is None
    assert whatsapp_handshake({**args, "hub.mode": "unsubscribe"}, "my-verify-token") is None
    assert whatsapp_handshake({k: v for k, v in args.items() if k != "hub.verify_token"}, "my-verify-token") is None
    assert whatsapp_handshake(args, None) is None  # no token configured: no subscription


def sign(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def test_meta_signature():
    raw = json.dumps(INBOUND).encode()
    assert valid_meta_signature(raw, sign(raw), APP_SECRET)
    assert valid_meta_signature(raw, sign(raw).upper().replace("SHA256=", "sha256="), APP_SECRET)  # hex case
    assert not valid_meta_signature(raw, sign(raw, "another-secret"), APP_SECRET)
    assert not valid_meta_signature(raw, None, APP_SECRET)
    assert not valid_meta_signature(raw, "", APP_SECRET)
    assert not valid_meta_signature(raw, sign(raw)[7:], APP_SECRET)  # without "sha256="
    assert not valid_meta_signature(raw, sign(raw), None)  # no secret configured: nothing is valid
    tampered = raw.replace(b"Stopp", b"Hallo")
    assert not valid_meta_signature(tampered, sign(raw), APP_SECRET)
    # the raw bytes count, not the JSON they parse to
    assert not valid_meta_signature(json.dumps(INBOUND, indent=1).encode(), sign(raw), APP_SECRET)


def test_whatsapp_text_messages_are_parsed():
    expected = [Inbound("whatsapp", "+4791234567", "wamid.HBgLNDc5MTIzNDU2NxUCABIYFDNB", " Stopp ",
                        "106540352242922", "1764010000")]
    assert whatsapp_messages(INBOUND) == expected
    assert whatsapp_messages(json.dumps(INBOUND).encode()) == expected
    button = json.loads(json.dumps(INBOUND))
    button["entry"][0]["changes"][0]["value"]["messages"] = [
        {"from": "4791234567", "id": "wamid.b", "type": "button", "button": {"text": "STOPP", "payload": "x"}}]
    assert [m.text for m in whatsapp_messages(button)] == ["STOPP"]
    assert whatsapp_messages(b"not json") == [] and whatsapp_messages({"object": "page"}) == []
    assert whatsapp_messages(STATUSES) == []


def test_whatsapp_statuses_are_parsed():
    [delivered, failed] = whatsapp_statuses(STATUSES)
    assert (delivered.id, delivered.status, delivered.recipient, delivered.error) == (
        "wamid.sent", "delivered", "+4791234567", None)
    assert (failed.status, failed.error) == ("failed", "Message undeliverable")


# -- Twilio ------------------------------------------------------------------------------
# Twilio's own example: this URL, these parameters and auth token 12345 sign as below.
DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOC_PARAMS = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}
DOC_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_twilio_signature_matches_twilios_documented_example():
    assert twilio_signature(DOC_URL, DOC_PARAMS, "12345") == DOC_SIGNATURE
    assert valid_twilio_signature(DOC_URL, DOC_PARAMS, DOC_SIGNATURE, "12345")
    assert valid_twilio_signature(DOC_URL, MultiDict(DOC_PARAMS), DOC_SIGNATURE, "12345")
    assert valid_twilio_signature(DOC_URL, list(reversed(DOC_PARAMS.items())), DOC_SIGNATURE, "12345")


def test_twilio_signature_refusals():
    assert not valid_twilio_signature(DOC_URL, DOC_PARAMS, DOC_SIGNATURE, "54321")
    assert not valid_twilio_signature(DOC_URL, DOC_PARAMS, None, "12345")
    assert not valid_twilio_signature(DOC_URL, DOC_PARAMS, "", "12345")
    assert not valid_twilio_signature(DOC_URL, DOC_PARAMS, DOC_SIGNATURE, None)
    assert not valid_twilio_signature(DOC_URL, {**DOC_PARAMS, "Digits": "1235"}, DOC_SIGNATURE, "12345")
    assert not valid_twilio_signature(DOC_URL, {**DOC_PARAMS, "Extra": ""}, DOC_SIGNATURE, "12345")
    assert not valid_twilio_signature(DOC_URL.replace("foo=1", "foo=2"), DOC_PARAMS, DOC_SIGNATURE, "12345")
    assert not valid_twilio_signature("http://mycompany.com/myapp.php?foo=1&bar=2", DOC_PARAMS, DOC_SIGNATURE, "12345")


def test_twilio_signature_with_and_without_the_default_port():
    # behind a proxy the receiver may see :443 where Twilio signed without it, or the reverse
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    assert valid_twilio_signature(with_port, DOC_PARAMS, DOC_SIGNATURE, "12345")
    signed_with_port = twilio_signature(with_port, DOC_PARAMS, "12345")
    assert valid_twilio_signature(DOC_URL, DOC_PARAMS, signed_with_port, "12345")
    assert not valid_twilio_signature("https://mycompany.com:8443/myapp.php?foo=1&bar=2", DOC_PARAMS,
                                      DOC_SIGNATURE, "12345")


def test_twilio_inbound_sms():
    form = MultiDict({"MessageSid": "SM" + "1" * 32, "AccountSid": "AC" + "2" * 32, "From": "+4791234567",
                      "To": "+4759440000", "Body": "Stopp", "NumMedia": "0"})
    assert twilio_message(form) == Inbound("sms", "+4791234567", "SM" + "1" * 32, "Stopp", "+4759440000")
    assert twilio_message({**form.to_dict(), "From": "4791234567"}) is None  # not E.164
    assert twilio_message({k: v for k, v in form.items() if k != "MessageSid"}) is None


# -- keywords ----------------------------------------------------------------------------
NO_KEYWORDS = ["STOPP"]  # campaign.opt_out["sms"].values() of a Norwegian campaign


@pytest.mark.parametrize("text, kind, keyword", [
    ("Stopp", STOP, "STOPP"),
    (" stopp ", STOP, "STOPP"),
    ("STOPP\n", STOP, "STOPP"),
    ("s t o p p", STOP, "STOPP"),
    ("Stopp!", STOP, "STOPP"),           # punctuation around the word is not part of it
    ("\u200bstopp", STOP, "STOPP"),      # an invisible character pasted along
    ("ＳＴＯＰＰ", STOP, "STOPP"),         # full-width letters
    ("stop", STOP, "STOP"),
    ("Bája", STOP, "BAJA"),              # the accent is folded away
    ("BAJA", STOP, "BAJA"),
    ("berhenti", STOP, "BERHENTI"),
    ("Avslutt", STOP, "AVSLUTT"),
    ("unsub", STOP, "UNSUB"),
    ("Stop all", STOP, "STOPALL"),
    ("Opt-out", STOP, "OPTOUT"),
    ("unsubscribe", STOP, "UNSUBSCRIBE"),
    ("cancel", STOP, "CANCEL"),
    ("END", STOP, "END"),
    ("quit", STOP, "QUIT"),
    ("STÖPP", None, None),               # Ö is a letter of its own, not an accented O
    ("stopp nå", None, None),            # not the keyword alone
    ("please stop", None, None),
    ("stoppe", None, None),
    ("", None, None),
    ("🛑", None, None),
    ("START", START, "START"),           # not consent: at most a new double opt-in
    ("unstop", START, "UNSTOP"),
])
def test_keywords(text, kind, keyword):
    result = is_opt_out(text, "sms", "NO", NO_KEYWORDS)
    assert (result.kind if result.kind in (STOP, START) else None, result.keyword) == (kind, keyword)
    assert bool(result) == (kind == STOP)


def test_campaign_and_country_keywords():
    assert is_opt_out("Abmelden", "whatsapp", "DE", []).keyword == "ABMELDEN"
    assert not is_opt_out("Abmelden", "whatsapp", "NO", [])  # German only where German is spoken
    assert is_opt_out("Arrêt", "sms", "FR", []).keyword == "ARRET"
    assert is_opt_out("Slutt", "sms", "NO", ["SLUTT"]).keyword == "SLUTT"
    assert not is_opt_out("Slutt", "sms", "NO", [])
    with pytest.raises(ValueError):
        is_opt_out("stop", "email", "NO", [])
