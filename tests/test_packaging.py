"""optin as users get it: the wheel, installed non-editable into a fresh venv, used in an empty
folder (init, build, check, serve), with the built-in locales and themes inside the package."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from support.projects import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(REPO)], check=True, timeout=300, capture_output=True)
    (found,) = out.glob("optin-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    """A new venv with the wheel installed (no editable link to this checkout). Its dependencies
    come from the test environment's site-packages, added after the venv's own (no network)."""
    root = tmp_path_factory.mktemp("venv") / "env"
    # --without-pip: seeding pip costs most of a venv's creation; this pip installs into it.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=300)
    python = root / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", str(wheel)], check=True, timeout=300)
    own = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         check=True, capture_output=True, text=True).stdout.strip()
    (Path(own) / "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return root


def optin(venv: Path, cwd: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(venv / "bin" / "optin"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env, **kwargs)


def test_wheel_ships_locales_themes_and_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("generator/locales/nb/notice.md", "generator/locales/nb/LC_MESSAGES/messages.po",
                 "generator/locales/messages.pot", "generator/locales/summary.html",
                 "generator/themes/default/theme.toml", "generator/themes/default/templates/signup.html",
                 "generator/themes/default/static/optin.js", "generator/campaign/schema/campaign.schema.json",
                 "generator/receiver/templates/outbox.html"):
        assert name in names, name
    assert not [n for n in names if n.startswith(("tests/", "campaigns/")) or n.endswith(".mo")]


def test_installed_package_is_not_this_checkout(venv, tmp_path):
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import generator; print(generator.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(venv) and not Path(where).is_relative_to(REPO)


def test_init_build_check_in_an_empty_folder(venv, tmp_path):
    assert optin(venv, tmp_path, "init", "shop").returncode == 0
    project = tmp_path / "shop"
    built = optin(venv, project, "build")
    assert built.returncode == 0, built.stderr
    assert re.search(r"built 1 campaign\(s\), \d+ pages into site/", built.stdout)
    page = (project / "site" / "shop" / "en" / "index.html").read_text(encoding="utf-8")
    assert "Example Shop" in page and 'type="checkbox"' in page
    checked = optin(venv, project, "check", "--format", "json")
    assert checked.returncode == 0, checked.stdout
    assert json.loads(checked.stdout)["ok"] is True
    bad = optin(venv, project, "build", "nope")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_serve_smoke(venv, tmp_path):
    assert optin(venv, tmp_path, "init", "shop").returncode == 0
    project = tmp_path / "shop"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.Popen([str(venv / "bin" / "optin"), "serve", "--port", "0"], cwd=project, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            match = re.search(r"at (http://127\.0\.0\.1:\d+)/", line)
            url = match.group(1) if match else None
        assert url, "optin serve printed no address"
        with urllib.request.urlopen(f"{url}/shop/en/index.html", timeout=10) as response:
            assert response.status == 200 and b"Example Shop" in response.read()
        body = json.dumps({"campaign": "shop", "locale": "en", "purposes": ["offers"], "phone": "+353851234567",
                           "notice_version": "", "wording_version": ""}).encode()
        request = urllib.request.Request(f"{url}/api/submit", data=body, method="POST",
                                         headers={"Content-Type": "application/json", "Origin": url})
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as exc:  # versions left empty: a 4xx JSON answer, never a 500
            assert 400 <= exc.code < 500 and json.loads(exc.read())["error"]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert "stopped" in out
