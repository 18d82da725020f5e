"""Built pages in nb/de/ms/es show no English UI text: every page's visible text, its accessible
names (aria-label, alt, title) and the messages the page hands to JavaScript are checked
against the English catalog. The campaign's own data (brand, addresses, authority, providers,
keywords) is removed first; parts marked lang="en" (the English half of the ms pages, PDPA
s.7(3), and the language switcher's link to English) are left out."""
from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser

import pytest

from generator.pipeline.build import build
from support import projects

TEXT_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class PageText(HTMLParser):
    """Text a visitor (or a screen reader, or the page's JavaScript) gets, minus lang="en" parts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, excluded)
        self.parts: list[str] = []
        self.json = False

    def excluded(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = self.excluded() or attrs.get("lang", "").startswith("en") and tag != "html" \
            or tag == "style" or (tag == "script" and attrs.get("type") != "application/json")
        if not skip:
            self.parts += [v for k, v in attrs.items() if v and (k in TEXT_ATTRIBUTES or k.startswith("data-"))]
        self.json = tag == "script" and not skip
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break
        self.json = False

    def handle_data(self, data):
        if self.excluded():
            return
        if self.json:
            self.parts += list(_strings(json.loads(data)))
        else:
            self.parts.append(data)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def page_text(html: str, campaign_data: list[str]) -> str:
    parser = PageText()
    parser.feed(html)
    text = " ".join(" ".join(parser.parts).split())
    for value in sorted(campaign_data, key=len, reverse=True):
        text = text.replace(value, " | ")
    return text


def english_in(text: str) -> list[str]:
    return [s for s in ENGLISH if s in text]


ENGLISH = projects.builtin_locales().english_ui_strings()


def campaign_data(campaign) -> list[str]:
    c = campaign.controller
    values = [campaign.brand_name, c.name, c.address, c.email, c.phone or "", campaign.authority.name,
              campaign.authority.url]
    for person in (c.dpo, c.representative):
        if person:
            values += [person.name, person.email, getattr(person, "address", "") or ""]
    values += [provider.name for provider in (*campaign.hosts.values(), *campaign.providers.values())]
    values += [w for p in campaign.purposes for w in (p.wording or {}).values()]
    values += [k for per_locale in campaign.opt_out.values() for k in per_locale.values()]
    return [" ".join(v.split()) for v in values if v]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The example campaigns, copied without any archived notices, built once."""
    project = projects.project(tmp_path_factory.mktemp("i18n-pages"))
    project.campaigns_dir.mkdir()
    for file in projects.example_files():
        if file.is_file():
            shutil.copy(file, project.campaigns_dir / file.name)
    return build(project)


def test_english_catalog_gives_recognisable_strings():
    assert len(ENGLISH) > 60 and "Back to sign-up" in ENGLISH


def test_the_check_finds_english_outside_lang_en():
    """The page check can fail: English in a Norwegian page is found, unless marked lang="en"."""
    html = '<html lang="nb"><body><p>Hei</p><button aria-label="Back to sign-up">x</button></body></html>'
    assert english_in(page_text(html, [])) == ["Back to sign-up"]
    html = '<html lang="nb"><body><p lang="en">Back to sign-up <b>Skip to content</b></p><p>Hei</p></body></html>'
    assert english_in(page_text(html, [])) == []
    html = ('<html lang="nb"><script type="application/json" id="m">{"a": {"b": "Back to sign-up"}}</script>'
            '<p data-busy="Skip to content">Hei</p></html>')
    assert sorted(english_in(page_text(html, []))) == ["Back to sign-up", "Skip to content"]


@pytest.mark.parametrize("lang", ["nb", "de", "ms", "es"])
def test_no_english_on_any_page(site, lang):
    checked = 0
    for campaign in site.campaigns:
        if lang not in campaign.locales:
            continue
        data = campaign_data(campaign)
        pages = sorted((site.out_dir / campaign.id / lang).glob("*.html"))
        if campaign.default_locale == lang:
            pages.append(site.out_dir / campaign.id / "index.html")  # the language picker
        assert len(pages) >= 6
        for page in pages:
            text = page_text(page.read_text(encoding="utf-8"), data)
            assert english_in(text) == [], f"{page.relative_to(site.out_dir)}: {english_in(text)}"
            checked += 1
    assert checked >= 6


@pytest.mark.parametrize("lang", ["nb", "de", "ms", "es"])
def test_signup_page_is_in_the_locale(site, lang):
    """The page is really translated (not just free of the checked fragments)."""
    expected = {"nb": "Hva vil du motta?", "de": "Was möchten Sie erhalten?",
                "ms": "Apakah yang anda mahu terima?", "es": "¿Qué quieres recibir?"}[lang]
    page = site.out_dir / "kedai-harmoni" / lang / "index.html"
    html = page.read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in html and expected in html


def test_malay_pages_carry_english_marked_as_such(site):
    """PDPA 2010 s.7(3): the ms pages show the English wording too, inside lang="en"."""
    html = (site.out_dir / "kedai-harmoni" / "ms" / "privacy.html").read_text(encoding="utf-8")
    assert 'lang="en"' in html and "Privacy notice: messages from Kedai Harmoni" in html
    assert "Notis privasi: mesej daripada Kedai Harmoni" in html


def _text(site, campaign: str, lang: str, name: str) -> str:
    return " ".join((site.out_dir / campaign / lang / name).read_text(encoding="utf-8").split())


def test_native_review_fixes_are_on_the_pages(site):
    de = _text(site, "nordlys-sko", "de", "privacy.html")
    assert "Kontakt zur bzw. zum Datenschutzbeauftragten: Kari Nordmann" in de, "a neutral DPO label"
    assert "Datenschutzbeauftragter:" not in de
    complaint = de[de.index('id="complaint"'):de.index('id="requirement"')]
    assert complaint.count("Aufsichtsbehörde") == 1 and "insbesondere" not in complaint
    assert "Sie sollte so aussehen" not in _text(site, "nordlys-sko", "de", "index.html")
    for page in (site.out_dir / "nordlys-sko" / "nb").glob("*.html"):
        assert "slått på" not in page.read_text(encoding="utf-8"), page.name
    assert "Ingenting blir aktivert før du bekrefter." in _text(site, "nordlys-sko", "nb", "thanks.html")
    labels = re.findall(r'<label for="purpose-[^"]+">(.*?)</label>', _text(site, "kedai-harmoni", "nb", "index.html"))
    assert "tilbud og nye varer" in labels[0] and sum("nyheter" in label for label in labels) == 1, labels
    assert "Volver al formulario" in _text(site, "nordlys-sko", "es", "thanks.html")
    assert "Volver a la suscripción" not in _text(site, "nordlys-sko", "es", "privacy.html")
    messages = json.loads((site.out_dir / "nordlys-sko" / "messages.json").read_text(encoding="utf-8"))
    assert "- SMS: responde UNSUB" in messages["es"]["whatsapp"]["confirmation"]
    assert "Mensajes de SMS" not in json.dumps(messages, ensure_ascii=False)
    ms = _text(site, "kedai-harmoni", "ms", "index.html")
    assert "anda boleh menandakan satu, beberapa atau tiada satu pun" in ms and "tidak satu pun" not in ms
    privacy_ms = _text(site, "kedai-harmoni", "ms", "privacy.html")
    assert "atas asas apa" in privacy_ms and "atas dasar" not in privacy_ms
    assert "Didn't get anything?" in _text(site, "nordlys-sko", "en", "thanks.html")
    confirm = _text(site, "nordlys-sko", "en", "confirm.html")
    assert "withdrawal page</a>" in confirm and "withdraw page" not in confirm


def test_the_example_code_does_not_wrap_at_its_hyphen(site):
    from generator.project import package_data
    for lang in ("en", "nb", "de", "ms", "es"):
        assert '<span class="nowrap">K7QF-2M9X</span>' in _text(site, "nordlys-sko", lang, "confirm.html"), lang
    css = (package_data("themes") / "default" / "static" / "style.css").read_text(encoding="utf-8")
    assert re.search(r"\.nowrap\s*\{\s*white-space:\s*nowrap;", css)
