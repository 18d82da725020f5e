"""Running `optin check` in tests, and editing copies of built sites to break one rule."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from generator.cli.main import main


def project_file(site: Path) -> Path:
    """The optin.toml of the (temporary) project a site was built or copied into: checks run
    there, with the built-in locales, never in the repository."""
    config = site.parent / "optin.toml"
    if not config.exists():
        config.write_text("", encoding="utf-8")
    return config


def run_check(site: Path, *args: str) -> tuple[int, dict | str]:
    """`optin check SITE --format json ARGS`: (exit code, parsed JSON or the raw output)."""
    result = CliRunner().invoke(main, ["-f", str(project_file(site)), "check", str(site), "--format", "json", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    try:
        return result.exit_code, json.loads(result.output)
    except ValueError:
        return result.exit_code, result.output


def run_check_process(site: Path, *args: str, timeout: int = 600) -> tuple[int, dict | str]:
    """The same through the installed `optin` command in its own process: needed for --browser
    when pytest-playwright's session already runs Playwright's event loop in this process."""
    optin = Path(sys.executable).with_name("optin")
    proc = subprocess.run([str(optin), "check", str(site), "--format", "json", *args],
                          capture_output=True, text=True, timeout=timeout, cwd=site.parent)
    try:
        return proc.returncode, json.loads(proc.stdout)
    except ValueError:
        return proc.returncode, proc.stdout + proc.stderr


def copy_site(site: Path, tmp_path: Path) -> Path:
    out = tmp_path / "site"
    shutil.copytree(site, out)
    return out


def edit(site: Path, rel: str, pattern: str, replacement: str, count: int = 1) -> None:
    """Regex-edit one file of a site (`rel` may be a glob); fails loudly if the pattern no
    longer matches, so a stale fixture can never silently test nothing."""
    [path] = sorted(site.glob(rel))
    text = path.read_text(encoding="utf-8")
    new, made = re.subn(pattern, replacement, text, count=count, flags=re.S)
    assert made, f"fixture is stale: {pattern!r} not found in {rel}"
    path.write_text(new, encoding="utf-8")


def failures(report: dict, rule: str | None = None, page: str | None = None) -> list[dict]:
    return [f for f in report["failures"]
            if (rule is None or f["rule"] == rule) and (page is None or f["page"] == page)]
