"""Privacy notices: Art. 13 / PDPA s.7 completeness checked on the RENDERED notice,
authorities per jurisdiction, Babel retention, versions in footer and form, permanent versions."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli.main import main
from generator.pipeline.build import build
from generator.project import package_data
from generator.site import notices
from support import projects
from support.projects import FIXTURES as ALL_FIXTURES

FIXTURES = ALL_FIXTURES / "notices"
RIGHTS = ["right-access", "right-rectification", "right-erasure", "right-restriction", "right-objection",
          "right-portability", "object-marketing"]


def campaign_copy(tmp_path: Path, name: str = "fjord-solo", edit=None) -> Path:
    """The fixture campaign in the campaigns folder of a project in `tmp_path` (the build
    archives notices next to it)."""
    folder = tmp_path / "campaigns"
    folder.mkdir(exist_ok=True)
    text = (FIXTURES / f"{name}.yaml").read_text(encoding="utf-8")
    path = folder / f"{name}.yaml"
    path.write_text(edit(text) if edit else text, encoding="utf-8")
    return path


@pytest.fixture
def own_locales(tmp_path):
    """The project in `tmp_path` gets its own copy of the locales: its notices are rendered
    instead of the built-in ones, which stay untouched."""
    copy = tmp_path / "locales"
    shutil.copytree(package_data("locales"), copy)
    return copy


def build_in(tmp_path: Path, path: Path, out: Path):
    """Build one campaign file with the project in `tmp_path` (its locales/, if any)."""
    return build(projects.project(tmp_path), [path], out)


def notice_html(page: str) -> list[str]:
    return re.findall(r'<article class="notice"[^>]*>(.*?)</article>', page, re.S)


# --- completeness on the rendered notice ---------------------------------------------------------

MUTATIONS = {
    # what a careless edit does to locales/en/notice.md -> what the build must name
    "a right dropped": (lambda s: re.sub(r"- receive your data.*?\n  \{ \.item-right-portability \}\n", "", s, flags=re.S),
                        "the right to data portability is missing"),
    "a right emptied": (lambda s: re.sub(r"- have your data erased \(Article 17\);\n", "- \n", s),
                        "the right to erasure is missing"),
    "art. 21(4) paragraph dropped": (lambda s: re.sub(r"\*\*Direct marketing:\*\* you can object.*?\n", "\n", s),
                                     "the right to object to direct marketing, stated separately (Art. 21(4))"),
    "a basis dropped": (lambda s: re.sub(r"\{ \.item-basis-abuse \}", "", s),
                        "the basis of abuse prevention with network addresses"),
    "age left out": (lambda s: s.replace("{ .item-age }", ""),
                     "from which age a person may sign up"),
    "a section dropped": (lambda s: re.sub(r"## Complaints \{ #complaint \}.*?(?=## )", "", s, flags=re.S),
                          "no section with id #complaint"),
    "authority not named": (lambda s: s.replace("in particular {{ authority.name }}", "in particular the authority"),
                            "does not mention 'Datatilsynet'"),
    "withdraw link removed": (lambda s: s.replace("{{ withdraw_ways }}", "write to us"),
                              "the withdraw instruction has no link to withdraw.html"),
    "earlier processing sentence dropped": (lambda s: s.replace("Withdrawing does not affect the lawfulness of the processing before the withdrawal.", ""),
                                            "that withdrawing does not affect processing before it"),
    "processor not named": (lambda s: s.replace("{{ r.name }}, which delivers", "a provider, which delivers"),
                            "does not mention 'Postmark Mailer Inc.'"),
    "safeguard dropped": (lambda s: s.replace(" Transfer basis: {{ r.basis }}.", ""),
                          "does not mention \"the European Commission's standard contractual clauses (GDPR Article 46(2)(c))\""),
    "retention not given": (lambda s: s.replace("at most {{ p.retention }}", "for a while"),
                            "does not mention '6 months'"),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_notice_missing_an_item_fails_the_build_naming_campaign_locale_and_item(tmp_path, own_locales, mutation,
                                                                                monkeypatch):
    edit, expected = MUTATIONS[mutation]
    path = own_locales / "en" / "notice.md"
    before = path.read_text(encoding="utf-8")
    after = edit(before)
    assert after != before, "the mutation applies to the current English notice"
    path.write_text(after, encoding="utf-8")
    out = tmp_path / "site"
    campaign_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "campaign fjord-solo, locale en: the privacy notice" in result.output
    assert expected in result.output, result.output
    assert not out.exists(), "nothing is published"


def test_the_unmodified_notice_passes(tmp_path, own_locales, monkeypatch):
    campaign_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build"])
    assert result.exception is None and result.exit_code == 0, result.output
    assert (tmp_path / "site" / "fjord-solo" / "en" / "privacy.html").is_file()


def test_markers_are_checked_on_rendered_html_not_the_template():
    ok = ('<h2 id="rights">R</h2><ul>' + "".join(f'<li class="item-{r}">x</li>' for r in RIGHTS) + "</ul>")
    assert not [m for m in notices.missing_items(ok, {}) if "rights" in m]
    empty = ok.replace('<li class="item-right-erasure">x</li>', '<li class="item-right-erasure"> </li>')
    assert any("the right to erasure is missing" in m for m in notices.missing_items(empty, {}))
    commented = ok.replace('<li class="item-right-access">x</li>', "<!-- item-right-access -->")
    assert any("the right of access is missing" in m for m in notices.missing_items(commented, {}))


# --- content of the example notices -------------------------------------------------------------

def test_every_example_notice_has_every_section_and_item(example_site):
    checked = 0
    for page in example_site.glob("*/*/privacy.html"):
        for article in notice_html(page.read_text(encoding="utf-8")):
            ids = set(re.findall(r'<h2 id="(?:[a-z]{2}-)?([\w-]+)"', article))
            assert set(notices.REQUIRED_SECTIONS) <= ids, page
            classes = set(re.findall(r'class="item-([\w-]+)"', article))
            malaysian = "kedai-harmoni" in str(page)
            wanted = {i for items in notices.required_items({"malaysia": malaysian, "gdpr": True}).values()
                      for i in items}
            assert wanted <= classes, (page, wanted - classes)
            if malaysian:
                assert set(notices.PDPA_RIGHTS) <= classes, page
            checked += 1
    assert checked == 10 + 2, "5 locales x 2 campaigns, ms pages twice (ms + en)"


def test_authority_retention_keywords_and_processors_per_campaign(example_site):
    nb = (example_site / "nordlys-sko" / "nb" / "privacy.html").read_text(encoding="utf-8")
    assert "Datatilsynet" in nb and "https://www.datatilsynet.no" in nb
    assert "24 måneder" in nb and "12 måneder" in nb, "retention formatted by Babel for nb"
    assert "STOPP" in nb and "UNSUB" in nb
    assert "Meta Platforms" in nb and "Link Mobility AS" in nb and "Kari Nordmann" in nb
    de = (example_site / "nordlys-sko" / "de" / "privacy.html").read_text(encoding="utf-8")
    assert "24 Monate" in de
    ms = (example_site / "kedai-harmoni" / "ms" / "privacy.html").read_text(encoding="utf-8")
    assert "Personal Data Protection Commissioner" in ms and "Datatilsynet" not in ms
    assert "18 bulan" in ms and "BERHENTI" in ms


def test_ms_page_shows_malay_and_english_notice_without_duplicate_ids(example_site):
    page = (example_site / "kedai-harmoni" / "ms" / "privacy.html").read_text(encoding="utf-8")
    langs = re.findall(r'<article class="notice" lang="(\w+)"', page)
    assert langs == ["ms", "en"]
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    assert 'id="en-withdraw"' in page and 'id="withdraw"' in page


@pytest.mark.parametrize("jurisdiction, authority", [
    ("country: DE\n  state: BY", "Bayerisches Landesamt für Datenschutzaufsicht"),
    ("country: DE\n  state: HH", "Der Hamburgische Beauftragte für Datenschutz und Informationsfreiheit"),
    ("country: ES", "Agencia Española de Protección de Datos (AEPD)"),
    ("country: SE\n  authority: {name: Integritetsskyddsmyndigheten, url: 'https://www.imy.se'}",
     "Integritetsskyddsmyndigheten"),
])
def test_complaint_names_the_authority_of_the_jurisdiction(tmp_path, jurisdiction, authority):
    path = campaign_copy(tmp_path, edit=lambda s: s.replace("country: NO", jurisdiction))
    build_in(tmp_path, path, tmp_path / "site")
    page = (tmp_path / "site" / "fjord-solo" / "en" / "privacy.html").read_text(encoding="utf-8")
    complaint = notices.sections(notice_html(page)[0])["complaint"]
    assert authority in notices.normalise(complaint)


def test_transfer_outside_the_eea_names_country_and_safeguard(tmp_path):
    build_in(tmp_path, campaign_copy(tmp_path), tmp_path / "site")
    page = (tmp_path / "site" / "fjord-solo" / "en" / "privacy.html").read_text(encoding="utf-8")
    transfers = notices.normalise(notices.sections(notice_html(page)[0])["transfers"])
    assert "United States: Postmark Mailer Inc." in transfers
    assert "standard contractual clauses" in transfers


# --- versions: footer, form, permanent files -----------------------------------------------------

def test_versions_in_footer_form_and_permanent_file(tmp_path):
    result = build_in(tmp_path, campaign_copy(tmp_path, "fjord-kaffe"), tmp_path / "site")
    for lang, view in result.views["fjord-kaffe"].items():
        folder = tmp_path / "site" / "fjord-kaffe" / lang
        signup = (folder / "index.html").read_text(encoding="utf-8")
        assert f'name="notice_version" value="{view.notice_version}"' in signup
        assert f'name="wording_version" value="{view.wording_version}"' in signup
        footer = signup[signup.index("<footer"):]
        assert view.notice_version[:12] in footer and view.wording_version[:12] in footer
        privacy = (folder / "privacy.html").read_text(encoding="utf-8")
        assert f'href="privacy-{view.notice_version[:8]}.html"' in privacy
        versioned = (folder / f"privacy-{view.notice_version[:8]}.html").read_text(encoding="utf-8")
        assert notice_html(versioned) == notice_html(privacy)
        assert notices.content_hash(*notice_html(versioned)) == view.notice_version


def test_one_word_in_one_locale_changes_only_that_locales_hash(tmp_path, own_locales):
    path = campaign_copy(tmp_path, "fjord-kaffe")
    first = build_in(tmp_path, path, tmp_path / "one").views["fjord-kaffe"]
    nb = own_locales / "nb" / "notice.md"
    nb.write_text(re.sub(r"( \{ #automated \})", r" endret\1", nb.read_text(encoding="utf-8")), encoding="utf-8")
    notices._env.cache_clear()
    second = build_in(tmp_path, path, tmp_path / "two").views["fjord-kaffe"]
    assert second["nb"].notice_version != first["nb"].notice_version
    assert second["en"].notice_version == first["en"].notice_version
    assert {lang: v.wording_version for lang, v in second.items()} == \
        {lang: v.wording_version for lang, v in first.items()}
