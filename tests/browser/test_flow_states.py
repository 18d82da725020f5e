"""Every page state of the confirm and withdraw pages in real Chromium: expired token, reused
token, wrong code, receiver down (input kept, retry works), receiver 500, and the same states
without JavaScript (redirect + :target). Texts come from the locale's catalog."""
from __future__ import annotations

import json
import urllib.request
from datetime import timedelta

import pytest

from generator import i18n

def _(lang: str, msgid: str) -> str:
    return i18n.translations(lang).ugettext(msgid)


def submit(server, contact: dict, cid="nordlys-sko", lang="nb", purposes=("offers", "order_updates")) -> dict:
    """Start from the submit API (these tests are about the confirm and withdraw pages)."""
    view = server.build.views[cid][lang]
    body = {"campaign": cid, "locale": lang, "purposes": list(purposes), "phone": contact["phone"],
            "notice_version": view.notice_version, "wording_version": view.wording_version}
    req = urllib.request.Request(f"{server.url}/api/submit", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as res:
        assert res.status == 202
    rows = [r for r in server.ledger.outbox() if r["recipient"] == contact["phone"]]
    return {"link": rows[0]["link"], "code": rows[0]["code"]}


def given(server, phone: str) -> list:
    return [json.loads(r["event_purposes"]) for r in server.ledger.history(phone=phone) if r["event"] == "given"]


def only_state(page, name: str):
    state = page.locator(f"#{name}")
    state.wait_for(state="visible")
    assert [el.get_attribute("id") for el in page.locator(".state:visible").all()] == [name]
    return state


def test_expired_link(page, flow_server, flow_contact):
    contact = flow_contact()
    message = submit(flow_server, contact, lang="es")
    flow_server.clock.offset = timedelta(hours=48, minutes=1)
    try:
        page.goto(message["link"])
        page.click("button[value=all]")
        state = only_state(page, "expired_token")
        assert state.locator("a").get_attribute("href") == "index.html"
        assert page.locator("#confirm").is_hidden()
        assert page.evaluate("document.activeElement.id") == "expired_token"  # focus moves to the message
    finally:
        flow_server.clock.offset = timedelta(0)
    events = [r["event"] for r in flow_server.ledger.history(phone=contact["phone"])]
    assert events == ["requested", "expired"]


def test_reused_link_says_already_confirmed(page, flow_server, flow_contact):
    contact = flow_contact()
    message = submit(flow_server, contact, lang="de")
    page.goto(message["link"])
    page.click("button[value=all]")
    only_state(page, "confirmed")
    page.goto(message["link"])
    page.click("button[value=all]")
    state = only_state(page, "already_confirmed")
    assert _("de", "This sign-up is already confirmed. There is nothing more to do.") in state.inner_text()
    assert given(flow_server, contact["phone"]) == [["offers", "order_updates"]]


def test_wrong_code_keeps_the_form(page, flow_server, flow_contact):
    contact = flow_contact()
    message = submit(flow_server, contact, lang="ms")
    page.goto(f"{flow_server.url}/nordlys-sko/ms/confirm.html")
    page.fill("#code", "ZZZZ-ZZZZ")
    page.click("button[value=all]")
    state = only_state(page, "wrong_code")
    assert _("ms", "That code is not right. Check the message and type the code again.") in state.inner_text()
    assert page.input_value("#code") == "ZZZZ-ZZZZ" and page.locator("#confirm").is_visible()
    page.fill("#code", message["code"])
    page.click("button[value=all]")
    only_state(page, "confirmed")


def test_empty_code_and_no_purpose_are_caught_on_the_page(page, flow_server):
    page.goto(f"{flow_server.url}/nordlys-sko/en/confirm.html")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/api/" in r.url else None)
    page.click("button[value=all]")
    only_state(page, "need_code")
    page.fill("#code", "ABCD-EFGH")
    page.click("button[value=selected]")
    only_state(page, "no_purpose")
    assert requests == []


def test_receiver_down_keeps_input_and_retry_works(page, flow_server, flow_contact):
    contact = flow_contact()
    message = submit(flow_server, contact, lang="en")
    page.goto(message["link"])
    page.route("**/api/confirm", lambda route: route.abort("connectionrefused"))
    page.check("#confirm-offers")
    page.click("button[value=selected]")
    state = only_state(page, "network_error")
    assert _("en", "We could not reach the server. Check your internet connection and press the button "
                   "again: what you entered is kept.") in state.inner_text()
    assert page.is_checked("#confirm-offers") and not page.is_checked("#confirm-order_updates")
    assert given(flow_server, contact["phone"]) == []
    page.unroute("**/api/confirm")
    page.click("button[value=selected]")
    only_state(page, "confirmed")
    assert given(flow_server, contact["phone"]) == [["offers"]]


def test_receiver_500_shows_server_error(page, flow_server, flow_contact):
    contact = flow_contact()
    message = submit(flow_server, contact, lang="nb")
    page.goto(message["link"])
    page.route("**/api/confirm", lambda route: route.fulfill(status=500, body="Internal Server Error",
                                                             content_type="text/plain"))
    page.click("button[value=all]")
    state = only_state(page, "server_error")
    assert _("nb", "Something went wrong on our side. Please try again in a few minutes.") in state.inner_text()
    assert page.locator("#confirm").is_visible() and given(flow_server, contact["phone"]) == []


def test_withdraw_states(page, flow_server, flow_contact):
    contact = flow_contact()
    page.goto(f"{flow_server.url}/nordlys-sko/de/withdraw.html")
    page.click("#withdraw button[type=submit]")
    only_state(page, "no_contact")
    page.fill("#phone", "12")
    page.check("#withdraw-all")
    page.click("#withdraw button[type=submit]")
    only_state(page, "invalid_phone")
    page.fill("#phone", contact["phone"])
    page.route("**/api/withdraw", lambda route: route.abort("internetdisconnected"))
    page.click("#withdraw button[type=submit]")
    only_state(page, "network_error")
    assert page.input_value("#phone") == contact["phone"] and page.is_checked("#withdraw-all")
    page.unroute("**/api/withdraw")
    page.click("#withdraw button[type=submit]")
    state = only_state(page, "withdrawn")
    assert len(state.locator(".state-list li").all()) == 2


@pytest.mark.parametrize("lang", ["nb", "es"])
def test_states_without_javascript(browser, flow_server, flow_contact, lang):
    contact = flow_contact()
    message = submit(flow_server, contact, lang=lang)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{flow_server.url}/nordlys-sko/{lang}/confirm.html")
        page.fill("#code", "ZZZZ-ZZZZ")
        page.click("button[value=all]")
        page.wait_for_url("**#wrong_code")
        assert only_state(page, "wrong_code").is_visible() and page.locator("#confirm").is_visible()
        page.fill("#code", message["code"])
        page.click("button[value=selected]")  # nothing ticked
        page.wait_for_url("**#no_purpose")
        only_state(page, "no_purpose")
        page.fill("#code", message["code"])
        page.click("button[value=all]")
        page.wait_for_url("**#confirmed")
        only_state(page, "confirmed")
        page.goto(f"{flow_server.url}/nordlys-sko/{lang}/confirm.html")
        page.fill("#code", message["code"])
        page.click("button[value=all]")
        page.wait_for_url("**#already_confirmed")
        assert _(lang, "This sign-up is already confirmed. There is nothing more to do.") in \
            only_state(page, "already_confirmed").inner_text()
        flow_server.clock.offset = timedelta(hours=49)
        try:
            expired = submit(flow_server, flow_contact(), lang=lang)  # issued "now", i.e. 49 h ahead
        finally:
            flow_server.clock.offset = timedelta(0)
        flow_server.clock.offset = timedelta(hours=98)
        try:
            page.goto(f"{flow_server.url}/nordlys-sko/{lang}/confirm.html")
            page.fill("#code", expired["code"])
            page.click("button[value=all]")
            page.wait_for_url("**#expired_token")
            only_state(page, "expired_token")
        finally:
            flow_server.clock.offset = timedelta(0)
        page.goto(f"{flow_server.url}/nordlys-sko/{lang}/withdraw.html")
        page.fill("#phone", "12")
        page.check("#withdraw-offers")
        page.click("#withdraw button[type=submit]")
        page.wait_for_url("**#invalid_phone")
        only_state(page, "invalid_phone")
    finally:
        context.close()


@pytest.mark.parametrize("path", ["nordlys-sko/nb/confirm.html#confirmed", "kedai-harmoni/ms/confirm.html#wrong_code",
                                  "nordlys-sko/de/withdraw.html#withdrawn", "kedai-harmoni/es/withdraw.html#network_error"])
def test_states_are_accessible(page, flow_server, path):
    """axe-core (WCAG 2.2 AA) on pages showing a state, the way the no-JS redirect shows them."""
    from axe_playwright_python.sync_playwright import Axe

    from generator.check_browser import AXE_OPTIONS

    page.goto(f"{flow_server.url}/{path}")
    assert page.locator(f"#{path.rsplit('#', 1)[1]}").is_visible()
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def test_a_broken_link_falls_back_to_the_code(page, flow_server, flow_contact):
    contact = flow_contact()
    message = submit(flow_server, contact, lang="en")
    page.goto(message["link"].replace("?t=", "?t=broken"))
    assert page.locator("#code-field").is_hidden()
    page.click("button[value=all]")
    only_state(page, "invalid_token")
    assert page.locator("#code-field").is_visible()
    page.fill("#code", message["code"])
    page.click("button[value=all]")
    only_state(page, "confirmed")
    assert given(flow_server, contact["phone"]) == [["offers", "order_updates"]]
