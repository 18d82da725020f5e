"""Legal review and approval: `optin review`, `optin approve`, `optin build --strict`
against the approved texts, and permanent notice versions that survive wording changes."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.campaign import model
from generator.cli.main import main
from generator.legal import approval, review
from generator.pipeline import build as pipeline
from generator.pipeline.build import build as pipeline_build
from generator.project import package_data
from generator.site import notices
from generator.site.views import resolve_all
from support import projects
from support.projects import FIXTURES as ALL_FIXTURES
from support.projects import REPO

FIXTURES = ALL_FIXTURES / "notices"
SCREENSHOTS = REPO / "screenshots"  # git-ignored: for a person to look at
ARTICLE = re.compile(r'<article class="notice"[^>]*>(.*?)</article>', re.S)


@pytest.fixture(autouse=True)
def in_project(tmp_path, monkeypatch):
    """Every test works in a project in `tmp_path` (commands find it as the current folder)."""
    monkeypatch.chdir(tmp_path)


def load(path: Path):
    """A campaign of the project its campaigns folder belongs to."""
    return model.load(path, projects.project(path.parent.parent))


def views_of(campaign, root: Path):
    return resolve_all(campaign, projects.project(root).locales)


def build(paths: list[Path], out: Path):
    return pipeline_build(projects.project(paths[0].parent.parent), paths, out)


def campaign_copy(tmp_path: Path, name: str) -> Path:
    """The fixture campaign in the campaigns folder of the project in `tmp_path`."""
    folder = tmp_path / "campaigns"
    folder.mkdir(exist_ok=True)
    shutil.copy(FIXTURES / f"{name}.yaml", folder / f"{name}.yaml")
    return folder / f"{name}.yaml"


@pytest.fixture
def own_locales(tmp_path):
    """The project's own copy of the locales: its notices are rendered, the built-in ones stay untouched."""
    copy = tmp_path / "locales"
    shutil.copytree(package_data("locales"), copy)
    return copy


@pytest.fixture
def no_translation_warnings(monkeypatch):
    """--strict also fails on incomplete catalogs; these tests are about legal texts only."""
    monkeypatch.setattr(pipeline, "translation_warnings", lambda project, langs: [])


def change_one_word(locales: Path, lang: str) -> None:
    """What a translator does: one more word in one heading of one locale's notice."""
    path = locales / lang / "notice.md"
    text = path.read_text(encoding="utf-8")
    changed = re.sub(r"( \{ #automated \})", r" Endret\1", text, count=1)
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    notices._env.cache_clear()


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_strict_build_needs_an_approval(tmp_path, no_translation_warnings):
    path = campaign_copy(tmp_path, "fjord-solo")
    out = tmp_path / "site"
    plain = run("build", str(path), "--out", str(out))
    assert plain.exit_code == 0
    assert "warning: campaign fjord-solo: legal texts not approved: no fjord-solo.approved.json" in plain.output
    strict = run("build", str(path), "--out", str(tmp_path / "strict"), "--strict")
    assert strict.exit_code == 2 and isinstance(strict.exception, SystemExit)
    assert "legal texts differ from the approved versions" in strict.output
    assert not (tmp_path / "strict").exists()


def test_change_fails_strict_shows_in_review_and_approve_fixes_it(tmp_path, own_locales, no_translation_warnings):
    path = campaign_copy(tmp_path, "fjord-kaffe")
    out = tmp_path / "site"
    approved = run("approve", str(path), "--by", "Lea Legal")
    assert approved.exit_code == 0, approved.output
    lock = json.loads((tmp_path / "campaigns" / "fjord-kaffe.approved.json").read_text(encoding="utf-8"))
    first_nb = lock["locales"]["nb"]["items"]["notice"]
    assert first_nb["approved_by"] == "Lea Legal" and re.match(r"\d{4}-\d\d-\d\dT", first_nb["approved_at"])
    assert set(lock["locales"]["en"]["items"]) == {"label:offers", "label:news", "summary", "opt_out", "notice"}
    assert run("build", str(path), "--out", str(out), "--strict").exit_code == 0

    change_one_word(own_locales, "nb")
    strict = run("build", str(path), "--out", str(out), "--strict")
    assert strict.exit_code == 2
    problems = [line.strip() for line in strict.output.splitlines() if line.strip().startswith("campaign ")]
    assert len(problems) == 1, strict.output
    assert problems[0].startswith("campaign fjord-kaffe, locale nb, notice: differs from the version approved "
                                  "by Lea Legal")
    plain = run("build", str(path), "--out", str(out))
    assert plain.exit_code == 0 and "warning: campaign fjord-kaffe, locale nb, notice: differs" in plain.output

    doc = run("review", str(path), "--out", str(tmp_path / "review"))
    assert doc.exit_code == 0 and "fjord-kaffe: 9 approved, 1 changed, 0 not approved yet" in doc.output
    page = (tmp_path / "review" / "fjord-kaffe.html").read_text(encoding="utf-8")
    assert page.count('class="cell changed"') == 1
    assert re.search(r'<div class="cell changed"><h3><span lang="nb">', page)
    assert "<ins>Endret </ins>" in page or "<ins> Endret</ins>" in page
    text = (tmp_path / "review" / "fjord-kaffe.md").read_text(encoding="utf-8")
    assert re.search(r"^\+## .*Endret$", text, re.M) and re.search(r"^-## ", text, re.M)

    again = run("approve", str(path), "--by", "Per Legal")
    assert again.exit_code == 0 and "approved 1 text(s)" in again.output and "nb notice" in again.output
    assert run("build", str(path), "--out", str(out), "--strict").exit_code == 0
    lock = json.loads((tmp_path / "campaigns" / "fjord-kaffe.approved.json").read_text(encoding="utf-8"))
    assert lock["locales"]["nb"]["items"]["notice"]["approved_by"] == "Per Legal"
    assert lock["locales"]["en"]["items"]["notice"]["approved_by"] == "Lea Legal", "unchanged texts keep their approval"


def test_old_versioned_notice_stays_after_a_wording_change_even_on_a_fresh_output(tmp_path, own_locales):
    path = campaign_copy(tmp_path, "fjord-kaffe")
    old = build([path], tmp_path / "site").views["fjord-kaffe"]["nb"]
    old_file = old.notice_file
    old_page = (tmp_path / "site" / "fjord-kaffe" / "nb" / old_file).read_text(encoding="utf-8")
    folder = tmp_path / "campaigns" / "fjord-kaffe.notices" / "nb"
    assert sorted(p.name for p in folder.iterdir()) == [f"notice-{old_file[8:16]}.html",
                                                         f"wording-{old.wording_version[:8]}.txt"]
    assert not (tmp_path / "campaigns" / "fjord-kaffe.notices" / "assets").exists(), "no built assets archived"
    wording = (folder / f"wording-{old.wording_version[:8]}.txt").read_text(encoding="utf-8")
    assert f"wording_version {old.wording_version}" in wording
    assert all(p.label in wording for p in old.primary.purposes), "the consent labels are on record"

    change_one_word(own_locales, "nb")
    fresh = tmp_path / "fresh-machine"  # no previous output to copy from
    new = build([path], fresh).views["fjord-kaffe"]["nb"]
    assert new.notice_file != old_file
    site = fresh / "fjord-kaffe" / "nb"
    republished = (site / old_file).read_text(encoding="utf-8")
    assert notices.content_hash(*ARTICLE.findall(republished)) == old.notice_version, "the old text, word for word"
    assert ARTICLE.findall(republished) == ARTICLE.findall(old_page)
    assert "Endret" not in republished and "Endret" in (site / "privacy.html").read_text(encoding="utf-8")
    assert "notice-superseded" in republished and "notice-superseded" not in old_page
    banner = " ".join(re.sub(r"<[^>]+>", "", re.search(r'<p class="notice-superseded">.*?</p>', republished).group(0)).split())
    assert banner.startswith("Dette er en tidligere versjon av personvernerklæringen. Den er tatt vare på")
    assert banner.endswith("da de ga samtykke. Les gjeldende versjon"), "marked as superseded, in nb, words apart"
    assert f"Versjon av denne erklæringen: {old.notice_version[:12]}" in republished
    assert "notice-superseded" not in (site / new.notice_file).read_text(encoding="utf-8")
    for ref in re.findall(r'(?:href|src)="(\.\./\.\./assets/[^"]+)"', republished):
        assert (site / ref).resolve().is_file(), f"{ref} of the old version is published too"
    assert sorted(p.name for p in (tmp_path / "campaigns" / "fjord-kaffe.notices" / "en").iterdir())[0].startswith(
        "notice-"), "other locales archived too"


def test_edited_archive_file_fails_the_build(tmp_path):
    path = campaign_copy(tmp_path, "fjord-solo")
    view = build([path], tmp_path / "site").views["fjord-solo"]["en"]
    archived = tmp_path / "campaigns" / "fjord-solo.notices" / "en" / f"notice-{view.notice_version[:8]}.html"
    forged = archived.with_name("notice-00000000.html")
    forged.write_text(archived.read_text(encoding="utf-8").replace("voluntary", "required"), encoding="utf-8")
    result = run("build", str(path), "--out", str(tmp_path / "again"))
    assert result.exit_code == 2 and "notice-00000000.html: its notice text no longer matches" in result.output
    forged.unlink()
    assert run("build", str(path), "--out", str(tmp_path / "again")).exit_code == 0


def test_legal_texts_hash_is_the_published_notice_version(example_project):
    campaign, problems = model.load(example_project.campaigns_dir / "kedai-harmoni.yaml", example_project)
    assert not problems
    views = resolve_all(campaign, example_project.locales)
    texts = approval.legal_texts(views["ms"])
    assert texts["notice"].hash == views["ms"].notice_version
    assert [lang for lang, _ in texts["summary"].fragments] == ["ms", "en"], "PDPA: BM and English"
    assert any("BERHENTI" in line for line in texts["opt_out"].lines)


def test_review_and_approve_by_campaign_id_and_bad_input(tmp_path, monkeypatch):
    path = campaign_copy(tmp_path, "fjord-solo")
    monkeypatch.chdir(tmp_path)
    result = run("review", "fjord-solo")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "review" / "fjord-solo.html").is_file() and (tmp_path / "review" / "fjord-solo.md").is_file()
    (tmp_path / "taken").write_text("a file, not a folder", encoding="utf-8")
    blocked = run("review", "fjord-solo", "--out", str(tmp_path / "taken"))
    assert blocked.exit_code == 2 and "cannot write the review of fjord-solo" in blocked.output
    missing_by = run("approve", "fjord-solo")
    assert missing_by.exit_code == 2 and "--by" in missing_by.output
    blank = run("approve", "fjord-solo", "--by", "  ")
    assert blank.exit_code == 2 and "name of the person" in blank.output
    bad_locale = run("approve", "fjord-solo", "--by", "Lea", "--locale", "xx")
    assert bad_locale.exit_code == 2 and "has no locale xx" in bad_locale.output
    assert not (tmp_path / "campaigns" / "fjord-solo.approved.json").exists()
    ok = run("approve", "fjord-solo", "--by", "Lea")
    assert ok.exit_code == 0 and path.with_name("fjord-solo.approved.json").is_file()
    assert "nothing new to approve" in run("approve", "fjord-solo", "--by", "Lea").output
    path.with_name("fjord-solo.approved.json").write_text("{broken", encoding="utf-8")
    broken = run("build", str(path), "--out", str(tmp_path / "site"))
    assert broken.exit_code == 2 and "cannot read the approval file" in broken.output
    unknown = run("review", "no-such-campaign")
    assert unknown.exit_code == 2 and isinstance(unknown.exception, SystemExit)


def test_example_campaigns_are_approved(tmp_path):
    """The repo's own strict build must pass the legal check: re-run `optin approve` after
    legal has reviewed a change to the example texts (checked on a copy of them)."""
    from generator.site.build import campaign_files

    project = projects.example_project(tmp_path)
    for campaign in model.load_all(campaign_files([project.campaigns_dir]), project):
        problems = approval.check(campaign, resolve_all(campaign, project.locales))
        assert problems == [], ("example texts changed since approval; read `optin review`, then run "
                                "`optin approve --by NAME` and commit campaigns/*.approved.json:\n"
                                + "\n".join(problems))


def test_example_campaigns_current_versions_are_archived(tmp_path):
    """What the example site publishes is on record in git: run `optin build` after a text
    change and commit campaigns/<id>.notices/ (checked on a fresh copy of the examples, which
    no build has written into)."""
    from generator.legal.archive import archive_dir
    from generator.site.build import campaign_files

    project = projects.example_project(tmp_path)
    for campaign in model.load_all(campaign_files([project.campaigns_dir]), project):
        for lang, view in resolve_all(campaign, project.locales).items():
            folder = archive_dir(campaign) / lang
            for name in (f"notice-{view.notice_version[:8]}.html", f"wording-{view.wording_version[:8]}.txt"):
                assert (folder / name).is_file(), f"{folder / name} is not committed: build, then commit it"


def test_archiving_failure_after_publishing_is_a_warning(tmp_path, monkeypatch):
    from generator.legal import archive as notice_archive

    def refuse(path, text):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(notice_archive.files, "write_atomic", refuse)
    result = build([campaign_copy(tmp_path, "fjord-solo")], tmp_path / "site")
    assert (tmp_path / "site" / "fjord-solo" / "en" / "privacy.html").is_file()
    assert any("notice versions could not be archived" in w and "Permission denied" in w for w in result.warnings)


@pytest.mark.parametrize("campaign_id", ["nordlys-sko", "kedai-harmoni"])
def test_review_document_opens_in_chromium(page, tmp_path, campaign_id):
    project = projects.example_project(tmp_path / "project")
    campaign, _ = model.load(project.campaigns_dir / f"{campaign_id}.yaml", project)
    html_path, _, counts = review.write(campaign, resolve_all(campaign, project.locales), tmp_path)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(html_path.as_uri())
    assert page.title() == f"Legal review: {campaign.brand_name} ({campaign_id})"
    assert requests == [html_path.as_uri()], "self-contained: no other request"
    assert errors == [], "the CSP allows the document's own <style> (by hash) and nothing else"
    assert page.locator(".row").first.evaluate("e => getComputedStyle(e).display") == "grid"
    cells = page.locator("section:has(h2#item-notice) .cell")
    assert cells.count() == len(campaign.locales)
    assert page.locator(".cell code").first.inner_text().strip()
    if campaign_id == "kedai-harmoni":
        ms = page.locator('section:has(h2#item-notice) .cell:has(h3 span[lang="ms"]) .lang-part')
        assert [ms.nth(i).get_attribute("lang") for i in range(ms.count())] == ["ms", "en"]
    assert sum(counts.values()) == len(campaign.locales) * (3 + len(campaign.purposes))
    SCREENSHOTS.mkdir(exist_ok=True)
    shot = SCREENSHOTS / f"review-{campaign_id}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


def test_review_diff_is_visible_in_chromium(page, tmp_path, own_locales):
    path = campaign_copy(tmp_path, "fjord-kaffe")
    campaign, _ = load(path)
    approval.approve(campaign, views_of(campaign, tmp_path), "Lea Legal")
    change_one_word(own_locales, "nb")
    html_path, _, counts = review.write(campaign, views_of(campaign, tmp_path), tmp_path / "review")
    assert counts == {"approved": 9, "changed": 1, "new": 0}
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(html_path.as_uri())
    inserted = page.locator(".cell.changed .diff ins")
    assert inserted.count() == 1 and inserted.inner_text().strip() == "Endret"
    assert inserted.is_visible()
    inserted.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "review-diff.png"))


def test_approving_one_locale_leaves_the_others_unapproved(tmp_path, no_translation_warnings):
    path = campaign_copy(tmp_path, "fjord-kaffe")
    assert run("approve", str(path), "--by", "Lea Legal", "--locale", "en").exit_code == 0
    campaign, _ = load(path)
    problems = approval.check(campaign, views_of(campaign, tmp_path))
    assert len(problems) == 5 and all(p.startswith("campaign fjord-kaffe, locale nb, ") for p in problems)
    strict = run("build", str(path), "--out", str(tmp_path / "site"), "--strict")
    assert strict.exit_code == 2 and "campaign fjord-kaffe, locale nb, notice: not approved" in strict.output
    assert run("approve", str(path), "--by", "Per Legal", "--locale", "nb").exit_code == 0
    assert run("build", str(path), "--out", str(tmp_path / "site"), "--strict").exit_code == 0
    lock = json.loads(path.with_name("fjord-kaffe.approved.json").read_text(encoding="utf-8"))
    assert {lang: v["items"]["notice"]["approved_by"] for lang, v in lock["locales"].items()} == \
        {"en": "Lea Legal", "nb": "Per Legal"}
