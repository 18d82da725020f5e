"""The signup form in real Chromium: unticked boxes, exactly the ticked purposes posted, only the
fields the purposes need, validation before anything is sent, and localised messages that come
from the page (the script has no text of its own)."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import pytest

from generator.campaign.model import load
from support import forms as fs

EXAMPLES = {"nordlys-sko": "https://api.nordlyssko.example", "kedai-harmoni": "https://api.kedaiharmoni.example"}
EXAMPLE_PHONE = {"nordlys-sko": ("912 34 567", "+4791234567"), "kedai-harmoni": ("012-345 6789", "+60123456789")}
ACCEPTED = {"status": 202, "headers": {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"},
            "body": json.dumps({"status": "pending", "record_id": "r"})}


@pytest.fixture(scope="module")
def examples(example_site, static_server):
    return static_server(example_site)


@pytest.fixture(scope="module")
def models(example_project):
    """The example campaigns, loaded from the project the example site is built from."""
    return {cid: load(example_project.campaigns_dir / f"{cid}.yaml", example_project)[0] for cid in EXAMPLES}


@pytest.fixture(scope="module")
def fixture_sites(tmp_path_factory, static_server):
    """The channel-mix fixture campaigns, endpoints pointing at an unused local port (tests
    intercept them with page.route)."""
    out = fs.build_site(tmp_path_factory.mktemp("form") / "site", [fs.HERE])
    return static_server(out)


def messages(page) -> dict:
    return json.loads(page.locator("#optin-messages").text_content())


class Capture:
    """page.route handler: records each submit request and answers as told."""

    def __init__(self, page, origin: str, reply: dict | None = None):
        self.requests = []
        self.reply = reply or ACCEPTED
        page.route(f"{origin}/**", self.handle)

    def handle(self, route):
        self.requests.append(route.request)
        if self.reply == "abort":
            route.abort("internetdisconnected")
        else:
            route.fulfill(**self.reply)

    @property
    def bodies(self) -> list:
        out = []
        for r in self.requests:
            ctype = r.headers.get("content-type", "")
            out.append(r.post_data_json if ctype.startswith("application/json") else
                       parse_qs(r.post_data, keep_blank_values=True))
        return out


# --- load state -------------------------------------------------------------------------------

@pytest.mark.parametrize("campaign", EXAMPLES)
def test_no_box_checked_on_load_in_any_locale(page, examples, models, campaign):
    model = models[campaign]
    for lang in model.locales:
        page.goto(f"{examples}/{campaign}/{lang}/")
        assert page.locator("html").get_attribute("lang") == lang
        boxes = page.locator('input[type="checkbox"][name="purposes"]')
        assert boxes.count() == len(model.purposes)
        assert page.evaluate("[...document.querySelectorAll('input[type=checkbox]')].some(b => b.checked"
                             " || b.defaultChecked)") is False
        for p in model.purposes:
            box = page.locator(f"#purpose-{p.id}")
            label = page.locator(f'label[for="purpose-{p.id}"]')
            assert model.brand_name in label.inner_text()  # names the business
            assert box.evaluate("b => b.closest('fieldset').querySelector('legend') !== null")
            stop = page.locator(f"#purpose-{p.id}-stop")
            assert "purpose-%s-stop" % p.id in box.get_attribute("aria-describedby")
            keyword = model.opt_out.get(p.channel, {}).get(lang)
            if p.channel != "email":
                assert keyword in stop.inner_text()
        # summary and notice link of the same locale next to the boxes
        notice = page.locator(f".summary[lang={lang}] a[href='privacy.html']")
        assert notice.is_visible()
        if lang == "ms":  # PDPA s.7(3): Bahasa Malaysia and English, the English one tap away
            assert page.locator(".summary[lang=ms]").count() == 1
            english = page.locator("details.summary[lang=en]")
            assert english.count() == 1 and english.get_attribute("open") is None
            page.click("details.summary[lang=en] > summary")
            assert english.locator("a[href='privacy.html']").is_visible()
            assert english.locator("li").count() == len(model.purposes)


def test_norwegian_sms_opt_out_is_not_stop(page, fixture_sites):
    page.goto(f"{fixture_sites}/sms-only/nb/")
    hint = page.locator("#purpose-reminders-stop").inner_text()
    assert "UNSUB" in hint and not re.search(r"\bSTOP\b", hint)
    assert "UNSUB" in page.locator(".summary").inner_text()


# --- submit flow per locale -------------------------------------------------------------------

@pytest.mark.parametrize("campaign", EXAMPLES)
def test_submit_posts_exactly_the_ticked_purposes_in_every_locale(page, examples, models, campaign):
    model = models[campaign]
    origin = EXAMPLES[campaign]
    typed, e164 = EXAMPLE_PHONE[campaign]
    guard = fs.Guard(page, [examples, origin])
    capture = Capture(page, origin)
    for lang in model.locales:
        page.goto(f"{examples}/{campaign}/{lang}/")
        text = messages(page)
        assert set(text) >= {"no_purpose", "phone_invalid", "network", "server", "sending"}

        # nothing ticked: refused with the page's message, nothing posted, focus on the summary
        before = len(capture.requests)
        page.click("#signup-submit")
        summary = page.locator("#form-error")
        assert text["no_purpose"] in summary.inner_text()
        assert page.evaluate("document.activeElement.id") == "form-error"
        assert page.locator("#purposes-error").inner_text() == text["no_purpose"]
        assert page.locator(f"#purpose-{model.purposes[0].id}").get_attribute("aria-invalid") == "true"
        assert "purposes-error" in page.locator("fieldset.purposes").get_attribute("aria-describedby")
        assert len(capture.requests) == before

        # tick the first purpose (a phone channel in both examples): a bad number is refused
        first = model.purposes[0]
        page.check(f"#purpose-{first.id}")
        page.fill("#phone", "12ab")
        page.click("#signup-submit")
        assert page.locator("#phone-error").inner_text() == text["phone_invalid"]
        assert page.locator("#phone").get_attribute("aria-invalid") == "true"
        assert "phone-error" in page.locator("#phone").get_attribute("aria-describedby")
        assert page.locator("#purposes-error").is_hidden()
        assert len(capture.requests) == before

        # a national number becomes E.164 with the page's calling code; a page whose language
        # fits several countries (or another country) has none, so there the number has its +code
        code = page.locator("#signup").get_attribute("data-calling-code")
        page.fill("#phone", typed if code and e164.startswith(f"+{code}") else e164)
        with page.expect_navigation(url=re.compile(rf"/{campaign}/{lang}/thanks\.html$")):
            page.click("#signup-submit")
        assert len(capture.requests) == before + 1
        req = capture.requests[-1]
        assert req.method == "POST" and req.headers["content-type"].startswith("application/json")
        body = req.post_data_json
        assert body["purposes"] == [first.id]
        assert body["phone"] == e164
        assert "email" not in body  # the ticked purpose needs no email
        assert body["campaign"] == campaign and body["locale"] == lang
        assert re.fullmatch(r"[0-9a-f]{64}", body["notice_version"])
        assert re.fullmatch(r"[0-9a-f]{64}", body["wording_version"])
        assert uuid.UUID(body["record_id"]).version == 4
        stamp = datetime.fromisoformat(body["client_timestamp"].replace("Z", "+00:00"))
        assert abs(datetime.now(timezone.utc) - stamp) < timedelta(minutes=5)
        assert body["page_url"] == f"{examples}/{campaign}/{lang}/"
        assert body["website"] == ""
        assert set(body) == {"campaign", "locale", "purposes", "phone", "notice_version", "wording_version",
                             "website", "record_id", "client_timestamp", "page_url"}
    guard.assert_clean()


@pytest.mark.parametrize("campaign", EXAMPLES)
def test_all_purposes_ticked_are_all_posted(page, examples, models, campaign):
    model = models[campaign]
    capture = Capture(page, EXAMPLES[campaign])
    page.goto(f"{examples}/{campaign}/{model.default_locale}/")
    for p in model.purposes:
        page.check(f"#purpose-{p.id}")
    page.fill("#phone", "+47 912 34 567")
    if model.needs_email:
        page.fill("#email", "kari@example.com")
    with page.expect_navigation(url=re.compile(r"thanks\.html$")):
        page.click("#signup-submit")
    body = capture.bodies[0]
    assert body["purposes"] == [p.id for p in model.purposes]
    assert body["phone"] == "+4791234567"
    assert body.get("email") == ("kari@example.com" if model.needs_email else None)


# --- fields per channel mix -------------------------------------------------------------------

FIELDS = {
    "wa-only": {"phone"},
    "sms-only": {"phone"},
    "email-only": {"email"},
    "wa-email": {"phone", "email"},
    "fields": {"phone", "name", "birthday"},
}


@pytest.mark.parametrize("campaign", FIELDS)
def test_form_has_exactly_the_fields_the_purposes_need(page, fixture_sites, campaign):
    for lang in fs.LOCALES:
        page.goto(f"{fixture_sites}/{campaign}/{lang}/")
        names = set(page.evaluate(
            "[...document.querySelectorAll('#signup input:not([type=hidden]):not([type=checkbox])')]"
            ".map(i => i.name)"))
        assert names - {"website"} == FIELDS[campaign]  # website: the hidden honeypot
        if "phone" in names:
            phone = page.locator("#phone")
            assert phone.get_attribute("type") == "tel" and phone.get_attribute("autocomplete") == "tel"
            assert page.locator("input[name=country_code]").get_attribute("value") == ("47" if lang == "nb" else "")
        if "email" in names:
            assert page.locator("#email").get_attribute("type") == "email"
        for name in names:  # every visible field has a real label
            assert page.locator(f'label[for="{name}"]').count() == 1


def test_only_fields_of_ticked_purposes_are_required_and_posted(page, fixture_sites):
    capture = Capture(page, fs.PLACEHOLDER_ORIGIN)
    page.goto(f"{fixture_sites}/fields/en/")
    text = messages(page)
    page.check("#purpose-birthday")
    page.fill("#phone", "+47 91234567")  # an English page has no default calling code
    page.click("#signup-submit")
    assert page.locator("#name-error").inner_text() == text["name_missing"]
    assert page.locator("#birthday-error").inner_text() == text["birthday_missing"]
    assert capture.requests == []
    page.fill("#name", "Kari")
    page.fill("#birthday", "1990-05-17")
    # errors update as the person fixes things, before the next submit
    page.locator("#birthday").dispatch_event("change")
    assert page.locator("#name-error").is_hidden() and page.locator("#birthday-error").is_hidden()
    with page.expect_navigation(url=re.compile(r"thanks\.html$")):
        page.click("#signup-submit")
    body = capture.bodies[0]
    assert body["purposes"] == ["birthday"]
    assert (body["name"], body["birthday"], body["phone"]) == ("Kari", "1990-05-17", "+4791234567")

    # the plain purpose alone: name and birthday are neither required nor posted, even if typed
    page.goto(f"{fixture_sites}/fields/en/")
    page.check("#purpose-news")
    page.fill("#phone", "+47 91234567")
    page.fill("#name", "Kari")
    with page.expect_navigation(url=re.compile(r"thanks\.html$")):
        page.click("#signup-submit")
    body = capture.bodies[1]
    assert body["purposes"] == ["news"] and "name" not in body and "birthday" not in body


def test_email_only_purpose_posts_no_phone_and_form_format_is_urlencoded(page, fixture_sites):
    capture = Capture(page, fs.PLACEHOLDER_ORIGIN)
    page.goto(f"{fixture_sites}/wa-email/de/")
    text = messages(page)
    page.check("#purpose-newsletter")
    page.fill("#phone", "91234567")  # typed, but no ticked purpose needs it
    page.fill("#email", "kari@example")
    page.click("#signup-submit")
    assert page.locator("#email-error").inner_text() == text["email_invalid"]
    assert page.locator("#phone-error").is_hidden()
    page.fill("#email", " kari@example.com ")
    with page.expect_navigation(url=re.compile(r"/wa-email/de/thanks\.html$")):
        page.click("#signup-submit")
    req = capture.requests[0]
    assert req.headers["content-type"].startswith("application/x-www-form-urlencoded")
    form = capture.bodies[0]
    assert form["purposes"] == ["newsletter"] and form["email"] == ["kari@example.com"]
    assert "phone" not in form and form["locale"] == ["de"] and form["record_id"][0]


def test_both_purposes_in_urlencoded_format_repeat_purposes(page, fixture_sites):
    capture = Capture(page, fs.PLACEHOLDER_ORIGIN)
    page.goto(f"{fixture_sites}/wa-email/es/")
    page.check("#purpose-offers")
    page.check("#purpose-newsletter")
    page.fill("#phone", "0047 912-34-567")
    page.fill("#email", "ana@example.es")
    with page.expect_navigation(url=re.compile(r"thanks\.html$")):
        page.click("#signup-submit")
    form = capture.bodies[0]
    assert form["purposes"] == ["offers", "newsletter"]
    assert form["phone"] == ["+4791234567"]


# --- phone normalisation ----------------------------------------------------------------------

PHONES = [
    ("912 34 567", 47, "+4791234567"),
    ("+47 912 34 567", 47, "+4791234567"),
    ("0047-91234567", 60, "+4791234567"),
    ("012-345 6789", 60, "+60123456789"),
    ("0171 1234567", 49, "+491711234567"),
    ("(0171) 123.45.67", 49, "+491711234567"),
    ("612 345 678", 34, "+34612345678"),
    ("12345", 47, "+4712345"),
    ("1234", 47, "+471234"),  # 6 digits in all is the minimum we accept
    ("123", 47, None),
    ("+12345", 47, None),  # 5 digits
    ("+1234567890123456", 47, None),  # 16 digits
    ("+0123456", 47, None),
    ("91a34567", 47, None),
    ("", 47, None),
    ("   ", 47, None),
    ("91234567", 0, None),  # no calling code known and none typed
    ("+4791234567", 0, "+4791234567"),
]


def test_phone_normalisation(page, examples):
    page.goto(f"{examples}/nordlys-sko/nb/")
    got = page.evaluate("cases => cases.map(c => window.optin.toE164(c[0], c[1]))", [[a, b] for a, b, _ in PHONES])
    assert got == [want for _, _, want in PHONES]
    emails = ["kari@example.com", "a.b+c@sub.example.no", "kari@example", "kari example@x.no", "@x.no", "k@.no"]
    assert page.evaluate("xs => xs.map(window.optin.looksLikeEmail)", emails) == [True, True, False, False,
                                                                                  False, False]


# --- failures: localised, data kept, retry possible -------------------------------------------

def _fill_nordlys(page, examples, lang="de"):
    page.goto(f"{examples}/nordlys-sko/{lang}/")
    page.check("#purpose-order_updates")
    page.fill("#phone", "+4791234567")  # a German page has no default calling code
    return messages(page)


def _assert_kept(page):
    assert page.locator("#purpose-order_updates").is_checked()
    assert not page.locator("#purpose-offers").is_checked()
    assert page.locator("#phone").input_value() == "+4791234567"
    assert page.locator("#signup-submit").get_attribute("aria-disabled") == "false"
    assert page.evaluate("document.activeElement.id") == "form-error"
    assert "/index.html" in page.url or page.url.endswith("/de/")


@pytest.mark.parametrize("reply, key", [
    ("abort", "network"),
    ({"status": 500, "body": "boom"}, "server"),
    ({"status": 503, "headers": {"Access-Control-Allow-Origin": "*"}, "body": ""}, "server"),
    ({"status": 429, "headers": {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"},
      "body": json.dumps({"error": "rate_limited", "message": "slow down", "field": None})}, "rate_limited"),
    ({"status": 400, "headers": {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"},
      "body": json.dumps({"error": "unknown_campaign", "message": "no", "field": None})}, "rejected"),
    ({"status": 400, "headers": {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"},
      "body": "not json"}, "rejected"),
])
def test_failures_show_localised_message_and_keep_data(page, examples, reply, key):
    capture = Capture(page, EXAMPLES["nordlys-sko"], reply)
    text = _fill_nordlys(page, examples)
    page.click("#signup-submit")
    summary = page.locator("#form-error")
    summary.get_by_text(text[key]).wait_for()
    assert summary.get_attribute("role") == "alert"
    assert len(capture.requests) == 1
    _assert_kept(page)
    # retry after the problem is gone: same record id (the same answers are one record)
    capture.reply = ACCEPTED
    with page.expect_navigation(url=re.compile(r"thanks\.html$")):
        page.click("#signup-submit")
    first, second = capture.bodies
    assert first["record_id"] == second["record_id"] and second["purposes"] == ["order_updates"]


def test_server_field_error_is_shown_at_the_field(page, examples):
    Capture(page, EXAMPLES["nordlys-sko"], {
        "status": 422, "headers": {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"},
        "body": json.dumps({"error": "invalid_phone", "message": "not a mobile", "field": "phone"})})
    text = _fill_nordlys(page, examples, "es")
    page.click("#signup-submit")
    page.locator("#phone-error").get_by_text(text["phone_invalid"]).wait_for()
    assert page.locator("#phone").get_attribute("aria-invalid") == "true"
    assert page.locator("#form-error a[href='#phone']").inner_text() == text["phone_invalid"]
    page.click("#form-error a[href='#phone']")
    assert page.evaluate("document.activeElement.id") == "phone"


def test_busy_state_prevents_double_submit(page, examples):
    held = []
    page.route(f"{EXAMPLES['nordlys-sko']}/**", lambda route: held.append(route))
    text = _fill_nordlys(page, examples, "nb")
    page.click("#signup-submit")
    page.wait_for_function("document.querySelector('#signup-submit').getAttribute('aria-disabled') === 'true'")
    assert page.locator("#form-status").inner_text() == text["sending"]
    assert page.locator("#signup").get_attribute("aria-busy") == "true"
    assert page.locator("#signup-submit").is_disabled()  # Playwright honours aria-disabled
    page.click("#signup-submit", force=True)
    page.press("#phone", "Enter")
    page.evaluate("document.querySelector('#signup').requestSubmit()")
    page.wait_for_timeout(200)
    assert len(held) == 1
    with page.expect_navigation(url=re.compile(r"thanks\.html$")):
        held[0].fulfill(**ACCEPTED)


def test_fixing_a_problem_clears_its_message_without_new_nagging(page, examples):
    page.goto(f"{examples}/kedai-harmoni/en/")
    text = messages(page)
    page.click("#signup-submit")
    assert page.locator("#purposes-error").inner_text() == text["no_purpose"]
    page.check("#purpose-promotions")  # fixes the purposes; the phone is still empty
    assert page.locator("#purposes-error").is_hidden()
    assert page.locator("#purpose-promotions").get_attribute("aria-invalid") is None
    assert page.locator("#phone-error").is_hidden()  # told only at the next submit
    assert page.locator("#form-error").inner_text() == ""
    page.click("#signup-submit")
    assert page.locator("#phone-error").inner_text() == text["phone_missing"]
    assert page.locator("#email-error").is_hidden()  # the newsletter is not ticked
    page.fill("#phone", "+60 12-345 6789")  # an English page of a Malaysian shop has no default code
    page.locator("#phone").dispatch_event("change")
    assert page.locator("#phone-error").is_hidden()
