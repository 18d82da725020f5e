"""`optin serve` live reload: a change to a campaign file, a catalog, a notice or a theme file
rebuilds the site and the open page reloads by itself (real Chromium); a failed rebuild keeps the
last good site and shows the error; `optin build` output never carries the reload script."""
from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect
from support.projects import example_project
from support.projects import project as empty_project

from generator.check.tree import parse
from generator.pipeline.serve import LocalServer

YAML = "campaigns/nordlys-sko.yaml"


def get(url: str, timeout: float = 30) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as res:
        return res.read().decode()


def poll(server, version: int, errors: int = 0, wait: int = 25) -> dict:
    """The long poll the page makes: answers once the build moved on, or after `wait` seconds."""
    return json.loads(get(f"{server.url}/_livereload?version={version}&errors={errors}&timeout={wait}", timeout=60))


def csp_of(page: str) -> dict[str, list[str]]:
    [content] = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    content = content.replace("&#39;", "'")
    return {d.split()[0]: d.split()[1:] for d in content.split(";") if d.strip()}


@pytest.fixture
def watched(tmp_path):
    servers = []

    def start(project, **kwargs) -> LocalServer:
        server = LocalServer(project, ledger=tmp_path / "ledger.sqlite", watch=True, **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def test_build_output_has_no_live_reload_script(example_site):
    hits = [p for p in example_site.rglob("*") if p.is_file() and b"livereload" in p.read_bytes()]
    assert hits == []
    page = (example_site / "nordlys-sko/en/index.html").read_text(encoding="utf-8")
    assert csp_of(page)["connect-src"] == ["https://api.nordlyssko.example"]


def test_served_pages_get_one_same_origin_script_and_connect_src_self(tmp_path, watched):
    server = watched(example_project(tmp_path / "p"))
    picker = get(f"{server.url}/nordlys-sko/")
    scripts = [s.get("src") for s in parse(picker).iter("script") if s.get("src")]
    assert scripts[-1] == "/_livereload.js" and len(scripts) == 2
    assert csp_of(picker)["connect-src"] == ["'self'"]  # the picker's own policy says 'none'
    assert csp_of(picker)["script-src"] == ["'self'"]
    signup = get(f"{server.url}/nordlys-sko/nb/")
    assert csp_of(signup)["connect-src"][0] == "'self'"
    assert "location.reload" in get(f"{server.url}/_livereload.js")
    assert json.loads(get(f"{server.url}/_livereload?version=1")) == {"version": 1, "error": "", "errors": 0}


def test_catalog_notice_and_theme_changes_rebuild(tmp_path, watched):
    root = tmp_path / "p"
    project = example_project(root)
    po = root / "locales/en/LC_MESSAGES/messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "Skip to content"\nmsgstr "Skip ahead"\n', encoding="utf-8")
    notice = root / "locales/en/notice.md"
    notice.write_text((project.builtin_locales_dir / "en/notice.md").read_text(encoding="utf-8"), encoding="utf-8")
    theme = root / "themes/default"
    (theme / "templates").mkdir(parents=True)
    (theme / "theme.toml").write_text('parent = "default"\n', encoding="utf-8")
    index = theme / "templates/site_index.html"
    index.write_text('{% extends "_base.html" %}{% block title %}Shop v1{% endblock %}'
                     '{% block main %}<h1>Shop v1</h1>{% endblock %}', encoding="utf-8")
    server = watched(project)
    assert "Skip ahead" in get(f"{server.url}/nordlys-sko/en/") and "Shop v1" in get(f"{server.url}/")

    po.write_text(po.read_text(encoding="utf-8").replace("Skip ahead", "Jump to the form"), encoding="utf-8")
    assert poll(server, 1)["version"] == 2
    assert "Jump to the form" in get(f"{server.url}/nordlys-sko/en/")

    notice.write_text(notice.read_text(encoding="utf-8") + "\nA sentence added while serving.\n", encoding="utf-8")
    assert poll(server, 2)["version"] == 3
    assert "A sentence added while serving." in get(f"{server.url}/nordlys-sko/en/privacy.html")

    index.write_text(index.read_text(encoding="utf-8").replace("v1", "v2"), encoding="utf-8")
    assert poll(server, 3)["version"] == 4
    assert "Shop v2" in get(f"{server.url}/")


def test_a_failed_rebuild_keeps_the_last_good_site_and_reports_the_error(tmp_path, watched):
    project = example_project(tmp_path / "p")
    told = []
    server = watched(project, on_rebuild=lambda result, error, changed: told.append((error, changed)))
    yaml = project.root / YAML
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("locales:", "locale:", 1), encoding="utf-8")
    state = poll(server, 1)
    assert state["version"] == 1 and state["errors"] == 1
    assert "nordlys-sko.yaml" in state["error"] and "locale" in state["error"] and state["title"]
    assert told and "unknown key" in told[-1][0] and told[-1][1] == [yaml.resolve()]
    assert "Nordlys Sko" in get(f"{server.url}/nordlys-sko/en/")  # the last good site


def test_nothing_outside_the_inputs_is_watched(tmp_path, watched):
    project = empty_project(tmp_path / "p")
    (project.root / "campaigns").mkdir()
    server = watched(example_project(project.root))
    assert server.site_dir.resolve() not in server.watcher.folders
    assert project.root.resolve() not in server.watcher.folders  # not the ledger, not .venv
    (project.root / "campaigns/nordlys-sko.notices/stray.txt").write_text("x", encoding="utf-8")
    (server.site_dir / "stray.html").write_text("x", encoding="utf-8")
    assert poll(server, 1, wait=3) == {"version": 1, "error": "", "errors": 0}  # no rebuild


@pytest.mark.browser
def test_the_open_page_reloads_after_an_edit(tmp_path, watched, page):
    project = example_project(tmp_path / "p")
    server = watched(project)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(f"{server.url}/nordlys-sko/en/")
    assert "Nordlys Sko" in page.title()
    yaml = project.root / YAML
    source = yaml.read_text(encoding="utf-8")

    yaml.write_text(source.replace("name: Nordlys Sko", "name: Nordlys Sko Live", 1), encoding="utf-8")
    expect(page).to_have_title(re.compile("Nordlys Sko Live"), timeout=30_000)
    assert page.locator("label[for=purpose-offers]").inner_text().count("Nordlys Sko Live") == 1

    yaml.write_text(source.replace("locales:", "locale:", 1), encoding="utf-8")
    error = page.locator("#optin-livereload-error")
    error.wait_for(timeout=30_000)
    assert "unknown key" in error.inner_text() and "last good build" in error.inner_text()
    assert "Nordlys Sko Live" in page.title()

    yaml.write_text(source, encoding="utf-8")
    expect(page).not_to_have_title(re.compile("Live"), timeout=30_000)
    assert "Nordlys Sko" in page.title() and error.count() == 0
    assert problems == []  # no CSP violation, no script error
