"""Resolving and rendering a campaign: second languages on ms pages, and templates compiled
once per build."""
from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import jinja2

from generator.pipeline.build import build
from generator.site import notices
from support import forms, projects
# Not a file in fixtures/form/: tests there build every *.yaml in that folder and count the pages.
MS_ONLY = """\
# Bahasa Malaysia only (no `en` locale). ms pages still show every consent text in English too
# (PDPA 2010 s.7(3)), so custom wording needs `en:` and the English half names the opt-out keyword.
id: ms-only
brand:
  name: Kedai Ujian
controller:
  name: Kedai Ujian Sdn. Bhd.
  address: No. 1, Jalan Ujian, 50000 Kuala Lumpur, Malaysia
  email: privasi@kedaiujian.example
  phone: "+60 3-2000 0000"
  contact_designation: Privacy Officer
jurisdiction:
  country: MY
locales: [ms]
endpoints:
  submit: http://127.0.0.1:9/optin/submit
  confirm: http://127.0.0.1:9/optin/confirm
  withdraw: http://127.0.0.1:9/optin/withdraw
hosting:
  website: {name: Awan Ujian Sdn. Bhd., country: MY}
  receiver: {name: Awan Ujian Sdn. Bhd., country: MY}
purposes:
  - id: kek
    channel: whatsapp
    wording: {ms: tawaran kek dan roti, en: cake and bread offers}
  - id: pesanan
    channel: sms
    purpose: order_updates
opt_out:
  whatsapp: {ms: BERHENTI}
providers:
  whatsapp:
    name: Meta Platforms Ireland Ltd (WhatsApp Business Platform)
    country: IE
    pdpa_transfer: due_diligence
    hosting: {name: "Meta Platforms, Inc.", country: US, pdpa_transfer: due_diligence}
  sms: {name: Ujian SMS Sdn. Bhd., country: MY}
"""


class LangText(HTMLParser):
    """Text of the page by the nearest enclosing `lang` attribute."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.text: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        lang = dict(attrs).get("lang") or (self.stack[-1][1] if self.stack else "")
        self.stack.append((tag, lang))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.stack and data.strip() and self.stack[-1][0] not in ("script", "style"):
            self.text.setdefault(self.stack[-1][1], []).append(" ".join(data.split()))

    @classmethod
    def of(cls, html: str) -> dict[str, str]:
        parser = cls()
        parser.feed(html)
        return {lang: " ".join(parts) for lang, parts in parser.text.items()}


def _campaigns(tmp_path: Path, *names: str) -> Path:
    """A campaigns folder of a temporary project (copies: a build writes notice archives next
    to the campaign)."""
    folder = forms.copy_campaigns(tmp_path / "campaigns", [forms.fixture(n) for n in names if n != "ms-only"])
    if "ms-only" in names:
        (folder / "ms-only.yaml").write_text(MS_ONLY, encoding="utf-8")
    return folder


def test_english_half_of_an_ms_page_names_the_reply_keyword(tmp_path):
    """ms-only has no `en` locale; its ms pages still show English (PDPA 2010 s.7(3)), and the
    English half must name the WhatsApp keyword, not promise an email unsubscribe link."""
    result = build(projects.project(tmp_path), [_campaigns(tmp_path, "ms-only")], tmp_path / "site")
    texts = LangText.of((tmp_path / "site" / "ms-only" / "ms" / "index.html").read_text(encoding="utf-8"))
    english, malay = texts["en"], texts["ms"]
    assert "WhatsApp messages from Kedai Ujian about cake and bread offers" in english
    # whatsapp: {ms: BERHENTI}; English defaults to STOP: both halves name both, as both work
    assert "You can stop at any time: reply BERHENTI or STOP." in english
    assert "reply BERHENTI" in english  # SMS in Malaysia
    assert "unsubscribe link" not in english  # no email purpose
    assert "To stop WhatsApp messages, reply BERHENTI or STOP." in english  # the summary too
    assert "To stop text messages (SMS), reply BERHENTI." in english
    assert "balas BERHENTI" in malay
    view = result.views["ms-only"]["ms"]
    assert [p.keyword for p in view.secondary.purposes] == ["BERHENTI or STOP", "BERHENTI"]


def test_each_template_is_compiled_once_per_build(tmp_path, monkeypatch):
    """Design for speed: one Jinja environment per theme (and one for the locales' wording
    templates), each template loaded and compiled once for the whole build, not once per page
    or campaign."""
    loads: Counter = Counter()
    original = jinja2.FileSystemLoader.get_source  # called only on a template-cache miss

    def counting(self, environment, template):
        loads[(id(environment), template)] += 1
        return original(self, environment, template)

    monkeypatch.setattr(jinja2.FileSystemLoader, "get_source", counting)
    notices._wording_env.cache_clear()  # an earlier build in this process compiled summary.html already
    result = build(projects.project(tmp_path), [_campaigns(tmp_path, "wa-only", "ms-only")], tmp_path / "site")
    assert len(result.campaigns) == 2 and result.pages > 20
    repeated = {name: count for (_, name), count in loads.items() if count > 1}
    assert repeated == {}, f"templates compiled more than once: {repeated}"
    names = {name for _, name in loads}
    assert {"signup.html", "privacy.html", "thanks.html", "summary.html", "picker.html"} <= names


def test_calling_codes_from_the_table_are_the_ones_phonenumbers_gives_per_region():
    import phonenumbers
    from babel.core import get_global

    from generator.site.views import _region_codes

    for region in get_global("territory_languages"):
        assert _region_codes().get(region, 0) == (phonenumbers.country_code_for_region(region) or 0), region
