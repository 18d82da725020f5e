"""The built tree for the example campaigns: layout, languages, links, determinism, atomic swap."""
from __future__ import annotations

import hashlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli.main import main
from generator.errors import OptinError
from generator.pipeline.build import build
from support import projects
from support.projects import FIXTURES

EXAMPLES = {"nordlys-sko": ["nb", "en", "de", "es", "ms"], "kedai-harmoni": ["ms", "en", "nb", "de", "es"]}
PAGES = ["index.html", "privacy.html", "thanks.html", "confirm.html", "withdraw.html"]


class Page(HTMLParser):
    """Collects what the tests look at: <html lang>, links, title, elements with ids."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.links: list[dict] = []
        self.anchors: list[dict] = []
        self.metas: list[dict] = []
        self.title = ""
        self._in_title = False
        self.doctype = None
        self.feed(text)
        self.close()

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "a":
            self.anchors.append(attrs)
        elif tag == "meta":
            self.metas.append(attrs)
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def all_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_tree_has_every_page_for_every_locale(example_site):
    assert (example_site / "index.html").is_file()
    for campaign, locales in EXAMPLES.items():
        assert (example_site / campaign / "index.html").is_file()
        for lang in locales:
            for page in PAGES:
                assert (example_site / campaign / lang / page).is_file(), f"{campaign}/{lang}/{page}"
            assert len(list((example_site / campaign / lang).glob("privacy-*.html"))) >= 1
    assets = [p.name for p in (example_site / "assets").rglob("*") if p.is_file()]
    assert any(n.startswith("style.") and n.endswith(".css") and len(n.split(".")) == 3 for n in assets)
    assert any(n.startswith("optin.") and n.endswith(".js") for n in assets)
    assert (example_site / "assets" / "nordlys-sko").is_dir(), "the logo is copied"


def test_every_page_is_html5_with_lang_title_and_csp(example_site):
    pages = all_pages(example_site)
    assert len(pages) > 60
    for path in pages:
        page = Page(path.read_text(encoding="utf-8"))
        rel = path.relative_to(example_site)
        assert page.doctype and page.doctype.lower() == "doctype html", rel
        assert page.lang, rel
        assert page.title.strip(), rel
        assert any(m.get("http-equiv") == "Content-Security-Policy" for m in page.metas), rel
        if len(rel.parts) == 3:  # <campaign>/<locale>/<page>
            assert page.lang == rel.parts[1], rel


def test_hreflang_links_resolve_to_existing_files(example_site):
    checked = 0
    for path in all_pages(example_site):
        page = Page(path.read_text(encoding="utf-8"))
        for link in page.links:
            if link.get("rel") == "alternate" and link.get("hreflang"):
                target = (path.parent / link["href"]).resolve()
                if link["href"].endswith("/"):
                    target = target / "index.html"
                assert target.is_file(), f"{path.relative_to(example_site)} -> {link['href']}"
                checked += 1
    assert checked > 200


def test_switcher_keeps_the_visitor_on_the_same_page(example_site):
    path = example_site / "nordlys-sko" / "de" / "withdraw.html"
    page = Page(path.read_text(encoding="utf-8"))
    switch = {a["hreflang"]: a["href"] for a in page.anchors if a.get("hreflang")}
    assert switch == {lang: f"../{lang}/withdraw.html" for lang in EXAMPLES["nordlys-sko"]}
    current = [a for a in page.anchors if a.get("aria-current") == "page"]
    assert [a["hreflang"] for a in current] == ["de"]


def test_canonical_only_with_base_url(example_site, tmp_path):
    with_base = Page((example_site / "nordlys-sko" / "nb" / "privacy.html").read_text(encoding="utf-8"))
    canon = [link["href"] for link in with_base.links if link.get("rel") == "canonical"]
    assert canon == ["https://optin.nordlyssko.example/nordlys-sko/nb/privacy.html"]
    fixture = FIXTURES / "form" / "wa-only.yaml"  # no base_url, endpoints on localhost
    assert "base_url" not in fixture.read_text(encoding="utf-8")
    (tmp_path / "campaigns").mkdir()
    copy = tmp_path / "campaigns" / fixture.name
    copy.write_bytes(fixture.read_bytes())
    result = build(projects.project(tmp_path), [copy], tmp_path / "site")
    without = Page((tmp_path / "site" / "wa-only" / "en" / "index.html").read_text(encoding="utf-8"))
    assert not [link for link in without.links if link.get("rel") == "canonical"]
    assert not [w for w in result.warnings if "base_url" in w], "no advice for a campaign posting to localhost"


def test_missing_base_url_with_public_endpoints_is_a_warning(tmp_path, monkeypatch):
    projects.example_project(tmp_path)
    (tmp_path / "campaigns" / "nordlys-sko.yaml").unlink()
    kedai = tmp_path / "campaigns" / "kedai-harmoni.yaml"
    kedai.write_text(kedai.read_text(encoding="utf-8").replace("base_url: https://optin.kedaiharmoni.example\n", ""),
                     encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build"])
    assert result.exception is None and result.exit_code == 0, result.output
    assert (tmp_path / "site" / "kedai-harmoni" / "ms" / "index.html").is_file()
    assert "base_url: not set: without JavaScript the forms send api.kedaiharmoni.example" in result.output
    assert "set `base_url:`" in result.output


def _digest(site: Path) -> dict[str, str]:
    return {str(p.relative_to(site)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()}


def test_same_inputs_give_byte_identical_output(example_site, tmp_path):
    again = tmp_path / "again"
    build(projects.example_project(tmp_path / "project"), None, again)
    assert _digest(again) == _digest(example_site)


def test_failed_build_keeps_previous_output(tmp_path):
    project = projects.example_project(tmp_path)
    nordlys = project.campaigns_dir / "nordlys-sko.yaml"
    out = tmp_path / "site"
    build(project, [nordlys], out)
    before = _digest(out)
    broken = tmp_path / "broken.yaml"
    broken.write_text(nordlys.read_text().replace("channel: sms", "channel: pager"))
    with pytest.raises(OptinError):
        build(project, [broken], out)
    assert _digest(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [".site.tmp-cache"], \
        "temp folder cleaned up (the build cache stays)"


def test_failure_late_in_the_build_keeps_previous_output(tmp_path, monkeypatch):
    project = projects.example_project(tmp_path)
    kedai = project.campaigns_dir / "kedai-harmoni.yaml"
    out = tmp_path / "site"
    build(project, [kedai], out)
    before = _digest(out)
    from generator.site import pages

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pages, "write_site_index", explode)
    with pytest.raises(OSError):
        build(project, [kedai], out)
    assert _digest(out) == before


def test_notice_markdown_rendered_once_per_campaign_and_locale(tmp_path, monkeypatch):
    from collections import OrderedDict

    from generator.site import notice_cache

    calls = []
    real = notice_cache.markdown_html
    monkeypatch.setattr(notice_cache, "markdown_html", lambda text: calls.append(1) or real(text))
    monkeypatch.setattr(notice_cache, "_entries", OrderedDict())  # nothing converted yet
    project = projects.example_project(tmp_path)
    result = build(project, [project.campaigns_dir / "nordlys-sko.yaml"], tmp_path / "site")
    # nordlys-sko has 5 locales; ms pages also carry the English notice (PDPA s.7(3)); notices
    # of the same structure share one conversion (site/notice_cache.py)
    assert 1 <= len(calls) <= 5 + 1
    assert result.pages > 5 * len(PAGES)


def test_new_writes_a_starter_that_builds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["new", "summer-sale", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    path = tmp_path / "summer-sale.yaml"
    assert path.read_text().count("#") > 10, "the starter is commented"
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(path), "--out", str(out)])
    assert result.exception is None and result.exit_code == 0, result.output
    assert (out / "summer-sale" / "en" / "index.html").is_file()
    again = runner.invoke(main, ["new", "summer-sale", "--dir", str(tmp_path)])
    assert again.exit_code == 2 and "already exists" in again.output
    bad = runner.invoke(main, ["new", "Summer Sale!", "--dir", str(tmp_path)])
    assert bad.exit_code == 2 and "slug" in bad.output


def test_build_without_arguments_builds_campaigns_folder(tmp_path, monkeypatch):
    projects.example_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["build"])
    assert result.exception is None and result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["assets", "kedai-harmoni", "nordlys-sko"]
