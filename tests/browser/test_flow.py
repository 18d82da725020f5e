"""Double opt-in end to end in real Chromium against `optin serve`'s app, every locale of the
example campaigns: sign up -> thanks -> outbox -> confirm link (nothing confirmed yet) ->
press confirm -> ledger; the same with JavaScript off (code typed in); a subset; withdraw;
the ledger export shows the history."""
from __future__ import annotations

import json
import urllib.request

import pytest
from click.testing import CliRunner

from generator.campaign.vocab import CHANNEL_NAMES
from generator.cli.main import main
from support.projects import EXAMPLE_IDS, LOCALES, builtin_locales

# every example campaign has every built-in locale (the server's build is checked against this)
CAMPAIGN_LOCALES = [(cid, lang) for cid in EXAMPLE_IDS for lang in LOCALES]
IDS = [f"{cid}-{lang}" for cid, lang in CAMPAIGN_LOCALES]
TRANSLATIONS = builtin_locales()


def _(lang: str, msgid: str) -> str:
    return TRANSLATIONS.translations(lang).ugettext(msgid)


def example(server, cid: str):
    """The example campaign as the server built it."""
    return next(c for c in server.build.campaigns if c.id == cid)


def test_the_examples_have_every_locale(flow_server):
    assert sorted((c.id, lang) for c in flow_server.build.campaigns for lang in c.locales) == sorted(CAMPAIGN_LOCALES)


def events(server, contact: str) -> list[tuple]:
    kind = "email" if "@" in contact else "phone"
    rows = server.ledger.history(**{kind: contact})
    return [(r["event"], json.loads(r["event_purposes"]), r["event_locale"], r["event_notice"], r["event_method"])
            for r in rows]


def sign_up(page, server, cid: str, lang: str, purposes: list[str], contact: dict) -> None:
    page.goto(f"{server.url}/{cid}/{lang}/")
    campaign = example(server, cid)
    channels = {p.channel for p in campaign.purposes if p.id in purposes}
    for pid in purposes:
        page.check(f"#purpose-{pid}")
    if channels & {"whatsapp", "sms"}:
        page.fill("#phone", contact["phone"])
    if "email" in channels:
        page.fill("#email", contact["email"])
    page.click("#signup button[type=submit]")
    page.wait_for_url("**/thanks.html")
    assert page.locator("h1").inner_text() == _(lang, "Almost done: check your messages")


def outbox(page, server, recipient: str) -> list[dict]:
    """Read the local outbox page like a marketer would: (link, code, text) per message."""
    page.goto(f"{server.url}/_outbox")
    items = page.locator("li.message").filter(has=page.locator(".to", has_text=recipient))
    return [{"link": items.nth(i).locator("a.confirm-link").get_attribute("href"),
             "code": items.nth(i).locator("code.code").inner_text(),
             "text": items.nth(i).locator("pre").inner_text(),
             "locale": items.nth(i).get_attribute("data-locale")} for i in range(items.count())]


def recipients(campaign, contact: dict, purposes: list[str]) -> list[tuple[str, list[str]]]:
    phone = [p.id for p in campaign.purposes if p.id in purposes and p.channel != "email"]
    email = [p.id for p in campaign.purposes if p.id in purposes and p.channel == "email"]
    return [(c, ids) for c, ids in ((contact["phone"], phone), (contact["email"], email)) if ids]


def console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@pytest.mark.parametrize("cid,lang", CAMPAIGN_LOCALES, ids=IDS)
def test_double_opt_in_with_javascript(page, flow_server, flow_contact, cid, lang):
    campaign = example(flow_server, cid)
    contact = flow_contact(campaign.country)
    purposes = [p.id for p in campaign.purposes]
    errors = console_errors(page)
    sign_up(page, flow_server, cid, lang, purposes, contact)
    view = flow_server.build.views[cid][lang]
    for recipient, ids in recipients(campaign, contact, purposes):
        (message,) = outbox(page, flow_server, recipient)
        assert message["locale"] == lang
        assert f"/{cid}/{lang}/confirm.html?t=" in message["link"]
        # how to stop: the reply keyword of every channel the message covers (nordlys-sko:
        # WhatsApp STOPP and SMS UNSUB in one message), or the unsubscribe link for email
        channels = [p.channel for p in campaign.purposes if p.id in ids]
        for channel in dict.fromkeys(ch for ch in channels if ch != "email"):
            keyword = campaign.opt_out[channel][lang]
            assert keyword in message["text"], (channel, keyword, message["text"])
        if len({campaign.opt_out[ch][lang] for ch in channels if ch != "email"}) > 1:
            for channel in dict.fromkeys(channels):
                line = _(lang, "%(channel)s messages: reply %(keyword)s") % {
                    "channel": _(lang, CHANNEL_NAMES[channel]), "keyword": campaign.opt_out[channel][lang]}
                assert f"- {line}\n" in message["text"]
        if channels == ["email"] * len(channels):
            assert _(lang, "Every email has an unsubscribe link.") in message["text"]
        # opening the link (what a link-preview bot does) confirms nothing
        page.goto(message["link"])
        assert page.locator("#code-field").is_hidden() and page.locator("#link-note").is_visible()
        # several purposes: a checkbox each; one: named above a single "Confirm" button
        shown = [pid for pid in purposes if page.locator(f".check[data-purpose='{pid}']:visible, "
                                                         f"#asked-label[data-purpose='{pid}']:visible").count()]
        assert shown == ids
        assert page.locator(".state:visible").count() == 0
        before = events(flow_server, recipient)
        assert not [e for e in before if e[0] == "given" and set(e[1]) & set(ids)]
        page.click("button[value=all]")
        state = page.locator("#confirmed")
        state.wait_for(state="visible")
        assert _(lang, "Thank you: your sign-up is confirmed.") in state.inner_text()
        assert page.locator("#confirm").is_hidden()
        labels = state.locator(".state-list li").all_inner_texts()
        assert len(labels) == len(ids) and all(campaign.brand_name in label for label in labels)
        new = events(flow_server, recipient)[len(before):]
        assert new == [("given", ids, lang, view.notice_version, "confirm-page:link")]
    history = events(flow_server, contact["phone"])
    assert history[0][:4] == ("requested", purposes, lang, view.notice_version)
    assert errors == []


@pytest.mark.parametrize("cid,lang", CAMPAIGN_LOCALES, ids=IDS)
def test_double_opt_in_without_javascript(browser, flow_server, flow_contact, cid, lang):
    campaign = example(flow_server, cid)
    contact = flow_contact(campaign.country)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        first = campaign.purposes[0]
        sign_up(page, flow_server, cid, lang, [first.id], contact)
        (message,) = outbox(page, flow_server, contact["phone"])
        page.goto(f"{flow_server.url}/{cid}/{lang}/confirm.html")
        assert page.locator(".state:visible").count() == 0
        page.fill("#code", message["code"].lower())  # typed in by hand, case does not matter
        page.click("button[value=all]")
        page.wait_for_url("**/confirm.html#confirmed")
        state = page.locator("#confirmed")
        assert state.is_visible() and _(lang, "Thank you: your sign-up is confirmed.") in state.inner_text()
        assert page.locator("#confirm").is_hidden()
        view = flow_server.build.views[cid][lang]
        assert events(flow_server, contact["phone"]) == [
            ("requested", [first.id], lang, view.notice_version, "signup-page:form"),
            ("given", [first.id], lang, view.notice_version, "confirm-page:code")]
    finally:
        context.close()


def test_confirm_a_subset_withdraw_one_and_export(page, flow_server, flow_contact, tmp_path):
    contact = flow_contact("NO")
    sign_up(page, flow_server, "nordlys-sko", "en", ["offers", "order_updates"], contact)
    (message,) = outbox(page, flow_server, contact["phone"])
    page.goto(message["link"])
    page.check("#confirm-order_updates")
    page.click("button[value=selected]")
    page.locator("#confirmed").wait_for(state="visible")
    labels = page.locator("#confirmed .state-list li").all_inner_texts()
    assert len(labels) == 1 and "SMS" in labels[0]
    assert [e[:2] for e in events(flow_server, contact["phone"])] == [
        ("requested", ["offers", "order_updates"]), ("given", ["order_updates"]), ("refused", ["offers"])]

    page.goto(f"{flow_server.url}/nordlys-sko/nb/withdraw.html")
    page.fill("#phone", contact["phone"].replace("+47", ""))  # national form; the Norwegian page adds +47
    page.check("#withdraw-order_updates")
    page.click("#withdraw button[type=submit]")
    page.locator("#withdrawn").wait_for(state="visible")
    assert page.locator("#withdraw").is_hidden()
    history = events(flow_server, contact["phone"])
    assert history[-1][:3] == ("withdrawn", ["order_updates"], "nb") and history[-1][4] == "withdraw-page"

    config = tmp_path / "optin.toml"  # a project of its own: the command must not find the repository's
    config.write_text("", encoding="utf-8")
    res = CliRunner().invoke(main, ["-f", str(config), "ledger", "export", "--ledger", str(flow_server.ledger.path),
                                    "--contact", contact["phone"], "--format", "csv"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert [line.split(",")[2] for line in lines[1:]] == ["requested", "given", "refused", "withdrawn"]


def test_subset_and_withdraw_without_javascript(browser, flow_server, flow_contact):
    contact = flow_contact("MY")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_up(page, flow_server, "kedai-harmoni", "de", ["promotions", "newsletter"], contact)
        (email_message,) = outbox(page, flow_server, contact["email"])
        page.goto(f"{flow_server.url}/kedai-harmoni/de/confirm.html")
        page.fill("#code", email_message["code"])
        page.check("#confirm-newsletter")
        page.click("button[value=selected]")
        page.wait_for_url("**#confirmed")
        assert [e[:2] for e in events(flow_server, contact["email"])][-1] == ("given", ["newsletter"])
        page.goto(f"{flow_server.url}/kedai-harmoni/de/withdraw.html")
        page.fill("#email", contact["email"].upper())
        page.check("#withdraw-all")
        page.click("#withdraw button[type=submit]")
        page.wait_for_url("**/withdraw.html#withdrawn")
        assert page.locator("#withdrawn").is_visible() and page.locator("#withdraw").is_hidden()
        assert _("de", "Done: your withdrawal is recorded.") in page.locator("#withdrawn").inner_text()
        # the pending WhatsApp purpose is withdrawn too: it can no longer be confirmed
        assert events(flow_server, contact["email"])[-1][:2] == ("withdrawn", ["promotions", "newsletter"])
    finally:
        context.close()


def test_a_link_preview_fetch_confirms_nothing(page, flow_server, flow_contact):
    contact = flow_contact("NO")
    sign_up(page, flow_server, "nordlys-sko", "nb", ["offers"], contact)
    (message,) = outbox(page, flow_server, contact["phone"])
    with urllib.request.urlopen(message["link"]) as res:  # a bot fetching the URL
        assert res.status == 200
    page.goto(message["link"])
    page.wait_for_timeout(300)
    assert [e[0] for e in events(flow_server, contact["phone"])] == ["requested"]
