"""The versions a person saw travel with the submission (GDPR Art. 7(1)): the signup
form posts the notice and consent-wording versions shown in the footer, with and without
JavaScript. The endpoint is intercepted in Chromium; nothing leaves 127.0.0.1."""
from __future__ import annotations

import json
import shutil
from urllib.parse import parse_qs

import pytest

from generator.pipeline.build import build
from support import projects
from support.projects import FIXTURES
SUBMIT = "https://api.fjordkaffe.example/submit"


@pytest.fixture(scope="module")
def built(tmp_path_factory, static_server):
    project = projects.project(tmp_path_factory.mktemp("submission"))
    project.campaigns_dir.mkdir()
    shutil.copy(FIXTURES / "notices" / "fjord-kaffe.yaml", project.campaigns_dir / "fjord-kaffe.yaml")
    result = build(project)
    return static_server(result.out_dir), result.views["fjord-kaffe"]


def answer(route):
    """Stand-in endpoint: CORS preflight and an HTML answer for the post."""
    cors = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "content-type",
            "Access-Control-Allow-Methods": "POST"}
    if route.request.method == "OPTIONS":
        return route.fulfill(status=204, headers=cors)
    route.fulfill(status=200, content_type="text/html", body="<!DOCTYPE html><title>ok</title>", headers=cors)


def submit(page, url: str) -> dict:
    """Tick one purpose, give a number, send; return the posted fields (JSON or form-encoded)."""
    page.route(f"{SUBMIT}*", answer)
    page.goto(url)
    page.locator("input[name=purposes]").first.check()
    page.fill("input[type=tel]", "+47 912 34 567")  # an en page guesses no country code
    with page.expect_request(lambda r: r.url.startswith(SUBMIT) and r.method == "POST") as sent:
        page.locator("button[type=submit]").first.click()
    request = sent.value
    body = request.post_data or ""
    if "json" in (request.headers.get("content-type") or ""):
        return json.loads(body)
    return {k: v[0] for k, v in parse_qs(body).items()}


@pytest.mark.parametrize("javascript", [True, False])
@pytest.mark.parametrize("lang", ["en", "nb"])
def test_submission_carries_the_versions_shown_in_the_footer(browser, built, javascript, lang):
    site, views = built
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    posted = submit(page, f"{site}/fjord-kaffe/{lang}/")
    assert posted["notice_version"] == views[lang].notice_version
    assert posted["wording_version"] == views[lang].wording_version
    context.close()


def test_footer_shows_the_same_versions(page, built):
    site, views = built
    page.goto(f"{site}/fjord-kaffe/nb/")
    page.locator("footer details.version summary").click()  # a small detail, opened on request
    footer = page.locator("footer").inner_text()
    assert views["nb"].notice_version[:12] in footer and views["nb"].wording_version[:12] in footer
    page.goto(f"{site}/fjord-kaffe/nb/privacy.html")
    page.locator(".notice-version a").first.click()  # "Permanent link to this version"
    assert page.url.endswith(f"/fjord-kaffe/nb/{views['nb'].notice_file}")
    assert views["nb"].notice_version[:12] in page.locator("footer").text_content()
