"""The command line's rough edges: `optin i18n update` leaves unchanged catalogs alone and prints
one line per locale; build warnings about missing translations are counted past a few;
`optin build --strict` lists every reason at once; the starter's placeholders warn and fail
--strict; `optin new --dir` points editors at the schema; every --help starts with a short
line; a progress line only on a terminal."""
from __future__ import annotations

import os
import re
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from generator.cli.common import summarised
from generator.cli.main import main


def optin(root: Path, *args: str):
    return CliRunner().invoke(main, ["-f", str(root / "optin.toml"), *args])


@pytest.fixture
def starter(tmp_path) -> Path:
    """A project made by `optin init`, its campaign `shop` as the starter writes it."""
    root = tmp_path / "shop"
    result = CliRunner().invoke(main, ["init", str(root), "--name", "shop"])
    assert result.exit_code == 0, result.output
    return root


def own_values(root: Path) -> None:
    """The starter campaign with a real business's values instead of the placeholders."""
    path = root / "campaigns/shop.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in (("name: Example Shop Ltd", "name: Fjordbakst AS"), ("name: Example Shop", "name: Fjordbakst"),
                     ("1 Example Street, Dublin, Ireland", "12 Harbour Road, Cork"),
                     ("privacy@example.com", "privacy@fjordbakst.ie"), ("api.example.com", "api.fjordbakst.ie"),
                     ("Example Web Hosting Ltd", "Liffey Web Hosting Ltd"), ("Example Server Hosting Ltd", "Liffey Cloud Ltd")):
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def test_i18n_update_rewrites_only_what_changed_and_prints_a_line_per_locale(starter):
    for lang in ("sv", "nb"):
        assert optin(starter, "i18n", "init", lang).exit_code == 0
    assert optin(starter, "i18n", "update").exit_code == 0
    po = {lang: starter / f"locales/{lang}/LC_MESSAGES/messages.po" for lang in ("sv", "nb")}
    before = {lang: path.stat().st_mtime_ns for lang, path in po.items()}
    time.sleep(0.01)
    again = optin(starter, "i18n", "update")
    assert again.exit_code == 0, again.output
    assert {lang: path.stat().st_mtime_ns for lang, path in po.items()} == before
    lines = again.output.splitlines()
    assert lines[0].startswith("nb: unchanged; 0 missing") and lines[1].startswith("sv: unchanged; ")
    assert "0 of 2 catalog(s)" in lines[2] and len(lines) == 4  # no list of strings

    text = po["sv"].read_text(encoding="utf-8")
    entry = 'msgid "Skip to content"\nmsgstr ""\n'
    assert entry in text
    po["sv"].write_text(text.replace(entry, ""), encoding="utf-8")
    changed = optin(starter, "i18n", "update")
    assert changed.output.splitlines()[1].startswith("sv: updated (1 new); ")
    assert "1 of 2 catalog(s)" in changed.output and entry in po["sv"].read_text(encoding="utf-8")
    assert po["nb"].stat().st_mtime_ns == before["nb"]


def test_a_flood_of_missing_translations_is_counted():
    flood = [f"locale sv: missing translation, English shown: 'string {n}'" for n in range(30)]
    few = ["locale nb: fuzzy translation, English shown: 'Skip to content'"]
    out = summarised(["campaign x: something else", *flood, *few])
    assert out[:6] == ["campaign x: something else", *flood[:5]]
    assert out[6] == ("locale sv: 25 more missing or fuzzy translations, English shown (30 in all; "
                      "`optin i18n status` lists them)")
    assert out[7:] == few and len(summarised(flood[:10])) == 10


def test_starter_placeholders_warn_with_file_line_and_key(starter):
    result = optin(starter, "build")
    assert result.exit_code == 0, result.output
    yaml = starter / "campaigns/shop.yaml"
    lines = yaml.read_text(encoding="utf-8").splitlines()
    for key, value in (("brand.name", "Example Shop"), ("controller.address", "1 Example Street"),
                       ("controller.email", "privacy@example.com"), ("endpoints.submit", "api.example.com"),
                       ("hosting.website.name", "Example Web Hosting Ltd"),
                       ("hosting.receiver.name", "Example Server Hosting Ltd")):
        [warning] = [w for w in result.output.splitlines() if f": {key}: " in w and "placeholder " in w]
        line = int(warning.split(f"{yaml}:")[1].split(":")[0])
        assert value in lines[line - 1], (warning, lines[line - 1])
    own_values(starter)
    result = optin(starter, "build")
    assert result.exit_code == 0 and "placeholder " not in result.output.replace(str(starter), ""), result.output


def test_strict_lists_every_reason_at_once(starter):
    assert optin(starter, "i18n", "init", "sv").exit_code == 0
    yaml = starter / "campaigns/shop.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("locales: [en]", "locales: [en, sv]"), encoding="utf-8")
    result = optin(starter, "build", "--strict")
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "--strict: 3 reasons not to publish:" in result.output
    for heading in ("translations incomplete:", "the starter's placeholders are still there:",
                    "legal texts differ from the approved versions:"):
        assert f"\n  {heading}\n    " in result.output
    assert "locale sv: missing translation" in result.output and "brand.name" in result.output
    assert not (starter / "site").exists()


def test_new_with_dir_points_editors_at_the_schema(starter, tmp_path, monkeypatch):
    monkeypatch.chdir(starter)
    for folder in ("campaigns/spring", str(tmp_path / "elsewhere")):
        result = CliRunner().invoke(main, ["new", "promo", "--dir", folder])
        assert result.exit_code == 0, result.output
        path = Path(folder) / "promo.yaml"
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        schema = (path.parent / first.split("$schema=")[1]).resolve()
        assert schema == (starter / ".optin/campaign.schema.json").resolve() and schema.is_file()


def _commands(group: click.Group, prefix: list[str]):
    yield prefix, group
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + [name])
        else:
            yield prefix + [name], command


def test_every_help_starts_with_a_short_line():
    seen, long = 0, {}
    for args, command in _commands(main, []):
        result = CliRunner().invoke(main, [*args, "--help"], terminal_width=100)
        assert result.exit_code == 0, args
        first = result.output.split("\n\n")[1].splitlines()[0].strip()  # after the Usage: line
        seen += 1
        if len(first) > 60 or command.get_short_help_str(limit=60).endswith("..."):
            long[" ".join(["optin", *args])] = first
    assert seen > 15 and long == {}


def _pty_build(root: Path, command: str = "build") -> str:
    """`optin build` (or another command) with stderr on a terminal (a pty); returns what the
    terminal got."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("optin")), command], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    got = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the build ended: the pty closed
                break
            if not chunk:
                break
            got += chunk
        elif proc.poll() is not None:
            break
    assert proc.wait(timeout=60) == 0, got.decode(errors="replace")
    os.close(master)
    return got.decode(errors="replace")


def test_progress_line_only_on_a_terminal(starter):
    own_values(starter)
    yaml = starter / "campaigns/shop.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("locales: [en]", "locales: [en, nb, de, es]"),
                    encoding="utf-8")
    (starter / "campaigns/shop2.yaml").write_text(yaml.read_text(encoding="utf-8").replace("id: shop", "id: shop2"),
                                                  encoding="utf-8")
    shown = _pty_build(starter)
    assert "\rbuilding: campaign 1/2" in shown.replace("\x1b[K", "") and "campaign 2/2" in shown
    piped = optin(starter, "build")
    assert piped.exit_code == 0 and "building:" not in piped.output
    piped = optin(starter, "check")
    assert piped.exit_code == 0 and "checking:" not in piped.output
    pages = int(re.search(r"OK: (\d+) pages", piped.output).group(1))
    checking = _pty_build(starter, "check").replace("\x1b[K", "")
    assert pages >= 50 and f"\rchecking: page 1/{pages}" in checking and f"page {pages}/{pages}" in checking
