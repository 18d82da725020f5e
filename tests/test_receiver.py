"""The reference receiver through its WSGI interface (Werkzeug test client): protocol answers,
ledger contents, tokens, expiry, CORS, rate limits, bad input, no-JavaScript redirects."""
from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from werkzeug.test import Client

from generator import i18n
from generator.receiver import ledger as ledger_mod
from generator.receiver.app import Receiver, load_campaigns
from generator.receiver.ledger import Ledger
from generator.receiver.ratelimit import Limit, Limits

CAMPAIGNS = Path(__file__).resolve().parent.parent / "campaigns"
SITE = "http://127.0.0.1:8999"
NOTICE = "a" * 64
WORDING = "b" * 64
ROOMY = Limits(per_address=Limit(10_000, 60), per_contact=Limit(100, 60), wrong_codes=Limit(100, 60))


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 23, 19, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


class Rx:
    def __init__(self, path: Path, limits: Limits = ROOMY, hours: float = 48):
        self.path = path
        self.clock = Clock()
        self.sent = []
        self.app = Receiver(load_campaigns([CAMPAIGNS]), Ledger(path), site_url=SITE, clock=self.clock,
                            token_ttl=timedelta(hours=hours), limits=limits, on_message=self.sent.append)
        self.client = Client(self.app)

    def post(self, name: str, body, content_type="application/json", **headers):
        data = json.dumps(body) if content_type == "application/json" and not isinstance(body, (str, bytes)) else body
        return self.client.post(f"/api/{name}", data=data, content_type=content_type, headers=headers)

    def rows(self, sql: str, *args):
        db = sqlite3.connect(self.path)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def events(self):
        return [(e, json.loads(p), loc, m) for e, p, loc, m in
                self.rows("SELECT event, purposes, locale, method FROM events ORDER BY id")]

    def counts(self):
        return tuple(self.rows(f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("records", "events", "tokens", "outbox"))


def signup(campaign="nordlys-sko", locale="nb", purposes=("offers", "order_updates"), phone="+4791234567", **extra):
    body = {"campaign": campaign, "locale": locale, "purposes": list(purposes), "notice_version": NOTICE,
            "wording_version": WORDING, "page_url": f"{SITE}/{campaign}/{locale}/",
            "client_timestamp": "2026-11-23T19:00:00.000Z"}
    if phone:
        body["phone"] = phone
    body.update(extra)
    return body


def token_of(message) -> str:
    return re.search(r"[?&]t=([^&]+)", message.link).group(1)


@pytest.fixture
def rx(tmp_path):
    return Rx(tmp_path / "ledger.sqlite")


def test_submit_stores_request_and_sends_localised_message(rx):
    res = rx.post("submit", signup())
    assert res.status_code == 202
    body = res.get_json()
    assert body["status"] == "pending" and re.fullmatch(r"[0-9a-f-]{36}", body["record_id"])
    assert rx.events() == [("requested", ["offers", "order_updates"], "nb", "signup-page:json")]
    (message,) = rx.sent
    assert message.recipient == "+4791234567" and message.locale == "nb" and message.channel == "whatsapp"
    assert message.link.startswith(f"{SITE}/nordlys-sko/nb/confirm.html?t=")
    assert len(token_of(message)) >= 43  # 32 random bytes, base64url
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", message.code) and message.code in message.body
    assert "STOPP" in message.body  # the campaign's WhatsApp opt-out keyword for nb
    assert "withdraw.html" in message.body
    # the purposes are named with the catalog's nb wording, as on the signup page
    t = i18n.translations("nb")
    topic = t.ugettext("offers and new arrivals")
    assert topic in message.body and topic != "offers and new arrivals"
    record = rx.rows("SELECT campaign, controller, jurisdiction, locale, notice_version, pii_categories FROM records")[0]
    assert record[0] == "nordlys-sko" and json.loads(record[1])["name"] == "Nordlys Sko AS"
    assert record[2:5] == ("NO", "nb", NOTICE) and json.loads(record[5]) == ["phone number"]


def test_only_token_hashes_are_stored(rx):
    rx.post("submit", signup())
    token, code = token_of(rx.sent[0]), rx.sent[0].code
    stored = rx.rows("SELECT token_hash, code_hash FROM tokens")
    assert len(stored) == 1 and token not in stored[0] and code not in str(stored[0])
    assert token.encode() not in rx.path.read_bytes()


def test_confirm_with_token_gives_consent_once(rx):
    rx.post("submit", signup())
    token = token_of(rx.sent[0])
    ask = {"campaign": "nordlys-sko", "locale": "nb", "token": token, "purposes": ["*"]}
    res = rx.post("confirm", ask)
    assert res.status_code == 200
    assert res.get_json()["purposes"] == ["offers", "order_updates"]
    assert rx.events()[-1] == ("given", ["offers", "order_updates"], "nb", "confirm-page:link")
    again = rx.post("confirm", ask)
    assert again.status_code == 409 and again.get_json()["error"] == "already_confirmed"
    assert [e[0] for e in rx.events()] == ["requested", "given"]


def test_confirm_subset_refuses_the_rest(rx):
    rx.post("submit", signup())
    res = rx.post("confirm", {"campaign": "nordlys-sko", "locale": "en", "token": token_of(rx.sent[0]),
                              "purposes": ["order_updates"]})
    assert res.get_json() == {"status": "confirmed", "purposes": ["order_updates"],
                              "record_id": res.get_json()["record_id"]}
    assert rx.events()[1:] == [("given", ["order_updates"], "en", "confirm-page:link"),
                               ("refused", ["offers"], "en", "confirm-page:link")]


def test_code_typed_loosely_confirms(rx):
    rx.post("submit", signup())
    code = rx.sent[0].code.lower().replace("-", " ")
    res = rx.post("confirm", {"campaign": "nordlys-sko", "locale": "nb", "code": code, "purposes": ["offers"]})
    assert res.status_code == 200
    assert rx.events()[1] == ("given", ["offers"], "nb", "confirm-page:code")


def test_wrong_code_and_unknown_token(rx):
    rx.post("submit", signup())
    wrong = rx.post("confirm", {"campaign": "nordlys-sko", "locale": "nb", "code": "0000-0000", "purposes": ["*"]})
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "wrong_code"
    bad = rx.post("confirm", {"campaign": "nordlys-sko", "locale": "nb", "token": "x" * 43, "purposes": ["*"]})
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_token"
    # a token of one campaign does not confirm another
    other = rx.post("confirm", {"campaign": "kedai-harmoni", "locale": "ms", "token": token_of(rx.sent[0]),
                                "purposes": ["*"]})
    assert other.get_json()["error"] == "invalid_token"
    assert [e[0] for e in rx.events()] == ["requested"]


def test_token_expires_after_48_hours_and_expiry_is_logged(rx):
    rx.post("submit", signup())
    token = token_of(rx.sent[0])
    rx.clock.now += timedelta(hours=47, minutes=59)
    assert rx.post("submit", signup(phone="+4791234568")).status_code == 202  # still valid: no expiry logged
    assert "expired" not in [e[0] for e in rx.events()]
    rx.clock.now += timedelta(minutes=2)
    res = rx.post("confirm", {"campaign": "nordlys-sko", "locale": "nb", "token": token, "purposes": ["*"]})
    assert res.status_code == 410 and res.get_json()["error"] == "expired_token"
    assert ("expired", ["offers", "order_updates"], "nb", "token-expiry") in rx.events()
    assert "given" not in [e[0] for e in rx.events()]


def test_token_lifetime_is_configurable(tmp_path):
    rx = Rx(tmp_path / "l.sqlite", hours=1)
    rx.post("submit", signup())
    assert "1 time" in rx.sent[0].body  # "1 time" in Norwegian (CLDR duration)
    rx.clock.now += timedelta(minutes=61)
    res = rx.post("confirm", {"campaign": "nordlys-sko", "locale": "nb", "code": rx.sent[0].code, "purposes": ["*"]})
    assert res.get_json()["error"] == "expired_token"


def test_email_and_phone_get_separate_confirmations(rx):
    res = rx.post("submit", signup("kedai-harmoni", "ms", ["promotions", "newsletter"], phone="012-345 6789",
                                   email="Siti@Example.COM", country_code="60"))
    assert res.status_code == 202
    by_channel = {m.channel: m for m in rx.sent}
    assert set(by_channel) == {"whatsapp", "email"}
    assert by_channel["whatsapp"].recipient == "+60123456789"
    assert by_channel["email"].recipient == "siti@example.com"
    assert "BERHENTI" in by_channel["whatsapp"].body
    # the email link confirms only the email purpose
    rx.post("confirm", {"campaign": "kedai-harmoni", "locale": "ms", "token": token_of(by_channel["email"]),
                        "purposes": ["*"]})
    assert rx.events()[-1] == ("given", ["newsletter"], "ms", "confirm-page:link")


def test_withdraw_by_typed_number(rx):
    rx.post("submit", signup())
    rx.post("confirm", {"campaign": "nordlys-sko", "locale": "nb", "token": token_of(rx.sent[0]), "purposes": ["*"]})
    res = rx.post("withdraw", {"campaign": "nordlys-sko", "locale": "de", "phone": "912 34 567",
                               "country_code": "47", "purposes": ["offers"]})
    assert res.status_code == 200 and res.get_json() == {"status": "withdrawn", "purposes": ["offers"]}
    assert rx.events()[-1] == ("withdrawn", ["offers"], "de", "withdraw-page")
    everything = rx.post("withdraw", {"campaign": "nordlys-sko", "phone": "+4791234567", "purposes": ["*"]})
    assert everything.status_code == 200
    assert rx.events()[-1] == ("withdrawn", ["order_updates"], "nb", "withdraw-page")


def test_withdraw_reveals_nothing_about_unknown_contacts(rx):
    res = rx.post("withdraw", {"campaign": "nordlys-sko", "locale": "nb", "phone": "+4799999999", "purposes": ["*"]})
    assert res.status_code == 200 and res.get_json()["status"] == "withdrawn"
    assert rx.counts() == (0, 0, 0, 0)
    missing = rx.post("withdraw", {"campaign": "nordlys-sko", "locale": "nb", "purposes": ["*"]})
    assert missing.status_code == 400 and missing.get_json()["error"] == "no_contact"


def test_withdraw_before_confirming_makes_the_link_useless(rx):
    rx.post("submit", signup())
    rx.post("withdraw", {"campaign": "nordlys-sko", "phone": "+4791234567", "purposes": ["*"]})
    res = rx.post("confirm", {"campaign": "nordlys-sko", "token": token_of(rx.sent[0]), "purposes": ["*"]})
    assert res.status_code == 400 and res.get_json()["error"] == "invalid_token"
    assert [e[0] for e in rx.events()] == ["requested", "withdrawn"]


BAD_SUBMITS = [
    ("{not json", "application/json", 400, "malformed"),
    ("[1, 2]", "application/json", 400, "malformed"),
    (b"\xff\xfe", "application/json", 400, "malformed"),
    (signup(campaign="nope"), "application/json", 404, "unknown_campaign"),
    (signup(locale="sv"), "application/json", 400, "unknown_locale"),
    (signup(purposes=["offers", "spam"]), "application/json", 400, "unknown_purpose"),
    (signup(purposes=[]), "application/json", 400, "no_purpose"),
    (signup(purposes="offers,order_updates"), "application/json", 400, "unknown_purpose"),
    (signup(purposes=[1]), "application/json", 400, "malformed"),
    (signup(phone="12"), "application/json", 400, "invalid_phone"),
    (signup(phone=None), "application/json", 400, "invalid_phone"),
    (signup(phone=4791234567), "application/json", 400, "malformed"),
    (signup("kedai-harmoni", "ms", ["newsletter"], phone=None, email="not-an-email"), "application/json", 400, "invalid_email"),
    (signup(notice_version="abc"), "application/json", 400, "malformed"),
    (signup(record_id="not-a-uuid"), "application/json", 400, "malformed"),
    (signup(record_id="6ba7b810-9dad-11d1-80b4-00c04fd430c8"), "application/json", 400, "malformed"),  # UUID1
    (signup(birthday="x"), "application/json", 202, None),  # ignored: no purpose asks for a birthday
    (json.dumps(signup(padding="x" * 17_000)), "application/json", 413, "too_large"),
    ("campaign=nordlys-sko&" + "x=" + "y" * 17_000, "application/x-www-form-urlencoded", 413, "too_large"),
    (json.dumps(signup()), "text/plain", 415, "bad_content_type"),
    (json.dumps(signup()), "multipart/form-data; boundary=x", 415, "bad_content_type"),
]


@pytest.mark.parametrize("body,ctype,status,code", BAD_SUBMITS)
def test_bad_submits_get_a_4xx_json_and_write_nothing(rx, body, ctype, status, code):
    res = rx.post("submit", body, ctype)
    assert res.status_code == status
    if code:
        assert res.mimetype == "application/json"
        assert res.get_json()["error"] == code and isinstance(res.get_json()["message"], str)
        assert rx.counts() == (0, 0, 0, 0) and rx.sent == []


@pytest.mark.parametrize("body,code", [
    ({"campaign": "nordlys-sko", "token": "abc"}, "no_purpose"),
    ({"campaign": "nordlys-sko", "purposes": ["*"]}, "wrong_code"),
    ({"campaign": "nordlys-sko", "code": "----", "purposes": ["*"]}, "wrong_code"),
    ({"campaign": "nordlys-sko", "code": ["x"], "purposes": ["*"]}, "malformed"),
    ({"campaign": "nordlys-sko", "token": "t", "purposes": ["gift"]}, "unknown_purpose"),
    ({"campaign": 7, "token": "t", "purposes": ["*"]}, "malformed"),
])
def test_bad_confirms(rx, body, code):
    res = rx.post("confirm", body)
    assert 400 <= res.status_code < 500 and res.get_json()["error"] == code


def test_honeypot_pretends_success_and_keeps_nothing(rx):
    res = rx.post("submit", signup(website="http://spam.example"))
    assert res.status_code == 202 and res.get_json()["status"] == "pending"
    assert rx.counts() == (0, 0, 0, 0) and rx.sent == []


def test_retry_with_same_record_id_is_not_a_second_record(rx):
    body = signup(record_id="0b8f1a52-7c7e-4b5e-9a57-4c6c4f1e2d3a")
    first, second = rx.post("submit", body), rx.post("submit", body)
    assert first.status_code == second.status_code == 202
    assert second.get_json()["record_id"] == "0b8f1a52-7c7e-4b5e-9a57-4c6c4f1e2d3a"
    assert rx.counts() == (1, 1, 1, 1) and len(rx.sent) == 1
    clash = rx.post("submit", {**body, "phone": "+4791234568"})
    assert clash.status_code == 409 and clash.get_json()["error"] == "duplicate_record"


def test_a_failure_mid_request_writes_nothing(rx, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(Ledger, "add_outbox", staticmethod(broken))
    res = rx.post("submit", signup())
    assert res.status_code == 500 and res.get_json()["error"] == "server_error"
    assert rx.counts() == (0, 0, 0, 0) and rx.sent == []


def test_ledger_is_append_only(rx):
    rx.post("submit", signup())
    db = sqlite3.connect(rx.path)
    for sql in ("UPDATE events SET event = 'given'", "DELETE FROM events", "UPDATE records SET phone = NULL",
                "DELETE FROM records"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(sql)
    db.close()


def test_ledger_survives_restart(tmp_path):
    first = Rx(tmp_path / "l.sqlite")
    first.post("submit", signup())
    token = token_of(first.sent[0])
    second = Rx(tmp_path / "l.sqlite")  # a new process on the same file
    res = second.post("confirm", {"campaign": "nordlys-sko", "token": token, "purposes": ["*"]})
    assert res.status_code == 200
    assert [e[0] for e in second.events()] == ["requested", "given"]


def test_cors_allows_only_the_site_origin(rx):
    ok = rx.post("submit", signup(), Origin=SITE)
    assert ok.status_code == 202 and ok.headers["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in ok.headers["Vary"]
    # the production origin of a campaign (base_url) is allowed too
    prod = rx.post("submit", signup(phone="+4791234568"), Origin="https://optin.nordlyssko.example")
    assert prod.status_code == 202
    evil = rx.post("submit", signup(phone="+4791234569"), Origin="https://evil.example")
    assert evil.status_code == 403 and evil.get_json()["error"] == "forbidden_origin"
    assert "Access-Control-Allow-Origin" not in evil.headers
    pre = rx.client.options("/api/confirm", headers={"Origin": SITE, "Access-Control-Request-Method": "POST",
                                                     "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code == 204 and pre.headers["Access-Control-Allow-Origin"] == SITE
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "content-type" in pre.headers["Access-Control-Allow-Headers"].lower()
    bad_pre = rx.client.options("/api/confirm", headers={"Origin": "https://evil.example"})
    assert bad_pre.status_code == 403 and "Access-Control-Allow-Origin" not in bad_pre.headers
    assert rx.counts()[0] == 2


def test_unknown_paths_and_methods_answer_json(rx):
    assert rx.client.get("/api/submit").status_code == 405
    res = rx.client.post("/api/nothing")
    assert res.status_code == 404 and res.get_json()["error"] == "not_found"


def test_rate_limit_per_contact(tmp_path):
    rx = Rx(tmp_path / "l.sqlite", limits=Limits(per_address=Limit(100, 60), per_contact=Limit(3, 3600),
                                                  wrong_codes=Limit(100, 60)))
    statuses = [rx.post("submit", signup()).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    limited = rx.post("submit", signup())
    assert limited.get_json()["error"] == "rate_limited" and int(limited.headers["Retry-After"]) > 0
    assert rx.post("submit", signup(phone="+4791234568")).status_code == 202  # another person is fine
    assert rx.counts()[0] == 4


def test_rate_limit_per_address(tmp_path):
    rx = Rx(tmp_path / "l.sqlite", limits=Limits(per_address=Limit(5, 600), per_contact=Limit(100, 60),
                                                  wrong_codes=Limit(100, 60)))
    statuses = [rx.post("submit", signup(phone=f"+479123456{i}")).status_code for i in range(7)]
    assert statuses == [202] * 5 + [429] * 2
    other = rx.client.post("/api/submit", data=json.dumps(signup(phone="+4791234500")),
                           content_type="application/json", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 202


def test_wrong_codes_are_limited_per_address(tmp_path):
    rx = Rx(tmp_path / "l.sqlite", limits=Limits(per_address=Limit(100, 60), per_contact=Limit(100, 60),
                                                  wrong_codes=Limit(3, 900)))
    rx.post("submit", signup())
    guesses = [rx.post("confirm", {"campaign": "nordlys-sko", "code": f"0000-000{i}", "purposes": ["*"]})
               .get_json()["error"] for i in range(4)]
    assert guesses == ["wrong_code"] * 3 + ["rate_limited"]
    # even the right code waits now: guessing cannot continue
    right = rx.post("confirm", {"campaign": "nordlys-sko", "code": rx.sent[0].code, "purposes": ["*"]})
    assert right.status_code == 429


# -- forms posted without JavaScript (the browser follows the redirect) ----------------------
NAV = {"Sec-Fetch-Mode": "navigate", "Accept": "text/html,application/xhtml+xml"}
FORM = "application/x-www-form-urlencoded"


def test_form_submit_redirects_to_thanks_on_this_site(rx):
    form = ("campaign=nordlys-sko&locale=nb&purposes=offers&purposes=order_updates&phone=912+34+567"
            f"&country_code=47&notice_version={NOTICE}&wording_version={WORDING}&website="
            "&success_url=https%3A%2F%2Foptin.nordlyssko.example%2Fnordlys-sko%2Fnb%2Fthanks.html"
            "&redirect=https%3A%2F%2Foptin.nordlyssko.example%2Fnordlys-sko%2Fnb%2Fthanks.html")
    res = rx.post("submit", form, FORM, **NAV)
    assert res.status_code == 303
    # the campaign's public base_url is mapped to the local site (optin serve)
    assert res.headers["Location"] == f"{SITE}/nordlys-sko/nb/thanks.html"
    assert rx.events() == [("requested", ["offers", "order_updates"], "nb", "signup-page:form")]
    assert rx.sent[0].recipient == "+4791234567"


def test_form_redirects_never_leave_the_allowed_origins(rx):
    form = (f"campaign=nordlys-sko&locale=en&purposes=offers&phone=%2B4791234567&notice_version={NOTICE}"
            f"&wording_version={WORDING}&success_url=https%3A%2F%2Fevil.example%2Fphish")
    res = rx.post("submit", form, FORM, **NAV)
    assert res.headers["Location"] == f"{SITE}/nordlys-sko/en/thanks.html"


def test_form_submit_error_shows_a_localised_page(rx):
    form = f"campaign=nordlys-sko&locale=de&purposes=offers&phone=12&notice_version={NOTICE}&wording_version={WORDING}"
    res = rx.post("submit", form, FORM, **NAV)
    assert res.status_code == 400 and res.mimetype == "text/html"
    html = res.get_data(as_text=True)
    assert '<html lang="de">' in html and 'data-error="invalid_phone"' in html
    assert i18n.translations("de").ugettext("Please enter a valid mobile number.") in html
    assert f'href="{SITE}/nordlys-sko/de/index.html"' in html
    assert rx.counts() == (0, 0, 0, 0)


def test_form_confirm_redirects_to_page_states(rx):
    rx.post("submit", signup())
    ok_url = f"{SITE}/nordlys-sko/nb/confirm.html#confirmed"
    wrong = rx.post("confirm", f"campaign=nordlys-sko&locale=nb&code=0000-0000&scope=all&success_url={ok_url}",
                    FORM, **NAV)
    assert wrong.status_code == 303 and wrong.headers["Location"] == f"{SITE}/nordlys-sko/nb/confirm.html#wrong_code"
    res = rx.post("confirm", f"campaign=nordlys-sko&locale=nb&code={rx.sent[0].code}&scope=all"
                             f"&success_url={ok_url}", FORM, **NAV)
    assert res.headers["Location"] == ok_url
    assert rx.events()[-1] == ("given", ["offers", "order_updates"], "nb", "confirm-page:code")
    again = rx.post("confirm", f"campaign=nordlys-sko&locale=nb&code={rx.sent[0].code}&scope=all"
                               f"&success_url={ok_url}", FORM, **NAV)
    assert again.headers["Location"].endswith("confirm.html#already_confirmed")
    unknown = rx.post("confirm", "campaign=nordlys-sko&locale=nb&code=1&purposes=zzz", FORM, **NAV)
    assert unknown.headers["Location"].endswith("/nordlys-sko/nb/confirm.html#bad_request")


def test_form_withdraw_redirects_to_page_states(rx):
    ok_url = f"{SITE}/nordlys-sko/en/withdraw.html#withdrawn"
    res = rx.post("withdraw", f"campaign=nordlys-sko&locale=en&phone=91234567&country_code=47&purposes=*"
                              f"&success_url={ok_url}", FORM, **NAV)
    assert res.headers["Location"] == ok_url
    bad = rx.post("withdraw", "campaign=nordlys-sko&locale=en&phone=1&country_code=47&purposes=offers", FORM, **NAV)
    assert bad.headers["Location"] == f"{SITE}/nordlys-sko/en/withdraw.html#invalid_phone"


def test_form_format_fetch_gets_json_not_redirects(rx):
    """endpoints.format: form — fetch() posts urlencoded and still wants JSON back."""
    form = f"campaign=nordlys-sko&locale=nb&purposes=offers&phone=%2B4791234567&notice_version={NOTICE}&wording_version={WORDING}"
    res = rx.post("submit", form, FORM, **{"Sec-Fetch-Mode": "cors", "Accept": "application/json"})
    assert res.status_code == 202 and res.get_json()["status"] == "pending"


def test_expire_stale_marks_each_token_once(rx):
    rx.post("submit", signup())
    rx.clock.now += timedelta(hours=49)
    db = rx.app.ledger._connect()
    try:
        assert ledger_mod.expire_stale(db, "2030-01-01T00:00:00.000Z") == 1
        assert ledger_mod.expire_stale(db, "2030-01-01T00:00:00.000Z") == 0
    finally:
        db.close()


def test_create_app_for_a_production_server(tmp_path, monkeypatch):
    """What gunicorn/waitress call: settings as arguments or OPTIN_* variables."""
    from generator.receiver.app import create_app

    monkeypatch.setenv("OPTIN_ORIGINS", "https://shop.example, https://www.shop.example")
    app = create_app(campaigns=str(CAMPAIGNS), ledger=str(tmp_path / "prod.sqlite"), prefix="/optin", proxies=1)
    client = Client(app)
    res = client.post("/optin/submit", data=json.dumps(signup()), content_type="application/json",
                      headers={"Origin": "https://www.shop.example", "X-Forwarded-For": "203.0.113.7"})
    assert res.status_code == 202 and res.headers["Access-Control-Allow-Origin"] == "https://www.shop.example"
    assert client.post("/api/submit", data="{}", content_type="application/json").status_code == 404
    # without a local site, links use the campaign's base_url
    db = sqlite3.connect(tmp_path / "prod.sqlite")
    link = db.execute("SELECT link FROM outbox").fetchone()[0]
    assert link.startswith("https://optin.nordlyssko.example/nordlys-sko/nb/confirm.html?t=")
    from generator.errors import OptinError
    with pytest.raises(OptinError):
        create_app(campaigns=str(tmp_path / "none"), ledger=str(tmp_path / "x.sqlite"))
