"""The confirm page shows what was asked for, in the state the receiver reports: exactly the
link's purposes (one purpose: no checkbox, one button), a code that does not cover the ticked
box named as such, "already confirmed" on load with its own heading (no "Confirm your sign-up"
above it), and a wrong code marked on the code field itself."""
from __future__ import annotations

import html
import json
import re
import urllib.request

import pytest

from support.forms import Guard
from support.projects import builtin_locales

TRANSLATIONS = builtin_locales()


def text(lang: str, msgid: str) -> str:
    """The catalog's text of `msgid` as the page shows it (tags dropped, spaces squashed)."""
    translated = TRANSLATIONS.translations(lang).ugettext(msgid)
    assert lang == "en" or translated != msgid, f"{lang}: no translation of {msgid!r}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", translated)).split())


def squash(value: str) -> str:
    return " ".join(value.split())


def submit(server, contact: dict, cid: str, lang: str, purposes: tuple, email: bool = False) -> list[dict]:
    """Sign up through the API; the confirmation messages sent (one per contact)."""
    view = server.build.views[cid][lang]
    body = {"campaign": cid, "locale": lang, "purposes": list(purposes), "phone": contact["phone"],
            "notice_version": view.notice_version, "wording_version": view.wording_version}
    if email:
        body["email"] = contact["email"]
    request = urllib.request.Request(f"{server.url}/api/submit", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 202
    return [dict(r) for r in server.ledger.outbox() if r["recipient"] in (contact["phone"], contact["email"])]


def given(server, phone: str) -> list:
    return [json.loads(r["event_purposes"]) for r in server.ledger.history(phone=phone) if r["event"] == "given"]


def visible_headings(page) -> list[str]:
    return [squash(h) for h in page.locator("h1:visible").all_inner_texts()]


@pytest.fixture(scope="module")
def _page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture
def page(_page, flow_server):
    guard = Guard.on(_page, [flow_server.url])
    yield _page
    # the receiver's 4xx answers (wrong code, already confirmed) are the states under test
    guard.errors[:] = [e for e in guard.errors if "responded with a status of 4" not in e]
    guard.assert_clean()
    _page.goto("about:blank")


@pytest.mark.parametrize("lang", ["nb", "es"])
def test_a_one_purpose_link_has_no_checkbox_and_one_button(page, flow_server, flow_contact, lang):
    contact = flow_contact()
    (message,) = submit(flow_server, contact, "nordlys-sko", lang, ("offers",))
    assert message["link"].endswith("&p=offers")
    page.goto(message["link"])
    assert page.locator("input[type=checkbox]:visible").count() == 0
    buttons = page.locator("#confirm button:visible")
    assert buttons.count() == 1 and squash(buttons.inner_text()) == text(lang, "Confirm")
    offers_label = squash(page.locator("label[for=confirm-offers]").inner_text())
    assert squash(page.locator("#asked-label").inner_text()) == offers_label
    assert "order_updates" not in page.locator("#asked-one").inner_text()
    buttons.click()
    page.locator("#confirmed").wait_for(state="visible")
    assert visible_headings(page) == [text(lang, "Thank you: your sign-up is confirmed.")]
    assert [squash(li) for li in page.locator("#confirmed li").all_inner_texts()] == [offers_label]
    assert page.title() == text(lang, "Thank you: your sign-up is confirmed.")
    assert given(flow_server, contact["phone"]) == [["offers"]]


def test_a_link_shows_exactly_its_purposes(page, flow_server, flow_contact):
    contact = flow_contact()
    (message,) = submit(flow_server, contact, "nordlys-sko", "en", ("offers", "order_updates"))
    page.goto(message["link"])
    assert page.locator("input[type=checkbox]:visible").count() == 2
    assert page.locator("#confirm button:visible").count() == 2
    assert squash(page.locator("#confirm button[value=all]").inner_text()) == text("en", "Confirm all")
    assert page.locator("#asked-one").is_hidden()
    assert visible_headings(page) == [text("en", "Confirm your sign-up")]


def test_a_code_that_does_not_cover_the_ticked_box_says_so(page, flow_server, flow_contact):
    """A WhatsApp code and a ticked email purpose: the page names the mismatch instead of
    "tick at least one" next to a visibly ticked box; "Confirm all" then confirms the code's own."""
    contact = flow_contact("MY")
    messages = submit(flow_server, contact, "kedai-harmoni", "en", ("promotions", "newsletter"), email=True)
    phone = next(m for m in messages if m["recipient"] == contact["phone"])
    assert phone["link"].endswith("&p=promotions")
    page.goto(f"{flow_server.url}/kedai-harmoni/en/confirm.html")
    page.fill("#code", phone["code"])
    page.check("#confirm-newsletter")
    page.click("button[value=selected]")
    state = page.locator("#not_covered")
    state.wait_for(state="visible")
    assert page.locator("#no_purpose").is_hidden()
    assert text("en", "This code does not cover the messages you ticked. Each code confirms only the messages "
                      "listed in the message that brought it: tick those, or press “Confirm all”.") \
        in squash(state.inner_text())
    page.click("button[value=all]")
    page.locator("#confirmed").wait_for(state="visible")
    assert [squash(li) for li in page.locator("#confirmed li").all_inner_texts()] == \
        [squash(page.locator("label[for=confirm-promotions]").inner_text())]
    assert given(flow_server, contact["phone"]) == [["promotions"]]


@pytest.mark.parametrize("lang", ["de", "ms"])
def test_already_confirmed_replaces_the_form_and_the_heading(page, flow_server, flow_contact, lang):
    contact = flow_contact()
    (message,) = submit(flow_server, contact, "nordlys-sko", lang, ("offers", "order_updates"))
    page.goto(message["link"])
    page.click("button[value=all]")
    page.locator("#confirmed").wait_for(state="visible")
    page.goto(message["link"])  # the link opened again
    page.click("button[value=all]")
    page.locator("#already_confirmed").wait_for(state="visible")
    assert visible_headings(page) == [text(lang, "Already confirmed")]
    assert page.locator("#confirm").is_hidden() and page.locator(".flow-intro").is_hidden()
    page.reload()  # the state is in the address: a reload shows it again, not the form
    page.locator("#already_confirmed").wait_for(state="visible")
    assert visible_headings(page) == [text(lang, "Already confirmed")]
    assert page.locator("#confirm").is_hidden()


@pytest.mark.parametrize("javascript", [True, False])
def test_already_confirmed_on_load(browser, flow_server, javascript):
    """The receiver's no-JavaScript redirect (confirm.html#already_confirmed) shows that state
    on load, with its heading, without the form; with JavaScript the same."""
    context = browser.new_context(java_script_enabled=javascript)
    try:
        page = context.new_page()
        page.goto(f"{flow_server.url}/nordlys-sko/nb/confirm.html#already_confirmed")
        assert page.locator("#already_confirmed").is_visible()
        assert [el.get_attribute("id") for el in page.locator(".state:visible").all()] == ["already_confirmed"]
        assert visible_headings(page) == [text("nb", "Already confirmed")]
        assert page.locator("#confirm").is_hidden()
        page.goto(f"{flow_server.url}/nordlys-sko/nb/confirm.html#expired_token")
        assert visible_headings(page) == [text("nb", "This link has expired")]
        assert page.locator("#confirm").is_hidden()
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_a_wrong_code_is_marked_on_the_input(page, flow_server, flow_contact, lang):
    contact = flow_contact()
    (message,) = submit(flow_server, contact, "nordlys-sko", lang, ("offers", "order_updates"))
    page.goto(f"{flow_server.url}/nordlys-sko/{lang}/confirm.html")
    code = page.locator("#code")
    assert code.get_attribute("aria-invalid") is None
    page.click("button[value=all]")  # no code typed
    page.locator("#need_code").wait_for(state="visible")
    assert code.get_attribute("aria-invalid") == "true"
    assert squash(page.locator("#code-error").inner_text()) == text(lang, "Type the code from the message.")
    page.fill("#code", "ZZZZ-ZZZZ")
    assert code.get_attribute("aria-invalid") is None and page.locator("#code-error").is_hidden()  # typing clears it
    page.click("button[value=all]")
    page.locator("#wrong_code").wait_for(state="visible")
    wrong = text(lang, "That code is not right. Check the message and type the code again.")
    assert code.get_attribute("aria-invalid") == "true"
    assert "code-error" in code.get_attribute("aria-describedby").split()
    assert squash(page.locator("#code-error").inner_text()) == wrong
    assert page.evaluate("document.activeElement.id") == "code"
    description = page.evaluate("""() => document.getElementById('code').getAttribute('aria-describedby')
        .split(' ').map(id => document.getElementById(id).textContent.trim()).join(' ')""")
    assert wrong in squash(description)
    page.fill("#code", message["code"])
    page.click("button[value=all]")
    page.locator("#confirmed").wait_for(state="visible")
    assert given(flow_server, contact["phone"]) == [["offers", "order_updates"]]
