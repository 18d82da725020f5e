"""Head rules of `optin check`: language, title and hreflang alternates of every page."""
from __future__ import annotations

import re

from generator.check.model import Page, locale_tag
from generator.check.registry import fail, rule

LANG_TAG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$")


@rule({
    "page-lang": "every page has <html lang>, matching its locale folder",
    "page-title": "every page has a non-empty <title>",
    "hreflang": "every page lists hreflang alternates for all campaign locales, and they exist",
})
def rule_head(page: Page):
    lang = page.lang
    if not lang:
        yield fail(page, "page-lang", page.html, "<html> has no lang attribute")
    elif not LANG_TAG.match(lang):
        yield fail(page, "page-lang", page.html, f"lang={lang!r} is not a language tag")
    elif page.locale and lang.lower() != locale_tag(page.locale):
        yield fail(page, "page-lang", page.html, f"lang={lang!r} on a page of locale {page.locale!r}")
    title = page.root.find("title")
    if title is None or not title.text():
        yield fail(page, "page-title", title or page.root.find("head") or page.html, "page has no (or an empty) <title>")
    yield from _hreflang(page)


def _hreflang(page: Page):
    found = set()
    for link in page.root.iter("link"):
        if "alternate" not in (link.get("rel") or "").lower().split() or link.get("hreflang") is None:
            continue
        code = link.get("hreflang")
        found.add(code.lower())
        target = page.resolve(link.get("href") or "")
        other = page.site.page(target) if target is not None else None
        if other is None:
            yield fail(page, "hreflang", link, f"alternate {link.get('href')!r} does not exist in the site")
        elif code.lower() != "x-default" and other.lang.lower().split("-")[0] != code.lower().split("-")[0]:
            yield fail(page, "hreflang", link, f"alternate for {code!r} is a page in {other.lang!r}"
                        if other.lang else f"alternate for {code!r} is a page without <html lang>")
    if page.manifest and page.kind not in ("site-index", "other"):
        for lang in page.manifest.get("locales", []):
            if locale_tag(lang) not in found:
                yield fail(page, "hreflang", page.root.find("head"), f"no hreflang alternate for locale {lang!r}")
