"""A user's project outside optin's checkout: found from optin.toml (here or above, or -f), its own
locales over the built-in ones (per message), child themes, `optin init` and `optin new`."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.errors import OptinError
from generator.project import Project
from support.projects import REPO

ROOTS = REPO / "tests" / "roots"


def run(*args: str, ok: bool = True):
    result = CliRunner().invoke(main, list(args))
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


@pytest.fixture
def override(tmp_path, monkeypatch) -> Path:
    """A copy of tests/roots/override, as the working folder."""
    root = tmp_path / "override"
    shutil.copytree(ROOTS / "override", root)
    monkeypatch.chdir(root)
    return root


def test_project_is_found_from_a_subfolder_and_with_config(override, tmp_path, monkeypatch):
    monkeypatch.chdir(override / "campaigns")
    found = Project.find()
    assert found.root == override.resolve()
    assert found.out_dir == override.resolve() / "public"
    assert found.setting("default_theme") == "shop"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert Project.find().root == elsewhere.resolve()  # no optin.toml: this folder is the project
    assert Project.find(config=override / "optin.toml").root == override.resolve()
    result = run("-f", str(override / "optin.toml"), "build")
    assert "pages into" in result.output and (override / "public" / "fjellsport" / "nb" / "index.html").is_file()


def test_bad_project_file_names_file_line_and_key(tmp_path, monkeypatch):
    (tmp_path / "optin.toml").write_text('out_dir = "site"\ntheme = "x"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("build", ok=False)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert f"{tmp_path.resolve() / 'optin.toml'}:2: theme: is not a setting" in result.output
    assert "default_theme" in result.output
    (tmp_path / "optin.toml").write_text("out_dir = 3\n", encoding="utf-8")
    assert "out_dir: must be a str" in run("build", ok=False).output
    with pytest.raises(OptinError, match="no such project file"):
        Project.find(config=tmp_path / "missing.toml")


def test_overrides_reach_the_pages(override):
    run("i18n", "init", "sv")
    po = override / "locales" / "sv" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace('msgid "Check your messages"\nmsgstr ""', 'msgid "Check your messages"\nmsgstr "Kolla dina meddelanden"'),
                  encoding="utf-8")
    campaign = override / "campaigns" / "fjellsport.yaml"
    campaign.write_text(campaign.read_text(encoding="utf-8").replace("locales: [nb, en]", "locales: [nb, en, sv]"),
                        encoding="utf-8")
    result = run("build")
    assert "locale sv: missing translation" in result.output  # a half-translated locale builds, with warnings
    site = override / "public" / "fjellsport"
    nb = (site / "nb" / "index.html").read_text(encoding="utf-8")
    assert "uten kostnad" in nb  # the project's nb string
    builtin_nb = Project(REPO).locales.translations("nb")
    assert builtin_nb.gettext("Read the full <a href=\"%(url)s\">privacy notice</a>.").split("<")[0] in nb
    sv = (site / "sv" / "thanks.html").read_text(encoding="utf-8")
    assert '<html lang="sv"' in sv and "Kolla dina meddelanden" in sv
    assert 'class="shop-thanks"' in sv  # the child theme's template
    assert 'class="shop-thanks"' not in (site / "sv" / "index.html").read_text(encoding="utf-8")
    assets = [p.name for p in (override / "public" / "assets").iterdir()]
    assert any(name.startswith("shop.") for name in assets)  # the child's static file
    assert any(name.startswith("style.") for name in assets)  # and the parent's


def test_project_nb_override_falls_back_per_message(override):
    """A string the project's nb catalog lacks comes from optin's nb catalog, not English."""
    project = Project.find()
    t = project.locales.translations("nb")
    assert t.gettext("You can withdraw your consent at any time.").endswith("uten kostnad.")
    builtin = Project(REPO).locales.translations("nb")
    other = "Check your messages"
    assert t.gettext(other) == builtin.gettext(other) != other


def test_i18n_status_counts_project_strings_over_builtin(override):
    result = run("i18n", "status")
    nb = next(line for line in result.output.splitlines() if line.startswith("nb "))
    assert "100%" in nb  # the project overrides one string; optin's catalog fills the rest


def test_child_theme_with_a_missing_parent_fails_clearly(override):
    (override / "themes" / "shop" / "theme.toml").write_text('parent = "nope"\n', encoding="utf-8")
    result = run("build", ok=False)
    assert result.exit_code == 2 and "parent theme 'nope' not found" in result.output


def test_init_creates_a_project_that_builds_and_checks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run("init", "shop")
    root = tmp_path / "shop"
    for name in ("optin.toml", ".gitignore", "README.md", "campaigns/shop.yaml"):
        assert (root / name).is_file(), name
    assert "/site/" in (root / ".gitignore").read_text(encoding="utf-8")
    assert "approved.json" in (root / "README.md").read_text(encoding="utf-8")
    schema = (root / "campaigns" / "shop.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert schema.endswith("$schema=../.optin/campaign.schema.json")
    assert (root / ".optin" / "campaign.schema.json").is_file()
    monkeypatch.chdir(root)
    run("build")
    assert (root / "site" / "shop" / "en" / "index.html").is_file()
    check = run("check", ok=False)
    assert check.exit_code == 0, check.output
    again = run("init", ".", ok=False)
    assert again.exit_code == 2 and "already exists" in again.output
    run("new", "autumn")
    assert (root / "campaigns" / "autumn.yaml").is_file()
    assert "built 1 campaign(s)" in run("build", "autumn").output
    assert (root / "site" / "autumn" / "en" / "index.html").is_file()


def test_build_accepts_a_campaign_id(override):
    result = run("build", "fjellsport")
    assert "built 1 campaign(s)" in result.output
