"""`optin check --browser`: the example site passes axe-core, console, CSP and network rules in
Debian's Chromium; each browser rule fails on a page broken for it. These tests never skip: a
missing Chromium is an error (scripts/test.sh installs it)."""
from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from generator.check_browser import RULES as BROWSER_RULES
from generator.cli import main
from test_check import EN, copy_site, edit, failures, run_check

CSP_META = r'<meta http-equiv="Content-Security-Policy"[^>]*>'


@pytest.fixture(scope="module")
def browser_report(example_site):
    code, report = run_check(example_site, "--browser")
    assert isinstance(report, dict), report
    assert report["browser"] is True and report["pages_checked"] > 20
    return report


@pytest.mark.parametrize("rule", sorted(BROWSER_RULES))
def test_example_site_passes_in_chromium(browser_report, rule):
    found = failures(browser_report, rule)
    assert not found, f"{len(found)} {rule} failure(s), e.g. " + "\n".join(map(str, found[:8]))


# (rule, page, edits): each page is checked alone (--page) in a real browser
BROKEN = {
    "axe": ("axe", f"{EN}index.html", [(f"{EN}index.html", r'<label for="phone">.*?</label>', "")]),
    "console-error": ("console-error", f"{EN}thanks.html",
                      [(f"{EN}thanks.html", r"</head>", '<script src="../../assets/missing.js" defer></script></head>')]),
    "csp-violation": ("csp-violation", f"{EN}thanks.html",
                      [(f"{EN}thanks.html", r"</main>",
                        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="dot"></main>')]),
    "network": ("network", f"{EN}confirm.html",
                [(f"{EN}confirm.html", CSP_META, ""),
                 (f"{EN}confirm.html", r"</main>", '<img src="https://tracker.example.org/pixel.gif" alt="dot"></main>')]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_browser_rule_fails_on_broken_page(example_site, tmp_path, case):
    rule, page, edits = BROKEN[case]
    site = copy_site(example_site, tmp_path)
    for rel, pattern, replacement in edits:
        edit(site, rel, pattern, replacement)
    code, report = run_check(site, "--browser", "--page", page)
    assert code == 1
    found = failures(report, rule, page)
    assert found, f"{rule} not reported on {page}: {report['failures'][:6]}"
    if rule == "network":
        assert "tracker.example.org" in found[0]["message"]


def test_clean_error_without_playwright(example_site, monkeypatch):
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    result = CliRunner().invoke(main, ["check", str(example_site), "--browser", "--page", f"{EN}index.html"])
    assert result.exit_code == 2 and "needs Playwright" in result.output
    assert "Traceback" not in result.output
