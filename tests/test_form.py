"""The signup form as built (no browser): never a ticked box, the fields the purposes need, the
summary (who, what, how long, how to withdraw), the opt-out keyword per channel and locale,
translated script messages, the CSP, and build errors for pre-ticked boxes and weak colours."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.campaign.model import load
from generator.errors import OptinError
from generator.i18n.formatting import months
from generator.pipeline.build import build
from generator.project import package_data
from support import forms as fs
from support import projects


class Tags(HTMLParser):
    """Every start tag as (tag, attrs dict), plus the text of <script type=application/json>."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.json_blocks: dict[str, str] = {}
        self._json_id = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "script" and a.get("type") == "application/json":
            self._json_id = a.get("id")

    def handle_data(self, data):
        if self._json_id:
            self.json_blocks[self._json_id] = self.json_blocks.get(self._json_id, "") + data

    def handle_endtag(self, tag):
        if tag == "script":
            self._json_id = None

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("form")
    project = projects.project(root)
    build(project, [fs.copy_examples(root / "campaigns"), fs.copy_campaigns(root / "fixtures", [fs.HERE])],
          root / "site")
    return root / "site"


def campaign_of(site: Path, name: str):
    """The copy of campaign `name` the site was built from (an example or a form fixture)."""
    root = site.parent
    path = root / "campaigns" / f"{name}.yaml"
    campaign, problems = load(path if path.exists() else root / "fixtures" / f"{name}.yaml", projects.project(root))
    assert not problems
    return campaign


def signup_pages(site: Path):
    for path in sorted(site.glob("*/*/index.html")):
        yield path.parent.parent.name, path.parent.name, path.read_text(encoding="utf-8")


def test_no_input_is_ever_checked(site):
    count = 0
    for _, _, html in signup_pages(site):
        page = Tags(html)
        boxes = page.find("input", type="checkbox")
        assert boxes and all("checked" not in b for b in boxes)
        count += 1
    assert count == 7 * 5  # two examples and five fixtures, five locales each


@pytest.mark.parametrize("name", ["wa-only", "sms-only", "email-only", "wa-email", "fields", "nordlys-sko",
                                  "kedai-harmoni"])
def test_fields_match_the_purposes(site, name):
    campaign = campaign_of(site, name)
    for lang in campaign.locales:
        page = Tags((site / name / lang / "index.html").read_text(encoding="utf-8"))
        visible = {a["name"] for a in page.find("input") if a.get("type") not in ("hidden", "checkbox")}
        want = {"website"} | ({"phone"} if campaign.needs_phone else set()) \
            | ({"email"} if campaign.needs_email else set()) | set(campaign.extra_fields)
        assert visible == want
        hidden = {a["name"] for a in page.find("input", type="hidden")}
        assert hidden == {"campaign", "locale", "notice_version", "wording_version", "success_url", "redirect"} \
            | ({"country_code"} if campaign.needs_phone else set())
        # each field names the purposes that need it (JS requires and posts it only for those)
        needed = {a["data-needed-by"] for a in page.find("div") if "data-needed-by" in a}
        phone_ids = " ".join(p.id for p in campaign.purposes if p.channel in ("whatsapp", "sms"))
        assert (phone_ids in needed) == campaign.needs_phone


def test_summary_says_who_what_how_long_how_to_withdraw(site, locales):
    for name in ("nordlys-sko", "kedai-harmoni", "sms-only"):
        campaign = campaign_of(site, name)
        for lang in campaign.locales:
            html = (site / name / lang / "index.html").read_text(encoding="utf-8")
            t = locales.translations(lang)
            summary = html[html.index('<div class="summary" lang="%s">' % lang):]
            summary = summary[:summary.index("</div>")]
            assert campaign.controller.name in summary  # who
            # how long: one line, the longest period (true of every purpose; each is in the notice)
            assert months(max(p.retention_months for p in campaign.purposes), lang) in summary
            assert t.ugettext("You can withdraw your consent at any time.") in summary
            assert 'href="withdraw.html"' in summary and 'href="privacy.html"' in summary
            for p in campaign.purposes:
                if p.channel != "email":
                    keyword = campaign.opt_out[p.channel][lang]
                    assert re.search(rf"\b{keyword}\b", summary)
                    stop = html[html.index(f'id="purpose-{p.id}-stop"'):]
                    assert keyword in stop[:stop.index("</p>")]


def test_norway_sms_default_keyword_is_unsub_not_stop(site):
    html = (site / "sms-only" / "en" / "index.html").read_text(encoding="utf-8")
    stop = html[html.index('id="purpose-reminders-stop"'):]
    stop = stop[:stop.index("</p>")]
    assert "UNSUB" in stop and not re.search(r"\bSTOP\b", stop)


def test_malay_pages_show_malay_and_english(site):
    html = (site / "kedai-harmoni" / "ms" / "index.html").read_text(encoding="utf-8")
    page = Tags(html)
    assert page.find("html", lang="ms")
    assert len(page.find("div", **{"class": "summary", "lang": "ms"})) == 1
    # the English summary and choices, folded, before the first box; the Malay summary before the button
    english = html[html.index('<details class="summary summary-second" lang="en">'):]
    english = english[:english.index("</details>")]
    assert html.index("</details>") < html.index('type="checkbox"') < html.index('<div class="summary" lang="ms">')
    assert "About your consent, in English" in english
    assert "You can withdraw your consent at any time." in english and 'href="privacy.html"' in english
    assert english.count("<li><strong>") == 2  # each choice with its English label and stop hint
    assert "Emails from Kedai Harmoni" in english and "reply BERHENTI or STOP" in english


def test_script_messages_are_complete_and_translated(site, locales):
    keys = {"summary_title", "no_purpose", "phone_missing", "phone_invalid", "email_missing", "email_invalid",
            "name_missing", "birthday_missing", "sending", "sent", "network", "server", "rate_limited", "rejected"}
    english = json.loads(Tags((site / "fields" / "en" / "index.html").read_text()).json_blocks["optin-messages"])
    assert set(english) == keys
    for lang in fs.LOCALES:
        messages = json.loads(Tags((site / "fields" / lang / "index.html").read_text()).json_blocks["optin-messages"])
        assert set(messages) == keys and all(messages.values())
        t = locales.translations(lang)
        for key in keys - {"phone_invalid"}:  # phone_invalid has the calling code filled in
            assert messages[key] == t.ugettext(english[key]), (lang, key)
        assert "+47" in messages["phone_invalid"]


def test_script_contains_no_user_facing_text():
    source = (package_data("themes") / "default" / "static" / "optin.js").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)
    literals = re.findall(r'"((?:[^"\\]|\\.)*)"', code)
    assert literals
    prose = [s for s in literals if s != "use strict" and re.search(r"[A-Za-z]{2,} [A-Za-z]{2,}", s)]
    assert prose == []


def test_csp_allows_exactly_the_endpoints(site):
    campaign = campaign_of(site, "nordlys-sko")
    html = (site / "nordlys-sko" / "nb" / "index.html").read_text(encoding="utf-8")
    [meta] = Tags(html).find("meta", **{"http-equiv": "Content-Security-Policy"})
    policy = dict(d.strip().split(" ", 1) for d in meta["content"].split(";"))
    assert policy["connect-src"].split() == campaign.endpoints.origins()
    # 'self': the endpoint's 303 back to this site's thanks page is checked against form-action
    assert policy["form-action"].split() == ["'self'", *campaign.endpoints.origins()]
    assert policy["script-src"] == "'self'" and "unsafe" not in meta["content"]


def _campaign_with(tmp_path: Path, replace: tuple[str, str]) -> Path:
    text = fs.fixture("wa-only").read_text(encoding="utf-8")
    assert replace[0] in text
    path = tmp_path / "c.yaml"
    path.write_text(text.replace(*replace), encoding="utf-8")
    return path


def test_a_pre_ticked_purpose_is_a_build_error(tmp_path):
    path = _campaign_with(tmp_path, ("    purpose: offers\n", "    purpose: offers\n    checked: true\n"))
    with pytest.raises(OptinError) as err:
        build(projects.project(tmp_path), [path], tmp_path / "out")
    assert "pre-ticked" in str(err.value.format_message()) and not (tmp_path / "out").exists()


def test_brand_colours_that_fail_contrast_are_a_build_error(tmp_path):
    path = _campaign_with(tmp_path, ("  name: Bare WhatsApp\n", '  name: Bare WhatsApp\n  colors:\n    primary: "#7fb3ff"\n'))
    with pytest.raises(OptinError) as err:
        build(projects.project(tmp_path), [path], tmp_path / "out")
    assert "contrast" in str(err.value.format_message())
