"""The archive of published versions (campaigns/<id>.notices/): only a strict build into the
project's own out_dir publishes; drafts, `--out` elsewhere and `optin serve` archive nothing;
`optin review` lists what was published; a version that was never public can be dropped, with
a record of who dropped it, when and why."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli.main import main
from generator.legal import archive
from generator.pipeline.build import build as pipeline_build
from generator.pipeline.serve import LocalServer
from generator.project import package_data
from generator.site import notices, published
from generator.site.build import campaign_files
from support import projects
from support.projects import FIXTURES

ARTICLE = re.compile(r'<article class="notice"[^>]*>(.*?)</article>', re.S)
NOTICES = Path("campaigns") / "fjord-solo.notices"  # relative to the project (the current folder)


@pytest.fixture(autouse=True)
def project(tmp_path, monkeypatch):
    """A project in `tmp_path` (the current folder, so out_dir is tmp_path/site) with the
    English-only fixture campaign (a strict build needs no translations) and its own locales."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "campaigns").mkdir()
    shutil.copy(FIXTURES / "notices" / "fjord-solo.yaml", tmp_path / "campaigns" / "fjord-solo.yaml")
    shutil.copytree(package_data("locales"), tmp_path / "locales")
    return projects.project(tmp_path)


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def change_notice(root: Path, word: str) -> None:
    """One more word in one heading of the English notice (what a translator or lawyer does)."""
    path = root / "locales" / "en" / "notice.md"
    text = path.read_text(encoding="utf-8")
    changed = re.sub(r"( \{ #automated \})", rf" {word}\1", text, count=1)
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    notices._env.cache_clear()


def current(site: Path) -> dict:
    return json.loads((site / "fjord-solo" / "versions.json").read_text(encoding="utf-8"))["locales"]["en"]


def publish(by: str = "Lea Legal") -> dict:
    """Approve what is rendered now and publish it; the versions the site shows."""
    assert run("approve", "fjord-solo", "--by", by).exit_code == 0
    result = run("build", "--strict")
    assert result.exit_code == 0, result.output
    return current(Path("site"))["current"]


def privacy_pages(site: Path) -> set[str]:
    return {p.name for p in (site / "fjord-solo" / "en").glob("privacy-*.html")}


def published_lines(output: str) -> list[str]:
    return re.findall(r"^published .*$", output, re.M)


def test_only_a_strict_build_into_the_projects_out_dir_publishes(tmp_path, project):
    assert run("approve", "fjord-solo", "--by", "Lea Legal").exit_code == 0
    plain = run("build")
    assert plain.exit_code == 0 and (tmp_path / "site" / "fjord-solo" / "en" / "privacy.html").is_file()
    elsewhere = run("build", "--strict", "--out", str(tmp_path / "elsewhere"))
    assert elsewhere.exit_code == 0 and (tmp_path / "elsewhere" / "fjord-solo" / "en" / "index.html").is_file()
    LocalServer(project).close()  # `optin serve` builds too
    assert not (tmp_path / NOTICES).exists(), "drafts, --out elsewhere and serve archive nothing"
    assert published_lines(plain.output + elsewhere.output) == []

    strict = run("build", "--strict")
    assert strict.exit_code == 0, strict.output
    now = current(tmp_path / "site")["current"]
    assert f"published fjord-solo en notice {now['notice_version'][:12]}" in published_lines(strict.output)
    record = json.loads((tmp_path / NOTICES / "published.json").read_text(encoding="utf-8"))
    [notice], [wording] = record["locales"]["en"]["notice_versions"], record["locales"]["en"]["wording_versions"]
    assert (notice["version"], wording["version"]) == (now["notice_version"], now["wording_version"])
    assert notice["approved_by"] == wording["approved_by"] == "Lea Legal"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", notice["first_published"])
    assert sorted(p.name for p in (tmp_path / NOTICES / "en").iterdir()) == [
        f"notice-{now['notice_version'][:8]}.html", f"wording-{now['wording_version'][:8]}.txt"]
    again = run("build", "--strict")
    assert again.exit_code == 0 and published_lines(again.output) == [], "nothing new the second time"
    assert json.loads((tmp_path / NOTICES / "published.json").read_text(encoding="utf-8")) == record


def test_drafts_of_an_editing_session_never_become_earlier_versions(tmp_path, project):
    first = publish()
    for word in ("Draft", "Drafty", "Final"):  # an editing session: plain builds and previews elsewhere
        change_notice(tmp_path, word)
        assert run("build").exit_code == 0
        assert run("build", "--out", str(tmp_path / "preview")).exit_code == 0
    LocalServer(project).close()
    second = publish("Per Legal")
    site = tmp_path / "site"
    assert privacy_pages(site) == {f"privacy-{v['notice_version'][:8]}.html" for v in (first, second)}
    listed = [e["version"] for e in published.read(tmp_path / NOTICES)["en"][published.NOTICE]]
    assert listed == [first["notice_version"], second["notice_version"]]
    assert current(site)["notice_versions"] == listed

    change_notice(tmp_path, "Unpublished")
    assert run("build").exit_code == 0  # a draft into site/: shows its own notice, archives nothing
    draft = current(site)
    assert draft["notice_versions"] == [*listed, draft["current"]["notice_version"]]
    assert len(privacy_pages(site)) == 3
    assert [e["version"] for e in published.read(tmp_path / NOTICES)["en"][published.NOTICE]] == listed


def test_earlier_published_notice_is_republished_on_a_fresh_output(tmp_path):
    old = publish()
    old_file = f"privacy-{old['notice_version'][:8]}.html"
    old_page = (tmp_path / "site" / "fjord-solo" / "en" / old_file).read_text(encoding="utf-8")
    wording = (tmp_path / NOTICES / "en" / f"wording-{old['wording_version'][:8]}.txt").read_text(encoding="utf-8")
    assert f"wording_version {old['wording_version']}" in wording and "## label:offers" in wording
    change_notice(tmp_path, "Changed")
    publish()
    fresh = tmp_path / "fresh-machine"  # no previous output to copy from
    assert run("build", "--out", str(fresh)).exit_code == 0
    site = fresh / "fjord-solo" / "en"
    republished = (site / old_file).read_text(encoding="utf-8")
    assert notices.content_hash(*ARTICLE.findall(republished)) == old["notice_version"], "word for word"
    assert ARTICLE.findall(republished) == ARTICLE.findall(old_page)
    assert "Changed" not in republished and "Changed" in (site / "privacy.html").read_text(encoding="utf-8")
    assert "This is an earlier version of this privacy notice." in republished
    assert "notice-superseded" not in old_page
    for ref in re.findall(r'(?:href|src)="(\.\./\.\./assets/[^"]+)"', republished):
        assert (site / ref).resolve().is_file(), f"{ref} of the old version is published too"


def test_review_lists_the_archive(tmp_path):
    assert "nothing published yet" in run("review", "fjord-solo").output
    now = publish()
    result = run("review", "fjord-solo")
    assert result.exit_code == 0, result.output
    rows = [" ".join(line.split()) for line in result.output.splitlines()]
    when = json.loads((tmp_path / NOTICES / "published.json").read_text())["locales"]["en"]["notice_versions"][0][
        "first_published"]
    for kind in ("notice", "wording"):
        assert f"en {kind} {now[kind + '_version'][:12]} first published {when}, approved by Lea Legal" in rows
    text = (tmp_path / "review" / "fjord-solo.md").read_text(encoding="utf-8")
    assert f"| en | notice | `{now['notice_version']}` | {when} | Lea Legal |" in text
    page = (tmp_path / "review" / "fjord-solo.html").read_text(encoding="utf-8")
    assert f"<code>{now['wording_version'][:16]}</code></td><td>{when}</td><td>Lea Legal</td>" in page


def test_a_version_that_was_never_public_can_be_dropped_and_the_record_stays(tmp_path):
    old = publish()
    change_notice(tmp_path, "Corrected")
    new = publish()
    site = tmp_path / "site"
    old_file = f"privacy-{old['notice_version'][:8]}.html"
    assert old_file in privacy_pages(site)

    refused = [run("review", "fjord-solo", "--drop", old["notice_version"][:8], "--by", "Lea Legal"),
               run("review", "fjord-solo", "--drop", "xyz", "--by", "Lea", "--reason", "r"),
               run("review", "fjord-solo", "--drop", new["notice_version"][:8], "--by", "Lea", "--reason", "r"),
               run("review", "fjord-solo", "--drop", "0123abcd", "--by", "Lea", "--reason", "r"),
               run("review", "fjord-solo", "--by", "Lea")]
    assert [r.exit_code for r in refused] == [2] * 5
    assert "--reason" in refused[0].output and "not a version" in refused[1].output
    assert "shows now" in refused[2].output and "no published version 0123abcd" in refused[3].output
    assert "go with --drop" in refused[4].output
    assert not (tmp_path / NOTICES / "dropped.log").exists(), "a refused drop leaves no trace"

    dropped = run("review", "fjord-solo", "--drop", old["notice_version"][:8], "--by", "Lea Legal",
                  "--reason", "typo draft, published by mistake, never linked")
    assert dropped.exit_code == 0, dropped.output
    assert f"dropped en notice {old['notice_version'][:12]}" in dropped.output
    [line] = (tmp_path / NOTICES / "dropped.log").read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    assert (entry["version"], entry["by"], entry["locale"], entry["kind"]) == (
        old["notice_version"], "Lea Legal", "en", "notice_version")
    assert entry["reason"] == "typo draft, published by mistake, never linked"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["dropped_at"]) and entry["approved_by"] == "Lea Legal"
    assert not (tmp_path / NOTICES / "en" / f"notice-{old['notice_version'][:8]}.html").exists()
    assert [e["version"] for e in published.read(tmp_path / NOTICES)["en"][published.NOTICE]] == [
        new["notice_version"]]

    assert run("build", "--strict").exit_code == 0
    assert privacy_pages(site) == {f"privacy-{new['notice_version'][:8]}.html"}, "gone from the site"
    assert old["notice_version"] not in current(site)["notice_versions"]
    again = run("review", "fjord-solo", "--drop", old["notice_version"][:8], "--by", "Lea", "--reason", "r")
    assert again.exit_code == 2 and "no published version" in again.output
    listing = run("review", "fjord-solo").output
    assert (f"dropped as never public: en notice {old['notice_version'][:12]} by Lea Legal on "
            f"{entry['dropped_at']}") in listing
    assert (tmp_path / NOTICES / "dropped.log").read_text(encoding="utf-8").splitlines() == [line], "the record stays"


def test_an_archive_from_before_the_publish_log_counts_as_published(tmp_path):
    """Upgrading: archived files without published.json keep their pages (old records link
    them) until someone drops them; the next publish writes the log, keeping them."""
    old = publish()
    (tmp_path / NOTICES / "published.json").unlink()
    change_notice(tmp_path, "Later")
    assert run("build").exit_code == 0
    assert f"privacy-{old['notice_version'][:8]}.html" in privacy_pages(tmp_path / "site")
    assert "first published before the publish log, approved by ?" in run("review", "fjord-solo").output
    new = publish()
    entries = published.read(tmp_path / NOTICES)["en"][published.NOTICE]
    assert [(e["version"], e["first_published"]) for e in entries][0] == (old["notice_version"], None)
    assert entries[1]["version"] == new["notice_version"] and entries[1]["approved_by"] == "Lea Legal"


def test_edited_or_missing_archive_file_fails_the_build(tmp_path):
    now = publish()
    archived = tmp_path / NOTICES / "en" / f"notice-{now['notice_version'][:8]}.html"
    text = archived.read_text(encoding="utf-8")
    change_notice(tmp_path, "Newer")  # so the archived notice is an earlier version, read back
    archived.write_text(text.replace("voluntary", "required"), encoding="utf-8")
    result = run("build", "--out", str(tmp_path / "again"))
    assert result.exit_code == 2 and f"{archived.name}: its notice text no longer matches" in result.output
    archived.unlink()
    missing = run("build", "--out", str(tmp_path / "again"))
    assert missing.exit_code == 2 and f"{archived.name} is missing (restore it from git)" in missing.output
    archived.write_text(text, encoding="utf-8")
    assert run("build", "--out", str(tmp_path / "again")).exit_code == 0


def test_archiving_failure_after_publishing_is_a_warning(tmp_path, project, monkeypatch):
    assert run("approve", "fjord-solo", "--by", "Lea Legal").exit_code == 0

    def refuse(path, text):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(archive.files, "write_atomic", refuse)
    result = pipeline_build(project, strict=True)
    assert result.publishing and (tmp_path / "site" / "fjord-solo" / "en" / "privacy.html").is_file()
    assert any("could not be archived" in w and "Permission denied" in w for w in result.warnings)


def test_example_campaigns_current_versions_are_published(tmp_path):
    """What the example site shows is on record in git: after changing an example text, approve
    it, run `optin build --strict` (into site/) and commit campaigns/<id>.notices/ (checked on a
    fresh copy of the examples)."""
    from generator.campaign.model import load_all
    from generator.site.views import resolve_all

    project = projects.example_project(tmp_path / "examples")
    for campaign in load_all(campaign_files([project.campaigns_dir]), project):
        folder = archive.archive_dir(campaign)
        assert (folder / published.MANIFEST).is_file(), f"{folder}/published.json is not committed"
        known = published.versions(published.read(folder))
        for lang, view in resolve_all(campaign, project.locales).items():
            for kind in published.KINDS:
                assert getattr(view, kind) in known[lang][kind], f"{campaign.id} {lang} {kind}: publish, then commit"
            assert (folder / lang / f"notice-{view.notice_version[:8]}.html").is_file()
