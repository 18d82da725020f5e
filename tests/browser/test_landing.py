"""The signup page as a phone landing page, in both colour schemes, and the compact theme.

* On a 375 x 740 viewport the first purpose is on the first screen and the submit button within
  the second, for both examples in every locale.
* axe-core (WCAG 2.2 AA, colour contrast included) finds nothing on the signup, confirm, withdraw
  and privacy pages in the dark scheme (prefers-color-scheme; test_a11y.py runs axe on every page
  in the light one), nor on the form's error box and a page state in either scheme.
* The compact theme (themes/compact: a child of default) builds the examples and passes axe.
"""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from generator.check.browser import AXE_OPTIONS
from generator.pipeline.build import build
from support import forms as fs
from support.projects import EXAMPLE_IDS, LOCALES, example_project

PHONE = {"width": 375, "height": 740}
CAMPAIGN_LOCALES = [(c, lang) for c in EXAMPLE_IDS for lang in LOCALES]
FLOW_PAGES = ("index.html", "confirm.html", "withdraw.html", "privacy.html")
_axe = Axe()


def violations(page) -> list[str]:
    found = _axe.run(page, options=AXE_OPTIONS).response["violations"]
    return [f"{v['id']}: " + "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:3]) for v in found]


@pytest.fixture(scope="module")
def examples(example_site, static_server):
    return static_server(example_site)


@pytest.fixture(scope="module")
def phone(browser):
    context = browser.new_context(viewport=PHONE)
    yield context.new_page()
    context.close()


BOTTOMS_JS = """() => {
  const box = e => { const r = e.getBoundingClientRect(); return r.bottom + scrollY; };
  return {purpose: box(document.querySelector('input[name=purposes]')),
          button: box(document.getElementById('signup-submit')), height: innerHeight};
}"""


@pytest.mark.parametrize("campaign, lang", CAMPAIGN_LOCALES)
def test_phone_layout_first_purpose_and_button_are_near_the_top(phone, examples, campaign, lang):
    phone.goto(f"{examples}/{campaign}/{lang}/")
    at = phone.evaluate(BOTTOMS_JS)
    assert at["height"] == PHONE["height"]
    assert at["purpose"] <= PHONE["height"], f"first purpose ends at {at['purpose']:.0f}px"
    assert at["button"] <= 2 * PHONE["height"], f"submit button ends at {at['button']:.0f}px"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("campaign", EXAMPLE_IDS)
def test_pages_are_accessible_in_both_colour_schemes(phone, examples, campaign, scheme):
    guard = fs.Guard.on(phone, [examples])
    phone.emulate_media(color_scheme=scheme)
    problems = {}
    try:
        for lang in LOCALES if scheme == "dark" else ():  # light: test_a11y.py, every page
            for name in FLOW_PAGES:
                phone.goto(f"{examples}/{campaign}/{lang}/{name}")
                dark = phone.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
                assert dark == (scheme == "dark")
                found = violations(phone)
                if found:
                    problems[f"{lang}/{name}"] = found
        # the error box and a page state, in this scheme too
        phone.goto(f"{examples}/{campaign}/en/")
        assert phone.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
        phone.click("#signup-submit")
        phone.locator("#form-error li").first.wait_for()
        problems.update({"en/index.html (errors)": found} if (found := violations(phone)) else {})
        phone.goto(f"{examples}/{campaign}/en/confirm.html#expired_token")
        problems.update({"en/confirm.html#expired_token": found} if (found := violations(phone)) else {})
    finally:
        phone.emulate_media(color_scheme="light")
    assert problems == {}
    guard.assert_clean()


def test_dark_scheme_changes_the_colours(phone, examples):
    """The brand stylesheet's dark block applies: a dark background, lighter brand colour."""
    colours = {}
    for scheme in ("light", "dark"):
        phone.emulate_media(color_scheme=scheme)
        phone.goto(f"{examples}/nordlys-sko/nb/")
        colours[scheme] = phone.evaluate("""() => [getComputedStyle(document.body).backgroundColor,
            getComputedStyle(document.getElementById('signup-submit')).backgroundColor,
            getComputedStyle(document.querySelector('.brand img')).backgroundColor]""")
    phone.emulate_media(color_scheme="light")
    assert colours["light"][0] == "rgb(255, 255, 255)"
    assert colours["dark"][0] != colours["light"][0] and colours["dark"][1] != colours["light"][1]
    # the logo (dark green wordmark) keeps its light background on a plate in the dark scheme
    assert colours["light"][2] == "rgba(0, 0, 0, 0)" and colours["dark"][2] == colours["light"][0]


def test_printed_notice_is_black_on_white_without_navigation(phone, examples):
    phone.emulate_media(media="print", color_scheme="dark")
    try:
        phone.goto(f"{examples}/nordlys-sko/nb/privacy.html")
        assert phone.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
        assert phone.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
        assert phone.locator(".site-header").is_hidden()
        assert phone.locator("article.notice").is_visible()
    finally:
        phone.emulate_media(media="screen", color_scheme="light")


@pytest.fixture(scope="module")
def compact_site(tmp_path_factory, static_server):
    """The examples built with `theme: compact`."""
    root = tmp_path_factory.mktemp("compact")
    project = example_project(root)
    for cid in EXAMPLE_IDS:
        path = project.campaigns_dir / f"{cid}.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "theme: compact\n", encoding="utf-8")
    out = root / "site"
    build(project, None, out)
    return out, static_server(out)


def test_compact_theme_builds_from_its_parent(compact_site):
    site, _ = compact_site
    page = (site / "nordlys-sko" / "nb" / "index.html").read_text(encoding="utf-8")
    assert "compact." in page and 'id="signup"' in page  # its stylesheet, the parent's form
    assert 'class="hero"' not in page  # its own _landing.html: no hero image
    assert list((site / "assets").glob("compact.*.css"))
    assert 'class="flow-heading"' in (site / "nordlys-sko" / "nb" / "confirm.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_compact_theme_is_accessible(browser, compact_site, scheme):
    _, base = compact_site
    context = browser.new_context(viewport={"width": 360, "height": 640}, color_scheme=scheme)
    page = context.new_page()
    guard = fs.Guard.on(page, [base])
    problems = {}
    try:
        # The compact theme changes layout and CSS, not text: per campaign its default locale,
        # German (the longest words, for sideways scrolling) and ms (two languages per page).
        for campaign, lang in [("nordlys-sko", "nb"), ("nordlys-sko", "de"), ("nordlys-sko", "ms"),
                               ("kedai-harmoni", "ms"), ("kedai-harmoni", "de")]:
            for name in FLOW_PAGES:
                page.goto(f"{base}/{campaign}/{lang}/{name}")
                found = violations(page)
                if page.evaluate("document.documentElement.scrollWidth > innerWidth"):
                    found.append("scrolls sideways")
                if found:
                    problems[f"{campaign}/{lang}/{name}"] = found
    finally:
        context.close()
    assert problems == {}
    guard.assert_clean()
