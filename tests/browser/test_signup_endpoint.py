"""The signup form against a real (tiny) endpoint on 127.0.0.1: without JavaScript it is a plain
HTML form post that lands on thanks.html; with JavaScript the JSON goes over the network (CORS,
CSP connect-src) and the page moves on to thanks.html."""
from __future__ import annotations

import re

import pytest

from support import forms as fs


@pytest.fixture(scope="module")
def endpoint():
    ep = fs.Endpoint().start()
    yield ep
    ep.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory, static_server, endpoint):
    out = fs.build_site(tmp_path_factory.mktemp("endpoint") / "site", [fs.HERE], endpoint_base=endpoint.url)
    return static_server(out)


@pytest.fixture()
def nojs_page(browser):
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("lang", fs.LOCALES)
def test_without_javascript_the_form_posts_and_lands_on_thanks(nojs_page, site, endpoint, lang):
    page = nojs_page
    guard = fs.Guard(page, [site, endpoint.url])
    endpoint.posts.clear()
    page.goto(f"{site}/fields/{lang}/")
    page.check("#purpose-news")
    page.check("#purpose-birthday")
    page.fill("#phone", "912 34 567")
    page.fill("#name", "Kari")
    page.fill("#birthday", "1990-05-17")
    with page.expect_navigation(url=f"{site}/fields/{lang}/thanks.html"):
        page.click("#signup-submit")
    assert page.locator("h1").is_visible()
    [post] = endpoint.posts
    assert post.path == "/optin/submit"
    assert post.content_type == "application/x-www-form-urlencoded"
    form = post.form
    assert form["purposes"] == ["news", "birthday"]
    # only the Norwegian page puts +47 before a number typed without it (its language fits one country)
    assert form["phone"] == ["912 34 567"] and form["country_code"] == ["47" if lang == "nb" else ""]
    assert form["name"] == ["Kari"] and form["birthday"] == ["1990-05-17"]
    assert form["campaign"] == ["fields"] and form["locale"] == [lang]
    assert form["success_url"] == form["redirect"] == [f"/fields/{lang}/thanks.html"]
    assert form["website"] == [""]
    assert re.fullmatch(r"[0-9a-f]{64}", form["notice_version"][0])
    assert "record_id" not in form and "client_timestamp" not in form
    guard.assert_clean()


def test_without_javascript_only_ticked_purposes_are_posted(nojs_page, site, endpoint):
    page = nojs_page
    endpoint.posts.clear()
    page.goto(f"{site}/wa-email/en/")
    page.check("#purpose-newsletter")
    page.fill("#email", "kari@example.com")
    with page.expect_navigation(url=re.compile(r"/wa-email/en/thanks\.html$")):
        page.click("#signup-submit")
    assert endpoint.posts[0].form["purposes"] == ["newsletter"]


@pytest.mark.parametrize("campaign", ["wa-only", "email-only", "wa-email"])
def test_with_javascript_the_payload_reaches_a_real_endpoint(page, site, endpoint, campaign):
    guard = fs.Guard(page, [site, endpoint.url])
    endpoint.posts.clear()
    page.goto(f"{site}/{campaign}/ms/")
    for box in page.locator("input[name=purposes]").all():
        box.check()
    if page.locator("#phone").count():
        # a Malay page of a Norwegian campaign gives no default code (ms fits MY, SG, BN): +47 typed
        page.fill("#phone", "+47 12-345 6789")
    if page.locator("#email").count():
        page.fill("#email", "siti@example.my")
    with page.expect_navigation(url=f"{site}/{campaign}/ms/thanks.html"):
        page.click("#signup-submit")
    [post] = endpoint.posts
    data = post.json if post.content_type.startswith("application/json") else {
        k: v if k == "purposes" else v[0] for k, v in post.form.items()}
    assert post.origin == site
    expected = {"wa-only": ["offers"], "email-only": ["newsletter"], "wa-email": ["offers", "newsletter"]}
    assert data["purposes"] == expected[campaign]
    assert ("phone" in data) == (campaign != "email-only")
    assert ("email" in data) == (campaign != "wa-only")
    if "phone" in data:
        assert data["phone"] == "+47123456789"
    guard.assert_clean()
