"""Double opt-in through the providers, end to end in real Chromium against `optin serve`'s app
with senders pointed at local fakes: sign up on the built page -> the fake provider receives the
message -> confirm with the link from it -> the person replies STOPP / UNSUB (a signed webhook)
or presses the mail client's one-click unsubscribe -> the ledger shows the withdrawal and the
fake received the localised opt-out reply."""
from __future__ import annotations

import json
import re
import tomllib
import urllib.parse
import urllib.request

import pytest

from generator.pipeline.serve import LocalServer
from generator.receiver.senders import from_settings
from generator.site.messages import opt_out_reply
from support.fakes import (PROVIDER_ENV, MetaFake, SMTPFake, TwilioFake, meta_headers, meta_inbound, provider_toml,
                           twilio_headers, twilio_inbound)
from support.projects import builtin_locales, example_project
from support.receiver import ROOMY

TRANSLATIONS = builtin_locales()


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    folder = tmp_path_factory.mktemp("delivery")
    with MetaFake() as meta, TwilioFake() as twilio, SMTPFake() as smtp:
        settings = tomllib.loads(provider_toml(meta, twilio, smtp))["receiver"]
        server = LocalServer(example_project(folder), ledger=folder / "ledger.sqlite", limits=ROOMY,
                             senders=from_settings(settings, PROVIDER_ENV)).start()
        server.meta, server.twilio, server.smtp = meta, twilio, smtp
        try:
            yield server
        finally:
            server.close()
    assert meta.problems == [] and twilio.problems == []


def campaign(server, cid):
    return next(c for c in server.build.campaigns if c.id == cid)


def sign_up(page, server, cid, lang, purpose, contact: dict):
    page.goto(f"{server.url}/{cid}/{lang}/")
    page.check(f"#purpose-{purpose}")
    channel = next(p.channel for p in campaign(server, cid).purposes if p.id == purpose)
    if channel == "email":
        page.fill("#email", contact["email"])
    else:
        page.fill("#phone", contact["phone"])
    page.click("#signup button[type=submit]")
    page.wait_for_url("**/thanks.html")


def confirm(page, link):
    page.goto(link)
    page.click("button[value=all]")
    page.locator("#confirmed").wait_for(state="visible")


def post(url, data: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status


def history(server, **contact):
    return [(r["event"], json.loads(r["event_purposes"]), r["event_method"]) for r in server.ledger.history(**contact)]


def reply_text(server, cid, lang):
    return opt_out_reply(TRANSLATIONS.translations(lang), campaign(server, cid), lang)


def test_whatsapp_signup_confirm_and_stopp(page, rig, flow_contact):
    contact = flow_contact("NO")
    sign_up(page, rig, "nordlys-sko", "nb", "offers", contact)
    [request] = [r for r in rig.meta.requests if r["json"]["to"] == contact["phone"].lstrip("+")]
    template = request["json"]["template"]
    assert template["name"] == "nordlys_sko_confirmation" and template["language"]["code"] == "nb"
    link = template["components"][0]["parameters"][0]["text"]
    assert link.startswith(f"{rig.url}/nordlys-sko/nb/confirm.html?t=")
    confirm(page, link)
    raw = meta_inbound(contact["phone"], "stopp", "wamid.browser-" + contact["phone"])
    assert post(f"{rig.url}/api/hooks/whatsapp", raw, meta_headers(raw)) == 200
    assert post(f"{rig.url}/api/hooks/whatsapp", raw, meta_headers(raw)) == 200  # a replay
    events = history(rig, phone=contact["phone"])
    assert [e[:2] for e in events] == [("requested", ["offers"]), ("given", ["offers"]), ("withdrawn", ["offers"])]
    assert events[-1][2] == "reply-keyword:STOPP"
    replies = [r for r in rig.meta.requests
               if r["json"]["to"] == contact["phone"].lstrip("+") and r["json"]["type"] == "text"]
    assert [r["json"]["text"]["body"] for r in replies] == [reply_text(rig, "nordlys-sko", "nb")]


def test_sms_signup_confirm_and_unsub(page, rig, flow_contact):
    contact = flow_contact("NO")
    sign_up(page, rig, "nordlys-sko", "en", "order_updates", contact)
    [request] = [r for r in rig.twilio.requests if r["form"]["To"] == contact["phone"]]
    link = re.search(r"http://\S+/confirm\.html\?\S+", request["form"]["Body"]).group(0)
    confirm(page, link)
    url = f"{rig.url}/api/hooks/twilio"
    form = twilio_inbound(contact["phone"], "UNSUB", "SM" + contact["phone"][1:].rjust(32, "0"))
    data = urllib.parse.urlencode(form).encode()
    headers = {**twilio_headers(url, form), "Content-Type": "application/x-www-form-urlencoded"}
    assert post(url, data, headers) == 200 and post(url, data, headers) == 200
    assert history(rig, phone=contact["phone"])[-2:] == [
        ("given", ["order_updates"], "confirm-page:link"), ("withdrawn", ["order_updates"], "reply-keyword:UNSUB")]
    replies = [r["form"]["Body"] for r in rig.twilio.requests[1:] if r["form"]["To"] == contact["phone"]]
    assert replies == [reply_text(rig, "nordlys-sko", "en")]


def test_email_signup_confirm_and_one_click_unsubscribe(page, rig, flow_contact):
    contact = flow_contact("MY")
    sign_up(page, rig, "kedai-harmoni", "ms", "newsletter", contact)
    [(_, _, mail)] = [m for m in rig.smtp.messages if m[1] == [contact["email"]]]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(http://127\.0\.0\.1:\d+/api/unsubscribe\?t=[\w-]+)>",
                               mail["List-Unsubscribe"]).group(1)
    link = re.search(r"http://\S+/confirm\.html\?\S+", mail.get_content()).group(0)
    confirm(page, link)
    # what a mail client sends for the one-click button (RFC 8058): no cookie, no page
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert post(unsubscribe, b"List-Unsubscribe=One-Click", headers) == 200
    assert history(rig, email=contact["email"])[-2:] == [
        ("given", ["newsletter"], "confirm-page:link"), ("withdrawn", ["newsletter"], "one-click-unsubscribe")]
