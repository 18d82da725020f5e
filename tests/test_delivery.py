"""The receiver wired to the providers' local fakes: a submission goes out through the WhatsApp
Cloud API, Twilio or SMTP after the commit, the outcome lands in `deliveries`, failures stay
listed and can be retried, and replies withdraw consent (signed webhooks, one-click POST)."""
from __future__ import annotations

import json
import re
import sqlite3
import urllib.parse

import pytest
from click.testing import CliRunner
from werkzeug.test import Client

from generator.cli.main import main
from generator.project import Project
from generator.receiver.app import Receiver, load_campaigns, now_utc
from generator.receiver.ledger import Ledger
from generator.receiver.senders import SUPPRESSED, Delivery, from_settings
from generator.site.messages import opt_out_reply
from support.fakes import (PROVIDER_ENV, SMS_FROM, VERIFY_TOKEN, MetaFake, SMTPFake, TwilioFake, meta_headers,
                           meta_inbound, meta_status, provider_toml, twilio_headers, twilio_inbound)
from support.projects import copy_examples
from support.receiver import ROOMY, SITE, signup

PHONE, MY_PHONE, EMAIL = "+4791234567", "+60123456789", "kari@example.com"
TWILIO_URL = "http://localhost/api/hooks/twilio"  # the test client's address of the route


class Rig:
    def __init__(self, root, meta, twilio, smtp):
        self.meta, self.twilio, self.smtp = meta, twilio, smtp
        copy_examples(root / "campaigns")
        self.config = root / "optin.toml"
        self.config.write_text('[receiver]\nledger = "ledger.sqlite"\n' + provider_toml(meta, twilio, smtp),
                               encoding="utf-8")
        self.project = Project.load(self.config)
        self.path = self.project.ledger_path
        self.ledger = Ledger.of_project(self.project)
        self.sent = []
        self.app = Receiver(load_campaigns(self.project), self.ledger, self.project.locales, site_url=SITE,
                            clock=now_utc, limits=ROOMY, on_message=self.sent.append,
                            senders=from_settings(self.project.receiver, PROVIDER_ENV))
        self.client = Client(self.app)

    def post(self, name, body):
        return self.client.post(f"/api/{name}", data=json.dumps(body), content_type="application/json")

    def rows(self, sql, *args):
        db = sqlite3.connect(self.path)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def events(self):
        return [(e, json.loads(p), m) for e, p, m in self.rows("SELECT event, purposes, method FROM events ORDER BY id")]

    def deliveries(self):
        return self.rows("SELECT kind, channel, provider, status, provider_id, error, attempts FROM deliveries ORDER BY id")

    def whatsapp(self, raw: bytes, headers=None):
        return self.client.post("/api/hooks/whatsapp", data=raw,
                                headers=meta_headers(raw) if headers is None else headers)

    def sms(self, form: dict, headers=None):
        return self.client.post("/api/hooks/twilio", data=form,
                                headers=twilio_headers(TWILIO_URL, form) if headers is None else headers)

    def cli(self, *args):
        result = CliRunner().invoke(main, ["-f", str(self.config), "ledger", *args], env=PROVIDER_ENV)
        return result


@pytest.fixture
def rig(tmp_path):
    with MetaFake() as meta, TwilioFake() as twilio, SMTPFake() as smtp:
        yield Rig(tmp_path, meta, twilio, smtp)
    assert meta.problems == [] and twilio.problems == []


def template_link(request) -> str:
    return request["json"]["template"]["components"][0]["parameters"][0]["text"]


def token(link: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["t"][0]


def confirm(rig, campaign, locale, link):
    answer = rig.post("confirm", {"campaign": campaign, "locale": locale, "token": token(link), "purposes": ["*"]})
    assert answer.status_code == 200, answer.get_data(as_text=True)


# -- sending ------------------------------------------------------------------------------
def test_a_submission_goes_out_as_the_whatsapp_template(rig):
    assert rig.post("submit", signup()).status_code == 202
    [request] = rig.meta.requests
    body = request["json"]
    assert body["to"] == PHONE.lstrip("+") and body["type"] == "template"
    template = body["template"]
    assert (template["name"], template["language"]) == ("nordlys_sko_confirmation", {"code": "nb"})
    link, code, valid, stop = [p["text"] for p in template["components"][0]["parameters"]]
    assert link == rig.sent[0].link and code == rig.sent[0].code and valid == "48 timer"
    assert stop == rig.sent[0].stop_url and "/unsubscribe?t=" in stop
    assert rig.deliveries() == [("confirmation", "whatsapp", "cloud-api", "queued", None, None, 0),
                                ("confirmation", "whatsapp", "cloud-api", "sent", request["id"], None, 1)]
    # a real provider: the outbox keeps nothing, and no token or code is stored in clear
    assert rig.rows("SELECT COUNT(*) FROM outbox") == [(0,)]
    dump = "\n".join(rig.ledger.backend.connect(rig.ledger.key).iterdump())
    assert token(link) not in dump and code not in dump and code.replace("-", "") not in dump
    assert token(stop) not in dump


def test_a_5xx_is_retried_then_sent(rig):
    rig.meta.script = ["500"]
    assert rig.post("submit", signup()).status_code == 202
    assert rig.meta.hits == 2 and len(rig.meta.requests) == 1
    assert rig.deliveries()[-1][3:] == ("sent", rig.meta.requests[0]["id"], None, 2)


def test_a_failed_delivery_keeps_the_submission_is_listed_and_retried(rig):
    rig.meta.script = ["503"] * 3
    assert rig.post("submit", signup()).status_code == 202
    assert rig.events() == [("requested", ["offers", "order_updates"], "signup-page:json")]
    *_, status, provider_id, error, attempts = rig.deliveries()[-1]
    assert (status, provider_id, attempts) == ("deferred", None, 3) and "HTTP 503" in error
    listed = rig.cli("deliveries")
    assert listed.exception is None and listed.exit_code == 0
    assert "deferred" in listed.output and "nordlys-sko/nb" in listed.output and "HTTP 503" in listed.output
    message_id = listed.output.split()[0]
    retried = rig.cli("retry")
    assert retried.exception is None and retried.exit_code == 0
    assert retried.output.split() == [message_id, "sent"]
    [request] = rig.meta.requests  # a fresh link and code: the lost ones were never stored
    link = template_link(request)
    assert link != rig.sent[0].link
    assert rig.cli("deliveries").output.strip() == "no pending or failed deliveries"
    confirm(rig, "nordlys-sko", "nb", link)
    assert rig.events()[-1] == ("given", ["offers", "order_updates"], "confirm-page:link")
    # once confirmed, nothing is left to send: a retry of it is cancelled, not sent
    assert "cancelled" not in rig.cli("deliveries", "--all").output


def test_a_refused_message_is_failed_and_a_retry_after_confirmation_cancels_it(rig):
    rig.meta.script = ["400"]
    rig.post("submit", signup())
    assert rig.deliveries()[-1][3] == "failed"
    confirm(rig, "nordlys-sko", "nb", rig.sent[0].link)  # the person had the code some other way
    retried = rig.cli("retry")
    assert retried.exception is None and "cancelled" in retried.output and "nothing left to confirm" in retried.output
    assert rig.meta.hits == 1


# -- WhatsApp replies ---------------------------------------------------------------------
def test_signed_stopp_withdraws_by_reply_keyword_and_answers_once(rig):
    rig.post("submit", signup())
    confirm(rig, "nordlys-sko", "nb", template_link(rig.meta.requests[0]))
    raw = meta_inbound(PHONE, "  stopp ", "wamid.in-1")
    assert rig.whatsapp(raw).status_code == 200
    # the WhatsApp purpose only: the SMS one stays given
    assert rig.events()[-1] == ("withdrawn", ["offers"], "reply-keyword:STOPP")
    reply = rig.meta.requests[-1]["json"]
    campaign = rig.app.campaigns["nordlys-sko"]
    text = opt_out_reply(rig.project.locales.translations("nb"), campaign, "nb")
    assert reply["type"] == "text" and reply["text"]["body"] == text and reply["to"] == PHONE.lstrip("+")
    assert rig.rows("SELECT provider_id, channel, keyword FROM inbound") == [("wamid.in-1", "whatsapp", "STOPP")]
    before = (len(rig.events()), rig.meta.hits, len(rig.deliveries()))
    assert rig.whatsapp(raw).status_code == 200  # Meta delivers a webhook again when unsure
    assert (len(rig.events()), rig.meta.hits, len(rig.deliveries())) == before
    # a second STOPP (another message id) finds nothing active: recorded, no second reply
    assert rig.whatsapp(meta_inbound(PHONE, "STOPP", "wamid.in-2")).status_code == 200
    assert (len(rig.events()), rig.meta.hits) == before[:2]
    export = rig.cli("suppression", "--channel", "whatsapp")
    assert export.exception is None and export.output == PHONE + "\n"
    assert rig.cli("suppression", "--channel", "sms").output == ""


def test_bad_signatures_are_refused_and_nothing_is_stored(rig):
    rig.post("submit", signup())
    before = (rig.events(), rig.deliveries())
    raw = meta_inbound(PHONE, "STOPP", "wamid.bad")
    assert rig.whatsapp(raw, headers={}).status_code == 401
    assert rig.whatsapp(raw, headers=meta_headers(raw, "another-secret")).status_code == 403
    tampered = raw.replace(b"STOPP", b"STOP ")
    assert rig.whatsapp(tampered, headers=meta_headers(raw)).status_code == 403
    form = twilio_inbound(PHONE, "STOP", "SM" + "1" * 32)
    assert rig.sms(form, headers={}).status_code == 401
    assert rig.sms(form, headers=twilio_headers(TWILIO_URL, form, "wrong-token")).status_code == 403
    assert rig.sms({**form, "Body": "START"}, headers=twilio_headers(TWILIO_URL, form)).status_code == 403
    assert (rig.events(), rig.deliveries()) == before
    assert rig.rows("SELECT COUNT(*) FROM inbound") == [(0,)] and len(rig.meta.requests) == 1


def test_unknown_senders_and_start_leave_nothing(rig):
    rig.post("submit", signup())
    before = (rig.events(), rig.deliveries(), rig.meta.hits)
    assert rig.whatsapp(meta_inbound("+4799999999", "STOPP", "wamid.stranger")).status_code == 200
    assert rig.whatsapp(meta_inbound(PHONE, "START", "wamid.start")).status_code == 200
    assert rig.whatsapp(meta_inbound(PHONE, "UNSTOP", "wamid.unstop")).status_code == 200
    assert rig.whatsapp(meta_inbound(PHONE, "hei, når åpner dere?", "wamid.chat")).status_code == 200
    assert rig.sms(twilio_inbound("+4799999999", "UNSUB", "SM" + "2" * 32)).status_code == 200
    assert (rig.events(), rig.deliveries(), rig.meta.hits) == before
    assert rig.rows("SELECT COUNT(*) FROM inbound") == [(0,)] and rig.twilio.hits == 0


def test_the_whatsapp_handshake_and_delivery_statuses(rig):
    args = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    answer = rig.client.get("/api/hooks/whatsapp", query_string=args)
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "1158201444")
    wrong = rig.client.get("/api/hooks/whatsapp", query_string={**args, "hub.verify_token": "guess"})
    assert wrong.status_code == 403
    rig.post("submit", signup())
    wamid = rig.meta.requests[0]["id"]
    assert rig.whatsapp(meta_status(wamid, PHONE, "delivered")).status_code == 200
    assert rig.deliveries()[-1][3:5] == ("delivered", wamid)


# -- SMS (Twilio) -------------------------------------------------------------------------
def test_sms_goes_out_through_twilio_and_unsub_withdraws(rig):
    rig.post("submit", signup(purposes=["order_updates"]))
    [request] = rig.twilio.requests
    assert request["form"]["To"] == PHONE and request["form"]["From"] == SMS_FROM
    assert request["form"]["Body"] == rig.sent[0].body and rig.meta.hits == 0
    confirm(rig, "nordlys-sko", "nb", re.search(r"https?://\S+confirm\.html\S+", request["form"]["Body"]).group(0))
    form = twilio_inbound(PHONE, "Unsub", "SM" + "3" * 32)
    answer = rig.sms(form)
    assert answer.status_code == 200 and answer.mimetype == "text/xml"
    assert rig.events()[-1] == ("withdrawn", ["order_updates"], "reply-keyword:UNSUB")
    reply = rig.twilio.requests[-1]["form"]
    assert reply["Body"] == opt_out_reply(rig.project.locales.translations("nb"), rig.app.campaigns["nordlys-sko"], "nb")
    assert rig.sms(form).status_code == 200 and len(rig.twilio.requests) == 2 and len(rig.events()) == 3
    assert rig.cli("suppression", "--channel", "sms").output == PHONE + "\n"


# -- email (SMTP) and one-click unsubscribe -------------------------------------------------
def test_email_carries_one_click_unsubscribe_which_withdraws(rig):
    body = signup("kedai-harmoni", "ms", ["newsletter"], phone=None, email=EMAIL)
    assert rig.post("submit", body).status_code == 202
    [(_, recipients, mail)] = rig.smtp.messages
    assert recipients == [EMAIL] and mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(https://\S+/unsubscribe\?t=\S+)>", mail["List-Unsubscribe"]).group(1)
    unsubscribe_token = token(url)
    assert unsubscribe_token not in "\n".join(rig.ledger.backend.connect(rig.ledger.key).iterdump())
    assert mail["Subject"] == rig.sent[0].subject and "Kedai Harmoni" in mail["Subject"]
    confirm(rig, "kedai-harmoni", "ms", rig.sent[0].link)
    target = f"/api/unsubscribe?t={unsubscribe_token}"
    assert rig.client.get(target).status_code == 200  # a link scanner's GET shows a button, changes nothing
    assert rig.events()[-1][0] == "given"
    assert rig.client.post("/api/unsubscribe?t=short").status_code == 400
    stranger = rig.client.post("/api/unsubscribe?t=" + "A" * 43, data={"List-Unsubscribe": "One-Click"})
    assert stranger.status_code == 200 and rig.events()[-1][0] == "given"
    answer = rig.client.post(target, data={"List-Unsubscribe": "One-Click"})  # no cookie, no login
    assert answer.status_code == 200
    assert rig.events()[-1] == ("withdrawn", ["newsletter"], "one-click-unsubscribe")
    assert rig.client.post(target, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert len(rig.events()) == 3
    assert rig.cli("suppression", "--channel", "email").output == EMAIL + "\n"


def test_withdraw_page_hands_the_contact_to_the_senders(rig, monkeypatch):
    rig.post("submit", signup())
    confirm(rig, "nordlys-sko", "nb", template_link(rig.meta.requests[0]))
    asked = []

    def suppress(contact):  # as a provider with an opt-out API would answer
        asked.append(contact)
        return Delivery(None, SUPPRESSED)

    monkeypatch.setattr(rig.app.senders["sms"], "suppress", suppress)
    answer = rig.post("withdraw", {"campaign": "nordlys-sko", "locale": "nb", "phone": PHONE, "purposes": ["*"]})
    assert answer.status_code == 200 and asked == [PHONE]
    # WhatsApp has no such API (unsupported: nothing recorded); the SMS provider's answer is kept
    assert rig.deliveries()[-1][:4] == ("suppression", "sms", "twilio", "suppressed")
