"""Every page state of the confirm and withdraw pages in real Chromium, in every locale: expired
token, reused token, wrong code, receiver down (input kept, retry works), a real receiver 500
(input kept, readable from another origin thanks to CORS), and the same states without
JavaScript (redirect + :target). Expected texts come from the locale's catalog.

One receiver (the session's `flow_server`) and one browser page serve every test; nothing sleeps."""
from __future__ import annotations

import html
import json
import re
import sqlite3
import urllib.request
from contextlib import contextmanager
from datetime import timedelta

import pytest

from generator.receiver.ledger import Ledger
from support.projects import LOCALES, builtin_locales

TRANSLATIONS = builtin_locales()

# msgid of each state's text (the English source) and its placeholders; (page, state) first
STATE_TEXTS = {
    "confirmed": "Thank you: your sign-up is confirmed.",
    "already_confirmed": "This sign-up is already confirmed. There is nothing more to do.",
    "expired_token": ('This link or code has expired, so nothing was switched on. Please '
                      '<a href="%(url)s">sign up again</a>.', {"url": "index.html"}),
    "invalid_token": "This confirmation link is not valid (it may have been cut off). Type the code from the "
                     "message instead.",
    "wrong_code": "That code is not right. Check the message and type the code again.",
    "need_code": "Type the code from the message.",
    ("confirm", "no_purpose"): "Tick at least one kind of message, or press “Confirm all”.",
    ("withdraw", "no_purpose"): "Tick the messages that should stop, or “All messages”.",
    "withdrawn": "Done: your withdrawal is recorded.",
    "invalid_phone": "Please enter a valid mobile number.",
    "no_contact": "Enter the mobile number or email address you signed up with.",
    "network_error": "We could not reach the server. Check your internet connection and press the button again: "
                     "what you entered is kept.",
    "server_error": "Something went wrong on our side. Please try again in a few minutes.",
}


def squash(text: str) -> str:
    return " ".join(text.split())


def catalog_text(lang: str, msgid: str, values: dict | None = None) -> str:
    """The text of `msgid` in `lang` as a page shows it: the catalog's translation, placeholders
    filled, tags dropped."""
    translated = TRANSLATIONS.translations(lang).ugettext(msgid)
    assert lang == "en" or translated != msgid, f"{lang}: no translation of {msgid!r}"
    if values:
        translated = translated % values
    return squash(html.unescape(re.sub(r"<[^>]+>", "", translated)))


def only_state(page, name: str, lang: str | None = None):
    """Wait for state `name`, check it is the only one shown and (given `lang`) that it says the
    catalog's text of that locale."""
    state = page.locator(f"#{name}")
    state.wait_for(state="visible")
    assert [el.get_attribute("id") for el in page.locator(".state:visible").all()] == [name]
    if lang:
        kind = "withdraw" if "/withdraw.html" in page.url else "confirm"
        entry = STATE_TEXTS.get((kind, name)) or STATE_TEXTS[name]
        msgid, values = entry if isinstance(entry, tuple) else (entry, None)
        assert catalog_text(lang, msgid, values) in squash(state.inner_text())
    return state


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


def events(server, phone: str) -> list:
    return [(r["event"], json.loads(r["event_purposes"])) for r in server.ledger.history(phone=phone)]


def _disk_full(*args, **kwargs):
    raise sqlite3.OperationalError("database or disk is full")


@contextmanager
def ledger_fails(monkeypatch):
    """A real failure inside the in-process receiver: writing an event raises in the middle of
    the transaction (after the token was marked used), so the receiver answers a real 500 and
    must roll everything back."""
    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "add_event", staticmethod(_disk_full))
        yield


@pytest.fixture(scope="module")
def _shared_page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture
def page(_shared_page):
    """One page for the whole module instead of pytest-playwright's new context per test (which
    costs more than most of these tests); each test leaves it blank and without routes."""
    yield _shared_page
    _shared_page.unroute_all(behavior="ignoreErrors")
    _shared_page.goto("about:blank")


@pytest.fixture(scope="module")
def other_origin(flow_server, static_server):
    """The site `flow_server` built, served from a second origin, as on a real static host: the
    pages' fetch() to the receiver is then cross-origin, so the page reads an answer only when
    it carries CORS headers."""
    return static_server(flow_server.site_dir)


@pytest.fixture
def cross_origin(flow_server, other_origin, monkeypatch):
    """The receiver serves the second origin too (what `origins=` / OPTIN_ORIGINS configure)."""
    monkeypatch.setattr(flow_server.receiver, "origins", flow_server.receiver.origins | {other_origin})
    return other_origin


@pytest.mark.parametrize("lang", LOCALES)
def test_expired_link(page, flow_server, flow_contact, lang):
    contact = flow_contact()
    message = submit(flow_server, contact, lang=lang)
    flow_server.clock.offset = timedelta(hours=48, minutes=1)
    try:
        page.goto(message["link"])
        page.click("button[value=all]")
        state = only_state(page, "expired_token", lang)
        assert state.locator("a").get_attribute("href") == "index.html"
        assert page.locator("#confirm").is_hidden()
        assert page.evaluate("document.activeElement.id") == "expired_token"  # focus moves to the message
    finally:
        flow_server.clock.offset = timedelta(0)
    assert [e for e, _ in events(flow_server, contact["phone"])] == ["requested", "expired"]


@pytest.mark.parametrize("lang", LOCALES)
def test_reused_link_says_already_confirmed(page, flow_server, flow_contact, lang):
    contact = flow_contact()
    message = submit(flow_server, contact, lang=lang)
    page.goto(message["link"])
    page.click("button[value=all]")
    only_state(page, "confirmed", lang)
    page.goto(message["link"])
    page.click("button[value=all]")
    only_state(page, "already_confirmed", lang)
    assert given(flow_server, contact["phone"]) == [["offers", "order_updates"]]


@pytest.mark.parametrize("lang", LOCALES)
def test_wrong_code_keeps_the_form(page, flow_server, flow_contact, lang):
    contact = flow_contact()
    message = submit(flow_server, contact, lang=lang)
    page.goto(f"{flow_server.url}/nordlys-sko/{lang}/confirm.html")
    page.fill("#code", "ZZZZ-ZZZZ")
    page.click("button[value=all]")
    only_state(page, "wrong_code", lang)
    assert page.input_value("#code") == "ZZZZ-ZZZZ" and page.locator("#confirm").is_visible()
    page.fill("#code", message["code"])
    page.click("button[value=all]")
    only_state(page, "confirmed", lang)


@pytest.mark.parametrize("lang", LOCALES)
def test_empty_code_and_no_purpose_are_caught_on_the_page(page, flow_server, lang):
    page.goto(f"{flow_server.url}/nordlys-sko/{lang}/confirm.html")
    requests = []

    def watch(request):
        if "/api/" in request.url:
            requests.append(request.url)

    page.on("request", watch)
    try:
        page.click("button[value=all]")
        only_state(page, "need_code", lang)
        page.fill("#code", "ABCD-EFGH")
        page.click("button[value=selected]")
        only_state(page, "no_purpose", lang)
    finally:
        page.remove_listener("request", watch)
    assert requests == []


@pytest.mark.parametrize("lang", LOCALES)
def test_receiver_down_keeps_input_and_retry_works(page, flow_server, flow_contact, lang):
    contact = flow_contact()
    message = submit(flow_server, contact, lang=lang)
    page.goto(message["link"])
    page.route("**/api/confirm", lambda route: route.abort("connectionrefused"))
    page.check("#confirm-offers")
    page.click("button[value=selected]")
    only_state(page, "network_error", lang)
    assert page.is_checked("#confirm-offers") and not page.is_checked("#confirm-order_updates")
    assert given(flow_server, contact["phone"]) == []
    page.unroute("**/api/confirm")
    page.click("button[value=selected]")
    only_state(page, "confirmed", lang)
    assert given(flow_server, contact["phone"]) == [["offers"]]


def _post_answer(response, path: str) -> bool:
    return response.url.endswith(path) and response.request.method == "POST"


@pytest.mark.parametrize("lang", LOCALES)
def test_real_receiver_500_keeps_input_and_retry_works(page, flow_server, flow_contact, cross_origin, monkeypatch,
                                                       lang):
    """The receiver itself fails (not a faked response); the page, on another origin, can read
    the 500 (CORS headers) and shows its server-error state, not a network error."""
    contact = flow_contact()
    message = submit(flow_server, contact, lang=lang)
    page.goto(message["link"].replace(flow_server.url, cross_origin))
    page.check("#confirm-offers")
    with ledger_fails(monkeypatch):
        with page.expect_response(lambda r: _post_answer(r, "/api/confirm")) as answer:
            page.click("button[value=selected]")
        only_state(page, "server_error", lang)
    response = answer.value
    assert response.status == 500 and response.json()["error"] == "server_error"
    assert response.headers.get("access-control-allow-origin") == cross_origin
    assert page.locator("#confirm").is_visible()
    assert page.is_checked("#confirm-offers") and not page.is_checked("#confirm-order_updates")
    assert events(flow_server, contact["phone"]) == [("requested", ["offers", "order_updates"])]  # rolled back
    page.click("button[value=selected]")  # the same link still works: the token was not used up
    only_state(page, "confirmed", lang)
    assert given(flow_server, contact["phone"]) == [["offers"]]


def test_a_proxy_error_page_shows_server_error(page, flow_server, flow_contact):
    """A 5xx that is not the receiver's JSON (a reverse proxy's own error page) is a server error too."""
    contact = flow_contact()
    message = submit(flow_server, contact, lang="nb")
    page.goto(message["link"])
    page.route("**/api/confirm", lambda route: route.fulfill(status=502, body="<h1>502 Bad Gateway</h1>",
                                                             content_type="text/html"))
    page.click("button[value=all]")
    only_state(page, "server_error", "nb")
    assert page.locator("#confirm").is_visible() and given(flow_server, contact["phone"]) == []


@pytest.mark.parametrize("lang", LOCALES)
def test_withdraw_states(page, flow_server, flow_contact, cross_origin, monkeypatch, lang):
    """Every state of the withdraw page, the page on another origin; a network error and a real
    receiver 500 keep what was entered, and pressing the button again withdraws."""
    contact = flow_contact()
    submit(flow_server, contact, lang=lang)  # a known contact: withdrawing writes to the ledger
    page.goto(f"{cross_origin}/nordlys-sko/{lang}/withdraw.html")
    page.click("#withdraw button[type=submit]")
    only_state(page, "no_contact", lang)
    page.fill("#phone", "12")
    page.check("#withdraw-all")
    page.click("#withdraw button[type=submit]")
    only_state(page, "invalid_phone", lang)
    # marked on the number field itself, like a wrong code on the code field
    phone = page.locator("#phone")
    assert phone.get_attribute("aria-invalid") == "true"
    assert phone.get_attribute("aria-describedby").split() == ["phone-hint", "phone-error"]
    assert squash(page.locator("#phone-error").inner_text()) == squash(page.locator("#invalid_phone").inner_text())
    assert page.evaluate("document.activeElement.id") == "phone"
    page.fill("#phone", contact["phone"])
    assert phone.get_attribute("aria-invalid") is None and page.locator("#phone-error").is_hidden()
    assert phone.get_attribute("aria-describedby") == "phone-hint"
    page.uncheck("#withdraw-all")
    page.check("#withdraw-offers")

    def kept():
        return (page.input_value("#phone"), page.is_checked("#withdraw-all"), page.is_checked("#withdraw-offers"),
                page.is_checked("#withdraw-order_updates"), page.locator("#withdraw").is_visible())

    entered = (contact["phone"], False, True, False, True)
    page.route("**/api/withdraw", lambda route: route.abort("internetdisconnected"))
    page.click("#withdraw button[type=submit]")
    only_state(page, "network_error", lang)
    assert kept() == entered
    page.unroute("**/api/withdraw")
    with ledger_fails(monkeypatch):
        with page.expect_response(lambda r: _post_answer(r, "/api/withdraw")) as answer:
            page.click("#withdraw button[type=submit]")
        only_state(page, "server_error", lang)
    assert answer.value.status == 500
    assert answer.value.headers.get("access-control-allow-origin") == cross_origin
    assert kept() == entered
    assert [e for e, _ in events(flow_server, contact["phone"])] == ["requested"]
    page.click("#withdraw button[type=submit]")
    state = only_state(page, "withdrawn", lang)
    assert [squash(li) for li in state.locator(".state-list li").all_inner_texts()] == \
        [squash(page.locator("label[for=withdraw-offers]").inner_text())]
    assert events(flow_server, contact["phone"])[-1] == ("withdrawn", ["offers"])


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
        assert only_state(page, "wrong_code", lang).is_visible() and page.locator("#confirm").is_visible()
        page.fill("#code", message["code"])
        page.click("button[value=selected]")  # nothing ticked
        page.wait_for_url("**#no_purpose")
        only_state(page, "no_purpose", lang)
        page.fill("#code", message["code"])
        page.click("button[value=all]")
        page.wait_for_url("**#confirmed")
        only_state(page, "confirmed", lang)
        page.goto(f"{flow_server.url}/nordlys-sko/{lang}/confirm.html")
        page.fill("#code", message["code"])
        page.click("button[value=all]")
        page.wait_for_url("**#already_confirmed")
        only_state(page, "already_confirmed", lang)
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
            only_state(page, "expired_token", lang)
        finally:
            flow_server.clock.offset = timedelta(0)
        page.goto(f"{flow_server.url}/nordlys-sko/{lang}/withdraw.html")
        page.fill("#phone", "12")
        page.check("#withdraw-offers")
        page.click("#withdraw button[type=submit]")
        page.wait_for_url("**#invalid_phone")
        only_state(page, "invalid_phone", lang)
    finally:
        context.close()


@pytest.mark.parametrize("path", ["nordlys-sko/nb/confirm.html#confirmed", "kedai-harmoni/ms/confirm.html#wrong_code",
                                  "nordlys-sko/de/withdraw.html#withdrawn", "kedai-harmoni/es/withdraw.html#network_error",
                                  "nordlys-sko/en/withdraw.html#server_error"])
def test_states_are_accessible(page, flow_server, path):
    """axe-core (WCAG 2.2 AA) on pages showing a state, the way the no-JS redirect shows them."""
    from axe_playwright_python.sync_playwright import Axe

    from generator.check.browser import AXE_OPTIONS

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
    only_state(page, "invalid_token", "en")
    assert page.locator("#code-field").is_visible()
    page.fill("#code", message["code"])
    page.click("button[value=all]")
    only_state(page, "confirmed", "en")
    assert given(flow_server, contact["phone"]) == [["offers", "order_updates"]]
