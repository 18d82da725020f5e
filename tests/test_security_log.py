"""The security log (logger optin.security): failed codes, 429s, 403s, refused hosts and webhook
signature failures are JSON lines an operator can follow, without a phone number, email,
full client address, token or code in clear."""
from __future__ import annotations

import json
import logging

import pytest

from generator.receiver.ratelimit import Limit, Limits
from support.receiver import Rx, shown, signup

CLIENT = "203.0.113.77"
PHONE = "+4791234567"
EMAIL = "kari.nordmann@example.com"
TIGHT = Limits(per_address=Limit(100, 60), per_contact=Limit(1, 3600), wrong_codes=Limit(2, 900))


@pytest.fixture
def rx(tmp_path):
    return Rx(tmp_path / "ledger.sqlite", limits=TIGHT)


@pytest.fixture
def events(caplog):
    """The security events logged so far, parsed (each must be one JSON object)."""
    caplog.set_level(logging.WARNING, logger="optin.security")

    def parsed() -> list[dict]:
        return [json.loads(r.getMessage()) for r in caplog.records if r.name == "optin.security"]
    parsed.text = lambda: "\n".join(r.getMessage() for r in caplog.records if r.name == "optin.security")
    return parsed


def post(rx, name: str, body, **headers):
    return rx.client.post(f"/api/{name}", data=json.dumps(body), content_type="application/json",
                          headers=headers, environ_base={"REMOTE_ADDR": CLIENT})


def test_wrong_codes_then_the_limit_are_logged_without_the_codes(rx, events):
    assert post(rx, "submit", shown(rx.app, signup(phone=PHONE))).status_code == 202
    guesses = ["0000-0001", "0000-0002", "0000-0003"]
    codes = [post(rx, "confirm", {"campaign": "nordlys-sko", "code": g, "purposes": ["*"]}).status_code
             for g in guesses]
    token = "x" * 43
    assert post(rx, "confirm", {"campaign": "nordlys-sko", "token": token, "purposes": ["*"]}).status_code == 429
    assert codes == [400, 400, 429]
    found = events()
    assert [(e["event"], e.get("reason") or e.get("limit")) for e in found] == [
        ("code_failed", "wrong_code"), ("code_failed", "wrong_code"), ("rate_limited", "bad-code"),
        ("rate_limited", "bad-code")]
    assert {e["ip"] for e in found} == {"203.0.113.0/24"} and {e["path"] for e in found} == {"/api/confirm"}
    assert found[0]["campaign"] == "nordlys-sko" and found[0]["ts"].endswith("+00:00")
    text = events.text()
    assert CLIENT not in text and token not in text and PHONE not in text
    assert not any(g in text or g.replace("-", "") in text for g in guesses)
    assert rx.sent[0].code not in text


def test_an_unknown_token_is_logged_without_the_token(rx, events):
    token = "T" * 43
    assert post(rx, "confirm", {"campaign": "nordlys-sko", "token": token, "purposes": ["*"]}).status_code == 400
    assert [(e["event"], e["reason"]) for e in events()] == [("code_failed", "invalid_token")]
    assert token not in events.text()


def test_a_contact_flooded_with_messages_is_a_keyed_hash(rx, events):
    body = shown(rx.app, signup("kedai-harmoni", "ms", ["newsletter"], phone=None, email=EMAIL))
    assert post(rx, "submit", body).status_code == 202
    assert post(rx, "submit", {**body, "email": "Kari.Nordmann@EXAMPLE.com"}).status_code == 429
    (event,) = events()
    assert event["event"] == "rate_limited" and event["limit"] == "contact" and event["campaign"] == "kedai-harmoni"
    assert event["contact"] == rx.app.security.pseudonym(EMAIL) and len(event["contact"]) == 16
    assert EMAIL not in events.text() and "kari" not in events.text().lower()
    # the same contact, the same value: an operator can group one person's events
    assert post(rx, "submit", body).status_code == 429
    assert events()[-1]["contact"] == event["contact"]


def test_refusals_are_logged(rx, events):
    assert post(rx, "submit", {}, Origin="https://evil.example").status_code == 403
    assert post(rx, "submit", {}, **{"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert post(rx, "submit", {}, Host="rebind.evil.example").status_code == 400
    found = events()
    assert [e["event"] for e in found] == ["forbidden_origin", "cross_site", "bad_host"]
    assert found[0]["origin"] == "https://evil.example" and found[2]["host"] == "rebind.evil.example"


def test_webhook_signature_failures_are_logged(rx, events):
    hook = {"object": "whatsapp_business_account", "entry": []}
    assert post(rx, "hooks/whatsapp", hook).status_code == 401
    assert post(rx, "hooks/whatsapp", hook, **{"X-Hub-Signature-256": "sha256=" + "0" * 64}).status_code == 403
    form = rx.client.post("/api/hooks/twilio", data={"From": PHONE, "Body": "STOP", "MessageSid": "SM1"},
                          headers={"X-Twilio-Signature": "bm90IGl0"}, environ_base={"REMOTE_ADDR": CLIENT})
    assert form.status_code == 403
    handshake = rx.client.get("/api/hooks/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1")
    assert handshake.status_code == 403
    assert [(e["event"], e["channel"], e["reason"]) for e in events()] == [
        ("webhook_signature", "whatsapp", "missing"), ("webhook_signature", "whatsapp", "invalid"),
        ("webhook_signature", "sms", "invalid"), ("webhook_verify_failed", "whatsapp", "verify_token")]
    assert PHONE not in events.text() and "bm90IGl0" not in events.text()


def test_a_normal_sign_up_logs_nothing(rx, events):
    assert post(rx, "submit", shown(rx.app, signup(phone=PHONE))).status_code == 202
    assert events() == []
