"""The campaign's language picker sends the visitor to their language when JS is on, and is a
plain list of links when it is off."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def site_url(example_site, static_server):
    return static_server(example_site)


@pytest.mark.parametrize("accept,expected", [("de-DE", "de"), ("nb-NO", "nb"), ("no", "nb"),
                                             ("ms-MY", "ms"), ("es-ES", "es"), ("fr-FR", None)])
def test_picker_follows_navigator_languages(browser, site_url, accept, expected):
    context = browser.new_context(locale=accept)
    page = context.new_page()
    page.goto(f"{site_url}/nordlys-sko/")
    if expected:
        page.wait_for_url(f"**/nordlys-sko/{expected}/")
        assert page.locator("html").get_attribute("lang") == expected
    else:
        page.wait_for_load_state("load")
        assert page.url.endswith("/nordlys-sko/")
        assert page.locator("#language-picker a").count() == 5
    context.close()


def test_picker_without_js_lists_every_locale(browser, site_url):
    context = browser.new_context(java_script_enabled=False, locale="de-DE")
    page = context.new_page()
    page.goto(f"{site_url}/kedai-harmoni/")
    links = page.locator("#language-picker a")
    assert sorted(links.evaluate_all("els => els.map(e => e.getAttribute('hreflang'))")) == ["de", "en", "es", "ms", "nb"]
    links.filter(has_text="English").click()
    page.wait_for_url("**/kedai-harmoni/en/")
    assert page.locator("html").get_attribute("lang") == "en"
    context.close()
