"""The reference receiver through its WSGI interface (Werkzeug test client): protocol answers,
ledger contents, tokens, expiry, CORS, rate limits, bad input, no-JavaScript redirects. The
`rx` and `target` tests run on both backends (an SQLite file, a real PostgreSQL server)."""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.test import Client

from generator.receiver import export
from generator.receiver import ledger as ledger_mod
from generator.receiver.app import Receiver, load_campaigns
from generator.receiver.ledger import Ledger
from support import postgres
from support.projects import REPO, builtin_locales, example_project, project

from support.receiver import FORM, NAV, NOTICE, ROOMY, SITE, WORDING, Clock, Rx, signup, token_of  # noqa: F401
from generator.site.views import resolve_all


@pytest.fixture(params=postgres.BACKENDS)
def target(request, tmp_path):
    """Where a ledger lives: a file in tmp_path, or a fresh PostgreSQL database."""
    return postgres.target(request.param, tmp_path)


@pytest.fixture
def rx(target, tmp_path):
    made = Rx(target, folder=tmp_path)
    yield made
    made.ledger.close()


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
    t = rx.app.locales.translations("nb")
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
    if not rx.is_sqlite:
        return  # the dump below reads the SQLite file
    # only the outbox (the messages as sent, link and code included) holds them in clear; whether the
    # main file holds its rows depends on when SQLite checkpoints the WAL, so compare the tables
    db = sqlite3.connect(rx.path)
    try:
        rows = [line for line in db.iterdump() if not line.startswith('INSERT INTO "outbox"')]
    finally:
        db.close()
    assert not any(token in line or code in line for line in rows)


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


def test_token_lifetime_is_configurable(target, tmp_path):
    rx = Rx(target, hours=1, folder=tmp_path)
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


def test_a_failure_mid_request_writes_nothing(rx, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(Ledger, "add_outbox", staticmethod(broken))
    res = rx.post("submit", signup())
    assert res.status_code == 500 and res.get_json()["error"] == "server_error"
    assert rx.counts() == (0, 0, 0, 0) and rx.sent == []


def test_ledger_is_append_only(rx):
    rx.post("submit", signup())
    db = postgres.raw(rx.ledger)
    for sql in ("UPDATE events SET event = 'given'", "DELETE FROM events", "UPDATE records SET phone = NULL",
                "DELETE FROM records"):
        with pytest.raises(postgres.db_errors(), match="append-only"):
            db.execute(sql)
    db.close()


def test_ledger_survives_restart(target, tmp_path):
    first = Rx(target, folder=tmp_path / "a")
    first.post("submit", signup())
    token = token_of(first.sent[0])
    second = Rx(target, folder=tmp_path / "b")  # a new process on the same ledger
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
    monkeypatch.delenv("OPTIN_DATABASE_URL", raising=False)
    here = example_project(tmp_path / "project")
    sent = []
    app = create_app(campaigns=str(here.campaigns_dir), ledger=str(tmp_path / "prod.sqlite"), prefix="/optin",
                     proxies=1, project=here, on_message=sent.append)
    client = Client(app)
    res = client.post("/optin/submit", data=json.dumps(signup()), content_type="application/json",
                      headers={"Origin": "https://www.shop.example", "X-Forwarded-For": "203.0.113.7"})
    assert res.status_code == 202 and res.headers["Access-Control-Allow-Origin"] == "https://www.shop.example"
    assert client.post("/api/submit", data="{}", content_type="application/json").status_code == 404
    # without a local site, links use the campaign's base_url; production keeps no message in clear
    assert sent[0].link.startswith("https://optin.nordlyssko.example/nordlys-sko/nb/confirm.html?t=")
    db = sqlite3.connect(tmp_path / "prod.sqlite")
    assert db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    from generator.errors import OptinError
    with pytest.raises(OptinError):
        create_app(campaigns=str(tmp_path / "none"), ledger=str(tmp_path / "x.sqlite"), project=here)


# -- audit fixes -------------------------------------------------------------------------------
def test_message_names_the_keyword_of_every_channel_it_covers(rx):
    """nordlys-sko: offers by WhatsApp (STOPP) and order updates by SMS (UNSUB) in one message."""
    rx.post("submit", signup())
    rx.post("submit", signup(locale="de", phone="+4791234568"))
    nb, de = (m.body for m in rx.sent)
    t = rx.app.locales.translations("nb")
    assert t.ugettext("You can stop at any time:") in nb
    assert "- " + t.ugettext("%(channel)s messages: reply %(keyword)s") % {"channel": "WhatsApp", "keyword": "STOPP"} in nb
    assert "- " + t.ugettext("%(channel)s messages: reply %(keyword)s") % {"channel": "SMS", "keyword": "UNSUB"} in nb
    assert "STOPP" in de and "UNSUB" in de
    # one channel: one line, as before
    rx.post("submit", signup(purposes=["order_updates"], phone="+4791234569"))
    only_sms = rx.sent[-1].body
    assert "UNSUB" in only_sms and "STOPP" not in only_sms
    assert t.ugettext("You can stop at any time: reply %(keyword)s to any message.") % {"keyword": "UNSUB"} in only_sms


def test_sms_keyword_defaults_per_country_in_the_message(tmp_path):
    """Without opt_out in the campaign: WhatsApp STOP, SMS in Norway UNSUB (not STOP)."""
    examples = example_project(tmp_path / "examples")
    here = project(tmp_path / "project")
    here.campaigns_dir.mkdir()
    text = (examples.campaigns_dir / "nordlys-sko.yaml").read_text(encoding="utf-8")
    text = text.split("opt_out:")[0].replace("logo: nordlys-sko-logo.svg", "")
    (here.campaigns_dir / "nordlys-sko.yaml").write_text(text, encoding="utf-8")
    sent = []
    app = Receiver(load_campaigns(here), Ledger(tmp_path / "l.sqlite"), here.locales, site_url=SITE, limits=ROOMY,
                   on_message=sent.append)
    view = resolve_all(load_campaigns(here)[0], here.locales)["en"]  # its own notice: the keywords differ
    shown = {"notice_version": view.notice_version, "wording_version": view.wording_version}
    res = Client(app).post("/api/submit", data=json.dumps(signup(locale="en", **shown)), content_type="application/json")
    assert res.status_code == 202
    body = sent[0].body
    assert "- WhatsApp messages: reply STOP\n" in body and "- SMS messages: reply UNSUB\n" in body


def test_tokens_and_codes_are_found_by_their_sha256(rx):
    """The design docs/protocol.md states: only digests are stored (a token's SHA-256, a code's
    HMAC-SHA256 with the ledger key), and a presented token or code is looked up by its digest;
    the digest itself is no token."""
    rx.post("submit", signup())
    token, code = token_of(rx.sent[0]), rx.sent[0].code
    stored_token, stored_code = rx.rows("SELECT token_hash, code_hash FROM tokens")[0]
    assert stored_token == hashlib.sha256(token.encode()).hexdigest()
    assert stored_code == hmac.new(rx.ledger.key, ("code:" + code.replace("-", "")).encode(), "sha256").hexdigest()
    for wrong in ({"token": stored_token}, {"code": stored_code}, {"token": token[:-1]}):
        res = rx.post("confirm", {"campaign": "nordlys-sko", "purposes": ["*"], **wrong})
        assert res.status_code == 400 and res.get_json()["error"] in ("invalid_token", "wrong_code", "malformed")
    assert rx.post("confirm", {"campaign": "nordlys-sko", "token": token, "purposes": ["*"]}).status_code == 200


def test_csv_export_lists_can_be_split_back(rx):
    rx.post("submit", signup("kedai-harmoni", "ms", ["promotions", "newsletter"], phone="+60123456789",
                             email="siti@example.com"))
    rows = list(csv.DictReader(io.StringIO(export.as_csv(export.rows(rx.app.ledger)))))
    assert rows[0]["purposes"].split(";") == ["promotions", "newsletter"]
    assert rows[0]["pii_categories"].split(";") == ["phone number", "email address"]
    assert json.loads(rows[0]["controller"])["name"] and json.loads(rows[0]["purpose_details"])[0]["id"] == "promotions"


def test_protocol_doc_examples_are_real_output(tmp_path):
    """docs/protocol.md's submit example, sent to the receiver, gives the doc's message (token
    and code aside, which are random) and the doc's export line of the `given` event."""
    doc = (REPO / "docs" / "protocol.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(\w+)\n(.*?)```", doc, re.S)
    submit = json.loads(next(b for kind, b in blocks if kind == "json" and '"record_id"' in b and '"phone"' in b
                             and "event" not in b))
    message = next(b for kind, b in blocks if kind == "text" and "confirm.html?t=" in b)
    exported = next(b for kind, b in blocks if kind == "json" and '"event": "given"' in b)
    clock = Clock()
    clock.now = datetime(2026, 11, 23, 19, 0, 3, 512000, tzinfo=timezone.utc)
    sent = []
    here = example_project(tmp_path / "project")
    app = Receiver(load_campaigns(here), Ledger(tmp_path / "l.sqlite"), builtin_locales(), limits=ROOMY,
                   clock=clock, on_message=sent.append)  # no local site: links use base_url
    client = Client(app)
    res = client.post("/api/submit", data=json.dumps(submit), content_type="application/json",
                      headers={"Origin": "https://optin.nordlyssko.example"})
    assert res.get_json() == {"status": "pending", "record_id": submit["record_id"]}
    (real,) = sent
    doc_token = re.search(r"[?&]t=([^&\s]+)", message).group(1)
    doc_code = re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}\b", message).group(0)
    doc_stop = re.search(r"/unsubscribe\?t=([^&\s]+)", message).group(1)
    real_stop = re.search(r"/unsubscribe\?t=([^&\s]+)", real.body).group(1)
    assert real.body + "\n" == (message.replace(doc_token, token_of(real)).replace(doc_code, real.code)
                                .replace(doc_stop, real_stop))
    clock.now = datetime(2026, 11, 23, 19, 17, 8, 415000, tzinfo=timezone.utc)
    client.post("/api/confirm", data=json.dumps({"campaign": "nordlys-sko", "locale": "nb", "token": token_of(real),
                                                 "purposes": ["offers"]}), content_type="application/json")
    given = [row for row in export.rows(app.ledger) if row["event"] == "given"]
    assert export.as_jsonl(given) == exported


def test_create_app_on_postgresql_from_the_environment(tmp_path, monkeypatch):
    """OPTIN_DATABASE_URL picks PostgreSQL; the rate-limit counters are then in the database,
    shared by every worker (two apps here, as two gunicorn workers would be)."""
    from generator.receiver.app import create_app
    from generator.receiver.ratelimit import Limit, Limits

    url = postgres.target("postgresql", tmp_path)
    monkeypatch.setenv("OPTIN_DATABASE_URL", url)
    monkeypatch.setenv("OPTIN_LEDGER_KEY", "shared-key")
    monkeypatch.delenv("OPTIN_LEDGER", raising=False)
    here = example_project(tmp_path / "project")
    tight = Limits(per_address=Limit(3, 600), per_contact=Limit(100, 60), wrong_codes=Limit(100, 60))
    apps = [Client(create_app(campaigns=str(here.campaigns_dir), project=here, limits=tight)) for _ in range(2)]
    codes = [apps[i % 2].post("/api/submit", data=json.dumps(signup(phone=f"+479123456{i}")),
                              content_type="application/json").status_code for i in range(4)]
    assert codes == [202, 202, 202, 429]
    import psycopg
    with psycopg.connect(url) as db:
        assert db.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 3
        assert db.execute("SELECT SUM(count) FROM rate_limits").fetchone()[0] >= 3
