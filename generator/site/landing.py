"""The signup page's landing-page copy for one locale: headline, intro (Markdown made safe),
incentive and hero image.

The intro is rendered with Python-Markdown's raw-HTML handling removed, then rebuilt from an
allow-list (paragraphs, emphasis, lists, line breaks, code, links): whatever the Markdown says,
the page gets no element, attribute or URL outside that list. Links keep only https and
relative targets (campaign/landing.py refuses the rest when the campaign is loaded).
"""
from __future__ import annotations

import html
import threading
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

import markdown
from markdown.extensions.sane_lists import SaneListExtension
from markupsafe import Markup

from generator.campaign.landing import Page, allowed_link

_local = threading.local()
ALLOWED = {"p", "em", "strong", "ul", "ol", "li", "br", "code", "a"}
VOID = {"br"}


class _Clean(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED:
            return
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if not allowed_link(href):
                self.open.append("")  # the text stays, the link goes
                return
            self.out.append(f'<a href="{html.escape(href, quote=True)}">')
        else:
            self.out.append(f"<{tag}>")
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag in VOID:
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag):
        if tag not in ALLOWED or tag in VOID or not self.open:
            return
        if tag in self.open or (tag == "a" and "" in self.open):
            while self.open:
                top = self.open.pop()
                if top:
                    self.out.append(f"</{top}>")
                if top == tag or (tag == "a" and top == ""):
                    break

    def handle_data(self, data):
        self.out.append(html.escape(data, quote=False))


def clean(fragment: str) -> str:
    """`fragment` rebuilt from the allow-list: unknown elements dropped (their text kept, escaped)."""
    parser = _Clean()
    parser.feed(fragment)
    parser.close()
    parser.out += [f"</{t}>" for t in reversed(parser.open) if t]
    return "".join(parser.out)


@lru_cache(maxsize=256)  # every page of a locale shows the same intro: render it once
def intro_html(text: str) -> Markup:
    md = getattr(_local, "md", None)
    if md is None:  # building a Markdown instance costs more than converting a short intro
        # an instance, not the name "sane_lists": a name costs a scan of every package's entry points
        md = _local.md = markdown.Markdown(extensions=[SaneListExtension()], output_format="html")
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
    return Markup(clean(md.reset().convert(text)))


@dataclass(frozen=True)
class HeroView:
    src: str  # asset URL
    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class LandingView:
    headline: str  # "" -> the theme's default heading
    intro: Markup
    incentive: str
    hero: HeroView | None


def view(page: Page, lang: str, hero_url: str = "") -> LandingView:
    """The copy of locale `lang`; `hero_url` is where the build put the hero image."""
    hero = None
    if page.hero and hero_url:
        hero = HeroView(hero_url, page.hero.alt.get(lang, ""), page.hero.width, page.hero.height)
    intro = page.intro.get(lang, "")
    return LandingView(page.headline.get(lang, ""), intro_html(intro) if intro else Markup(""),
                       page.incentive.get(lang, ""), hero)
