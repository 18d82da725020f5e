"""Every CLI command's --help is in the README, word for word (scripts/readme_help.py writes it)."""
from __future__ import annotations

import subprocess
import sys

from support.projects import REPO as ROOT


def test_readme_command_reference_is_current():
    proc = subprocess.run([sys.executable, "scripts/readme_help.py", "--check"], cwd=ROOT)
    assert proc.returncode == 0, "README command reference is stale: run .venv/bin/python scripts/readme_help.py"


def test_every_command_has_a_readme_section():
    from generator.cli.main import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"### `optin {name}`" in readme, name


def test_readme_gives_exactly_two_setup_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = readme.split("## Set-up: two commands", 1)[1].split("\n## ", 1)[0]
    block = setup.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip()]
    assert [c.split("#")[0].strip() for c in commands] == ["bash scripts/site.sh", "bash scripts/test.sh"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test.sh" in ci
