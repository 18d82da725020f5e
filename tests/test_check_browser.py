"""`optin check --browser` in Debian's Chromium. One browser run covers a copy of the example
site in which one page per browser rule is deliberately broken: every other page must pass every
browser rule (axe-core, console, CSP, network), and each broken page must fail exactly its rule.
These tests never skip: a missing Chromium is an error (scripts/test.sh installs it)."""
from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from generator.check.browser import RULES as BROWSER_RULES
from generator.cli.main import main
from support.checks import copy_site, edit, failures, run_check_process

EN = "nordlys-sko/en/"









CSP_META = r'<meta http-equiv="Content-Security-Policy"[^>]*>'
# rule -> (page broken for it, element the failure must name or "", edits: (file, regex, replacement))
BROKEN = {
    "axe": (f"{EN}index.html", "#phone", [(f"{EN}index.html", r'<label for="phone">.*?</label>', "")]),
    "console-error": (f"{EN}thanks.html", "", [
        (f"{EN}thanks.html", r"</head>", '<script src="../../assets/missing.js" defer></script></head>')]),
    "csp-violation": (f"{EN}withdraw.html", "", [
        (f"{EN}withdraw.html", r"</main>", '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="dot"></main>')]),
    "network": (f"{EN}confirm.html", "", [
        (f"{EN}confirm.html", CSP_META, ""),
        (f"{EN}confirm.html", r"</main>", '<img src="https://tracker.example.org/pixel.gif" alt="dot"></main>')]),
}
BROKEN_PAGES = {page: rule for rule, (page, _, _) in BROKEN.items()}


@pytest.fixture(scope="module")
def browser_report(example_site, tmp_path_factory):
    site = copy_site(example_site, tmp_path_factory.mktemp("browser-check"))
    for _page, _element, edits in BROKEN.values():
        for rel, pattern, replacement in edits:
            edit(site, rel, pattern, replacement)
    # Two locales of different campaigns and scripts of writing: tests/browser/test_a11y.py runs
    # axe on every page of every locale already; this run is about the checker itself.
    code, report = run_check_process(site, "--browser", "--page", f"{EN}*", "--page", "kedai-harmoni/ms/*")
    assert isinstance(report, dict), report
    assert code == 1 and report["browser"] is True and report["pages_checked"] >= 10
    return report


@pytest.mark.parametrize("rule", sorted(BROWSER_RULES))
def test_example_pages_pass_in_chromium(browser_report, rule):
    found = [f for f in failures(browser_report, rule) if f["page"] not in BROKEN_PAGES]
    assert not found, f"{len(found)} {rule} failure(s), e.g. " + "\n".join(map(str, found[:8]))


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_browser_rule_fails_on_its_broken_page(browser_report, rule):
    page, element, _ = BROKEN[rule]
    found = failures(browser_report, rule, page)
    assert found, f"{rule} not reported on {page}: {failures(browser_report, page=page)[:6]}"
    if element:
        assert all(element in f["element"] for f in found), found  # and nothing else is wrong there
    if rule == "network":
        assert "tracker.example.org" in found[0]["message"]
    others = [f for f in failures(browser_report, page=page) if f["rule"] in BROWSER_RULES and f["rule"] != rule]
    assert not others, others


def test_clean_error_without_playwright(example_site, monkeypatch):
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    monkeypatch.chdir(example_site.parent)
    result = CliRunner().invoke(main, ["check", str(example_site), "--browser", "--page", f"{EN}index.html"])
    assert result.exit_code == 2 and "needs Playwright" in result.output
    assert isinstance(result.exception, SystemExit)


def test_browser_pass_reports_its_progress(example_site, tmp_path):
    from generator.check.browser import check_pages
    from generator.check.model import load_site
    from support import projects

    site = load_site(example_site, projects.project(tmp_path))
    files = site.html_files()[:3]
    seen = []
    assert check_pages(site, files, progress=lambda done, total: seen.append((done, total))) == []
    assert seen == [(1, 3), (2, 3), (3, 3)]
