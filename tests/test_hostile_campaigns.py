"""Hostile campaigns: files that try to publish what they should not, or to break the parser.

Each case in tests/roots/hostile/ is one campaign: a `<case>.yaml`, or a `<case>/` folder with a
`campaign.yaml` and the files it names (a logo). Its first line is `# expect: <part of the
error>`, optionally followed by `# key: <key>` and `# at: <text on the line the error names>`.
A new case is one file; nothing here changes.
Building a case exits 2 with that message, the key and a line number, no traceback, and leaves
the previous site as it was.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli.main import main
from support import projects

CASES = Path(__file__).parent / "roots" / "hostile"
GOOD = (CASES / "logo-svg-script" / "campaign.yaml").read_text(encoding="utf-8").split("\n", 2)[2]


def header(raw: bytes) -> dict[str, str]:
    out = {}
    for line in raw.decode("latin-1").splitlines()[:4]:
        match = re.match(r"#\s*(expect|key|at):\s*(.*)", line)
        if match:
            out[match.group(1)] = match.group(2).strip()
    return out


def setup(root: Path, case: Path) -> tuple[Path, Path]:
    """A project in `root` holding the case and an earlier site; returns (campaign file, site)."""
    project = projects.project(root)
    campaigns = project.root / "campaigns"
    if case.is_dir():
        shutil.copytree(case, campaigns)
        path = campaigns / "campaign.yaml"
    else:
        campaigns.mkdir()
        path = campaigns / case.name
        shutil.copyfile(case, path)
    site = project.root / "site"
    site.mkdir()
    (site / "index.html").write_text("the previous build\n", encoding="utf-8")
    return path, site


def build(root: Path, monkeypatch):
    monkeypatch.chdir(root)
    return CliRunner().invoke(main, ["build"])


def assert_refused(result, site: Path, path: Path, expect: str, key: str = "", at: str = "") -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # a clean error, no traceback
    assert expect in result.output
    line = re.search(rf"{re.escape(path.name)}:(\d+): " + (re.escape(key) + ": " if key else ""), result.output)
    assert line, f"no {path.name}:<line>: {key} in {result.output}"
    if at:
        lines = path.read_bytes().decode("utf-8", "replace").splitlines()
        assert at in lines[int(line.group(1)) - 1], f"line {line.group(1)} is not the one with {at!r}"
    assert [p.name for p in site.iterdir()] == ["index.html"]
    assert (site / "index.html").read_text(encoding="utf-8") == "the previous build\n"


@pytest.mark.parametrize("case", sorted(CASES.iterdir()), ids=lambda p: p.name.removesuffix(".yaml"))
def test_hostile_campaign_is_refused(case, tmp_path, monkeypatch):
    path, site = setup(tmp_path / "project", case)
    expected = header(path.read_bytes())
    assert expected.get("expect"), f"{case}: first line must be `# expect: …`"
    assert_refused(build(path.parents[1], monkeypatch), site, path, expected["expect"], expected.get("key", ""),
                   expected.get("at", ""))


def test_the_cases_build_without_their_defect(tmp_path, monkeypatch):
    """The template the cases share builds: each case fails for its own reason only."""
    project = projects.project(tmp_path / "project")
    (project.root / "campaigns").mkdir()
    (project.root / "campaigns" / "c.yaml").write_text(GOOD.replace("  logo: logo.svg\n", ""), encoding="utf-8")
    result = build(project.root, monkeypatch)
    assert result.exit_code == 0, result.output


def test_logo_symlink_out_of_the_project(tmp_path, monkeypatch):
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    path, site = setup(tmp_path / "project", CASES / "logo-svg-script")
    (path.parent / "logo.svg").unlink()
    (path.parent / "logo.svg").symlink_to(outside)
    assert_refused(build(path.parents[1], monkeypatch), site, path, "through a symbolic link", "brand.logo")


def test_logo_too_large(tmp_path, monkeypatch):
    path, site = setup(tmp_path / "project", CASES / "logo-svg-script")
    (path.parent / "logo.svg").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (600 * 1024))
    assert_refused(build(path.parents[1], monkeypatch), site, path, "a logo may be at most 512 KB", "brand.logo")


def test_notice_text_too_long(tmp_path, monkeypatch):
    path, site = setup(tmp_path / "project", CASES / "notice-javascript-link.yaml")
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"  en: .*", "  en: " + "Words. " * 3000, text), encoding="utf-8")
    assert_refused(build(path.parents[1], monkeypatch), site, path, "at most 20,000", "notice.en")


def test_locale_notice_with_a_script_names_its_file_and_line(tmp_path, monkeypatch):
    path, site = setup(tmp_path / "project", CASES / "logo-svg-script")
    path.write_text(GOOD.replace("  logo: logo.svg\n", ""), encoding="utf-8")
    own = path.parents[1] / "locales" / "en" / "notice.md"
    own.parent.mkdir(parents=True)
    builtin = (projects.builtin_locales().notice_path("en")).read_text(encoding="utf-8")
    own.write_text(builtin + "\n<script>alert(1)</script>\n", encoding="utf-8")
    result = build(path.parents[1], monkeypatch)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"notice.md:{builtin.count(chr(10)) + 2}: the notice would publish <script>" in result.output
    assert (site / "index.html").read_text(encoding="utf-8") == "the previous build\n"


def test_campaign_values_enter_the_notice_as_text(tmp_path, monkeypatch):
    """Markdown and HTML in names, phone and addresses show literally: no link, image or handler."""
    project = projects.project(tmp_path / "project")
    (project.root / "campaigns").mkdir()
    hostile = {
        "  name: Test Shop\n": "  name: Bakery *Star*\n",
        "  name: Test Shop AS\n": "  name: 'Shop [x](javascript:alert(1)) ![i](https://tracker.example/p.png)'\n",
        "  address: Gate 1, Oslo\n": "  address: 'Gate 1 <img src=x onerror=alert(1)> {: onclick=\"alert(1)\" }'\n"
                                     "  phone: '[call](data:text/html,hi) # _1_'\n",
    }
    text = GOOD.replace("  logo: logo.svg\n", "")
    for old, new in hostile.items():
        text = text.replace(old, new, 1)
    (project.root / "campaigns" / "c.yaml").write_text(text, encoding="utf-8")
    result = build(project.root, monkeypatch)
    assert result.exit_code == 0, result.output
    notice = next((project.root / "site" / "test-shop" / "en").glob("privacy-*.html")).read_text(encoding="utf-8")
    assert "Bakery *Star*" in notice
    assert "Shop [x](javascript:alert(1)) ![i](https://tracker.example/p.png)" in notice
    assert "&lt;img src=x onerror=alert(1)&gt; {: onclick=" in notice
    assert "[call](data:text/html,hi) # _1_" in notice
    for bad in ('href="javascript:', 'href="data:', "<img", 'src="https://tracker.example'):
        assert bad not in notice
    assert not re.search(r"<[^>]*\son\w+=", notice)  # no element with an event handler
