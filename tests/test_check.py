"""`optin check` static rules: the example site passes every rule, and each rule fails on a copy
of it broken in one small, deliberate way (the rule id, page and element must be reported and
the exit code must be 1)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.check.run import rules
from generator.cli.main import main
from support import forms, projects
from support.projects import REPO

RULES = rules(browser=False)  # the static rules
EN = "nordlys-sko/en/"
NB = "nordlys-sko/nb/"


from support.checks import copy_site, edit, failures, project_file, run_check, run_check_process  # noqa: F401


# --- the example site ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def baseline(example_site):
    code, report = run_check(example_site)
    assert isinstance(report, dict), report
    return report


def test_manifest_written_by_the_build(example_site):
    data = json.loads((example_site / "nordlys-sko" / "optin.json").read_text())
    assert data["endpoints"]["submit"] == "https://api.nordlyssko.example/optin/submit"
    assert data["locales"][0] == "nb" and "Nordlys Sko" in data["proper_nouns"]


@pytest.mark.parametrize("rule", sorted(RULES))
def test_example_site_passes(baseline, rule):
    """The CI gate: the example site passes every static rule (english-text and checkbox-label
    need the translators' catalogs to be complete)."""
    found = failures(baseline, rule)
    assert not found, f"{len(found)} {rule} failure(s), e.g. " + "\n".join(map(str, found[:8]))


def test_exit_code_zero_when_clean(example_site):
    """Exit 0 on a clean selection: the English pages, which no translation can affect."""
    code, report = run_check(example_site, "--page", f"{EN}*")
    assert report["failures"] == [] and report["ok"] is True, report["failures"][:5]
    assert code == 0 and report["pages_checked"] >= 6


def test_installed_command_gates_the_example_site(example_site):
    """What CI and a marketer run: the real `optin` entry point, exit code 0, a one-line OK."""
    optin = Path(sys.executable).with_name("optin")
    proc = subprocess.run([str(optin), "check", str(example_site)], capture_output=True, text=True, timeout=120,
                          cwd=example_site.parent)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert proc.stdout.startswith("OK: ")


def build_fixture_campaigns(tmp_path: Path) -> Path:
    """Build the form fixture campaigns (SMS only, email only, WhatsApp + email, name/birthday
    fields...) from temporary copies of their files, as building writes notice archives next to
    the YAML: nothing may be left in the repository. Returns the built site."""
    from generator.pipeline.build import build

    fixtures = forms.HERE
    before = sorted(p.relative_to(fixtures) for p in fixtures.rglob("*"))
    campaigns = forms.copy_campaigns(tmp_path / "campaigns", [fixtures])
    assert {"fields.yaml", "email-only.yaml", "sms-only.yaml"} <= {p.name for p in campaigns.iterdir()}
    build(projects.project(tmp_path), [campaigns], tmp_path / "fixture-site")
    assert sorted(p.relative_to(fixtures) for p in fixtures.rglob("*")) == before, "the build wrote into the repo"
    return tmp_path / "fixture-site"


def test_fixture_campaigns_pass_every_rule(tmp_path):
    """Every channel combination (SMS only, email only, WhatsApp + email, extra fields) builds a
    site that passes: a rule that misfires on some form shape shows up here."""
    site = build_fixture_campaigns(tmp_path)
    code, report = run_check(site)
    assert report["failures"] == [], report["failures"][:8]
    assert code == 0 and report["pages_checked"] > 50


def test_campaign_files_instead_of_manifest(example_site, tmp_path):
    site = copy_site(example_site, tmp_path)
    for manifest in site.glob("*/optin.json"):
        manifest.unlink()
    _, without = run_check(site, "--page", f"{EN}*")
    assert failures(without, "manifest")
    code, report = run_check(site, "--page", f"{EN}*", "--campaigns",
                             str(projects.copy_examples(tmp_path / "campaigns")))
    assert code == 0 and report["failures"] == []


def test_table_output_and_exit_codes(example_site, tmp_path):
    site = copy_site(example_site, tmp_path)
    edit(site, f"{EN}index.html", r'(<input type="checkbox")', r'\1 checked')
    config = ["-f", str(project_file(site))]
    result = CliRunner().invoke(main, [*config, "check", str(site), "--page", f"{EN}index.html"])
    assert result.exit_code == 1
    row = next(line for line in result.output.splitlines() if "checkbox-checked" in line)
    assert row.startswith(f"{EN}index.html") and "input#purpose-" in row
    assert "failure(s)" in result.output.splitlines()[-1]
    missing = CliRunner().invoke(main, [*config, "check", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "not a folder" in missing.output
    assert isinstance(missing.exception, SystemExit)
    nomatch = CliRunner().invoke(main, [*config, "check", str(site), "--page", "nope/*"])
    assert nomatch.exit_code == 2 and "no page" in nomatch.output
    assert isinstance(nomatch.exception, SystemExit)


def _readme_section() -> str:
    readme = (REPO / "docs" / "marketer.md").read_text(encoding="utf-8")
    return readme.split("## Before publishing: `optin check`", 1)[1].split("\n## ", 1)[0]


def test_json_format_is_stable_and_documented(example_site, tmp_path):
    """Scripts rely on the JSON shape: exactly the keys of the README's example, in that order,
    with these types; failures sorted; exit code 1."""
    site = copy_site(example_site, tmp_path)
    edit(site, f"{EN}index.html", r'(<input type="checkbox")', r'\1 checked')
    code, report = run_check(site, "--page", f"{EN}index.html", "--page", f"{EN}thanks.html")
    assert code == 1
    documented = json.loads(_readme_section().split("```json", 1)[1].split("```", 1)[0])
    assert list(report) == list(documented) == ["site", "pages_checked", "browser", "ok", "rules", "failures"]
    assert report["site"] == str(site) and report["pages_checked"] == 2
    assert report["browser"] is False and report["ok"] is False and report["rules"] == sorted(RULES)
    for failure in report["failures"] + documented["failures"]:
        assert list(failure) == ["rule", "page", "element", "message"], failure
        assert all(isinstance(value, str) for value in failure.values())
    rows = [(f["page"], f["rule"], f["element"], f["message"]) for f in report["failures"]]
    assert rows == sorted(rows) and ("checkbox-checked", f"{EN}index.html") in {(r[1], r[0]) for r in rows}


def test_readme_lists_every_rule():
    from generator.check.browser import RULES as BROWSER_RULES

    first_cells = re.findall(r"^\| (`[^|]+) \|", _readme_section(), flags=re.M)
    ids = {rule for cell in first_cells for rule in re.findall(r"`([a-z-]+)`", cell)} - {"--browser"}
    assert ids == set(RULES) | set(BROWSER_RULES)


def test_list_rules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--list-rules"])
    assert result.exception is None and result.exit_code == 0
    ids = {line.split()[0] for line in result.output.splitlines()}
    assert set(RULES) | {"axe", "console-error", "csp-violation", "network"} == ids


# --- one broken site per rule ------------------------------------------------------------------

LEFTOVER = max(projects.builtin_locales().english_ui_strings(), key=len)
CSP_META = r'<meta http-equiv="Content-Security-Policy"[^>]*>'
# (rule, page that must be reported, element that must be named or "", edits: (file, regex, replacement))
BROKEN = {
    "checkbox-checked": ("checkbox-checked", f"{EN}index.html", "input#purpose-offers",
                         [(f"{EN}index.html", r'(<input type="checkbox" id="purpose-offers")', r"\1 checked")]),
    "checkbox-label-no-channel": ("checkbox-label", f"{EN}index.html", "input#purpose-offers",
                                  [(f"{EN}index.html", r'(<label for="purpose-offers">)[^<]*', r"\1Great offers from Nordlys Sko")]),
    "checkbox-label-missing": ("checkbox-label", f"{EN}index.html", "input#purpose-offers",
                               [(f"{EN}index.html", r'<label for="purpose-offers">.*?</label>', "")]),
    "checkbox-label-two-channels": ("checkbox-label", f"{EN}index.html", "input#purpose-offers",
                                    [(f"{EN}index.html", r'(<label for="purpose-offers">)', r"\1SMS and ")]),
    "consent-required": ("consent-required", f"{EN}index.html", "input#purpose-order_updates",
                         [(f"{EN}index.html", r'(<input type="checkbox" id="purpose-order_updates")', r"\1 required")]),
    "privacy-link-missing-file": ("privacy-link", f"{EN}index.html", "",
                                  [(f"{EN}index.html", r'href="privacy\.html"', 'href="privacy-00000000.html"')]),
    "privacy-link-other-locale": ("privacy-link", f"{EN}index.html", "",
                                  [(f"{EN}index.html", r'href="privacy\.html"', 'href="../de/privacy.html"')]),
    "form-endpoint-foreign": ("form-endpoint", f"{EN}index.html", "form#signup",
                              [(f"{EN}index.html", r'action="[^"]*"', 'action="https://collector.example.net/submit"')]),
    "form-endpoint-http": ("form-endpoint", f"{EN}confirm.html", "form#confirm",
                           [(f"{EN}confirm.html", r'action="https://', 'action="http://')]),
    "form-endpoint-wrong-endpoint": ("form-endpoint", f"{EN}withdraw.html", "form#withdraw",
                                     [(f"{EN}withdraw.html", r'action="[^"]*"', 'action="https://api.nordlyssko.example/optin/submit"')]),
    "page-lang-missing": ("page-lang", f"{EN}thanks.html", "html",
                          [(f"{EN}thanks.html", r'<html lang="en">', "<html>")]),
    "page-lang-wrong": ("page-lang", "nordlys-sko/de/thanks.html", "html",
                        [("nordlys-sko/de/thanks.html", r'<html lang="de">', '<html lang="en">')]),
    "page-title": ("page-title", f"{EN}confirm.html", "title",
                   [(f"{EN}confirm.html", r"<title>.*?</title>", "<title> </title>")]),
    "hreflang-missing-target": ("hreflang", f"{EN}withdraw.html", "link[rel=alternate][hreflang=de]",
                                [(f"{EN}withdraw.html", r'href="\.\./de/withdraw\.html"', 'href="../de/withdraw-old.html"')]),
    "hreflang-missing-locale": ("hreflang", f"{EN}withdraw.html", "head",
                                [(f"{EN}withdraw.html", r'<link rel="alternate" hreflang="es"[^>]*>', "")]),
    "csp-missing": ("csp", f"{EN}withdraw.html", "head", [(f"{EN}withdraw.html", CSP_META, "")]),
    "csp-unsafe-inline": ("csp", f"{EN}thanks.html", "meta[http-equiv=Content-Security-Policy]",
                          [(f"{EN}thanks.html", r"script-src &#39;self&#39;", "script-src &#39;self&#39; &#39;unsafe-inline&#39;")]),
    "csp-form-blocked": ("csp", f"{EN}index.html", "meta[http-equiv=Content-Security-Policy]",
                         [(f"{EN}index.html", r"form-action [^\"]*?(?=; base-uri)", "form-action &#39;self&#39;")]),
    "inline-code": ("inline-code", f"{EN}thanks.html", "script",
                    [(f"{EN}thanks.html", r"</main>", "<script>document.title = 'x';</script></main>")]),
    "third-party-font": ("third-party", f"{EN}index.html", "link[rel=stylesheet][href=https://fonts.googleapis.com/css2?family=Roboto]",
                         [(f"{EN}index.html", r"</head>", '<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Roboto">\n</head>')]),
    "third-party-image": ("third-party", f"{EN}thanks.html", "",
                          [(f"{EN}thanks.html", r"</main>", '<img src="//cdn.example.com/pixel.png" alt=""></main>')]),
    "third-party-css-import": ("third-party", "assets/style.*.css", "line 1",
                               [("assets/style.*.css", r"^", '@import url("https://fonts.example.com/font.css");\n')]),
    "notice-version-text-changed": ("notice-version", f"{EN}index.html", "input[name=notice_version][type=hidden]",
                                    [(f"{EN}privacy.html", r"(<article[^>]*>)", r"\1<p>We may also sell your data.</p>")]),
    "notice-version-wrong-value": ("notice-version", f"{EN}index.html", "input[name=notice_version][type=hidden]",
                                   [(f"{EN}index.html", r'(name="notice_version" value=")[0-9a-f]{8}', r"\g<1>00000000")]),
    "english-text": ("english-text", "nordlys-sko/nb/thanks.html", "p#leftover",
                     [("nordlys-sko/nb/thanks.html", r"</main>", f'<p id="leftover">{LEFTOVER}</p></main>')]),
    "manifest": ("manifest", "nordlys-sko/optin.json", "",
                 [("nordlys-sko/optin.json", r"^\{", "{{")]),
    # confirm and withdraw pages pick purposes too: the same checkbox rules apply there
    "checkbox-checked-confirm": ("checkbox-checked", f"{EN}confirm.html", "input#confirm-offers",
                                 [(f"{EN}confirm.html", r'(<input type="checkbox" id="confirm-offers")', r"\1 checked")]),
    "checkbox-checked-withdraw": ("checkbox-checked", f"{EN}withdraw.html", "input#withdraw-order_updates",
                                  [(f"{EN}withdraw.html", r'(<input type="checkbox" id="withdraw-order_updates")', r"\1 checked")]),
    "consent-required-confirm": ("consent-required", f"{EN}confirm.html", "input#confirm-order_updates",
                                 [(f"{EN}confirm.html", r'(<input type="checkbox" id="confirm-order_updates")', r"\1 required")]),
    "checkbox-label-confirm-wrong-channel": ("checkbox-label", f"{NB}confirm.html", "input#confirm-offers",
                                             [(f"{NB}confirm.html", r'(<label for="confirm-offers">)WhatsApp', r"\1SMS")]),
    "checkbox-label-confirm-two-channels": ("checkbox-label", f"{EN}confirm.html", "input#confirm-order_updates",
                                            [(f"{EN}confirm.html", r'(<label for="confirm-order_updates">)', r"\1Emails and ")]),
    "checkbox-label-withdraw-missing": ("checkbox-label", f"{EN}withdraw.html", "input#withdraw-order_updates",
                                        [(f"{EN}withdraw.html", r'<label for="withdraw-order_updates">.*?</label>', "")]),
    "checkbox-label-withdraw-no-channel": ("checkbox-label", f"{EN}withdraw.html", "input#withdraw-offers",
                                           [(f"{EN}withdraw.html", r'(<label for="withdraw-offers">)[^<]*', r"\1Messages about offers")]),
    "checkbox-label-withdraw-all-missing": ("checkbox-label", f"{EN}withdraw.html", "input#withdraw-all",
                                            [(f"{EN}withdraw.html", r'<label for="withdraw-all">.*?</label>', "")]),
    "checkbox-label-signup-all-box": ("checkbox-label", f"{EN}index.html", "input#purpose-all",
                                      [(f"{EN}index.html", r'(<input type="checkbox" id="purpose-offers")',
                                        r'<input type="checkbox" id="purpose-all" name="purposes" value="*">'
                                        r'<label for="purpose-all">All messages</label>\1')]),
    "csp-host-source": ("csp", f"{EN}thanks.html", "meta[http-equiv=Content-Security-Policy]",
                        [(f"{EN}thanks.html", r"script-src &#39;self&#39;", "script-src &#39;self&#39; cdn.example.com")]),
    # a submit button's formaction / formmethod override the form's
    "form-endpoint-formaction-foreign": ("form-endpoint", f"{EN}index.html", "button#signup-submit",
                                         [(f"{EN}index.html", r'(<button type="submit" class="button" id="signup-submit")',
                                           r'\1 formaction="https://collector.example.net/submit"')]),
    "form-endpoint-formaction-wrong-endpoint": ("form-endpoint", f"{EN}confirm.html", "button[name=scope][type=submit]",
                                                [(f"{EN}confirm.html", r'(<button type="submit" class="button button-secondary")',
                                                  r'\1 formaction="https://api.nordlyssko.example/optin/withdraw"')]),
    "form-endpoint-formmethod-get": ("form-endpoint", f"{EN}withdraw.html", "button[type=submit]",
                                     [(f"{EN}withdraw.html", r'(<button type="submit" class="button")', r'\1 formmethod="get"')]),
    # more ways to load from (or move to) another origin
    "third-party-script": ("third-party", f"{EN}thanks.html", "script[src=https://cdn.example.com/lib.js]",
                           [(f"{EN}thanks.html", r"</head>", '<script src="https://cdn.example.com/lib.js" defer></script></head>')]),
    "third-party-iframe": ("third-party", f"{EN}thanks.html", "iframe[src=https://video.example.com/embed/1]",
                           [(f"{EN}thanks.html", r"</main>", '<iframe src="https://video.example.com/embed/1" title="v"></iframe></main>')]),
    "third-party-base": ("third-party", f"{EN}thanks.html", "base[href=https://cdn.example/]",
                         [(f"{EN}thanks.html", r"</head>", '<base href="https://cdn.example/"></head>')]),
    "third-party-meta-refresh": ("third-party", f"{EN}thanks.html", "meta[http-equiv=refresh]",
                                 [(f"{EN}thanks.html", r"</head>",
                                   '<meta http-equiv="refresh" content="0;url=https://elsewhere.example/x"></head>')]),
    "third-party-svg-xlink": ("third-party", f"{EN}thanks.html", "use",
                              [(f"{EN}thanks.html", r"</main>",
                                '<svg><use xlink:href="https://icons.example/sprite.svg#x"></use></svg></main>')]),
    "third-party-svg-image": ("third-party", f"{EN}thanks.html", "image[href=https://img.example/a.png]",
                              [(f"{EN}thanks.html", r"</main>", '<svg><image href="https://img.example/a.png"/></svg></main>')]),
    "third-party-srcset": ("third-party", f"{EN}thanks.html", "img#srcset",
                           [(f"{EN}thanks.html", r"</main>",
                             '<img id="srcset" src="../../assets/favicon.svg" srcset="https://cdn.example/a.png 2x" alt=""></main>')]),
    "third-party-poster": ("third-party", f"{EN}thanks.html", "video#clip",
                           [(f"{EN}thanks.html", r"</main>", '<video id="clip" poster="https://cdn.example/p.jpg"></video></main>')]),
    "third-party-ping": ("third-party", f"{EN}thanks.html", "a#tracked",
                         [(f"{EN}thanks.html", r"</main>", '<a id="tracked" href="index.html" ping="https://track.example/p">x</a></main>')]),
    "third-party-style-element": ("third-party", f"{EN}thanks.html", "style",
                                  [(f"{EN}thanks.html", r"</head>",
                                    "<style>body { background: url(https://cdn.example/bg.png) }</style></head>")]),
    "third-party-style-attribute": ("third-party", f"{EN}thanks.html", "p#styled",
                                    [(f"{EN}thanks.html", r"</main>",
                                      """<p id="styled" style="background: url('https://cdn.example/bg.png')">x</p></main>""")]),
    "third-party-css-image-set": ("third-party", "assets/style.*.css", "line 1",
                                  [("assets/style.*.css", r"^", 'body { background: image-set("https://cdn.example/a.png" 1x); }\n')]),
    # a strict policy: base-uri, object-src 'none', form-action, nothing beyond the site and endpoints
    "csp-no-base-uri": ("csp", f"{EN}thanks.html", "meta[http-equiv=Content-Security-Policy]",
                        [(f"{EN}thanks.html", r"; base-uri &#39;none&#39;", "")]),
    "csp-object-src": ("csp", f"{EN}thanks.html", "meta[http-equiv=Content-Security-Policy]",
                       [(f"{EN}thanks.html", r"default-src &#39;none&#39;", "default-src &#39;self&#39;")]),
    "csp-no-form-action": ("csp", f"{EN}thanks.html", "meta[http-equiv=Content-Security-Policy]",
                           [(f"{EN}thanks.html", r"form-action [^\"]*?; (?=base-uri)", "")]),
    "csp-form-action-foreign": ("csp", f"{EN}withdraw.html", "meta[http-equiv=Content-Security-Policy]",
                                [(f"{EN}withdraw.html", r"(form-action [^\"]*?)(?=; base-uri)", r"\1 https://collector.example.net")]),
    "csp-img-third-party": ("csp", f"{EN}thanks.html", "meta[http-equiv=Content-Security-Policy]",
                            [(f"{EN}thanks.html", r"img-src &#39;self&#39;", "img-src &#39;self&#39; https://cdn.example")]),
    "csp-connect-foreign": ("csp", f"{EN}confirm.html", "meta[http-equiv=Content-Security-Policy]",
                            [(f"{EN}confirm.html", r"(connect-src [^;\"]*)", r"\1 https://collector.example.net")]),
    "csp-after-stylesheet": ("csp", f"{EN}thanks.html", "link[rel=icon][type=image/svg+xml]",
                             [(f"{EN}thanks.html", f"({CSP_META})(.*?)</head>", r"\2\1</head>")]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_rule_fails_on_broken_site(example_site, baseline, tmp_path, case):
    rule, page, element, edits = BROKEN[case]
    site = copy_site(example_site, tmp_path)
    for rel, pattern, replacement in edits:
        edit(site, rel, pattern, replacement, count=0 if rule == "privacy-link" else 1)
    page = next(p.relative_to(site).as_posix() for p in site.glob(page))
    code, report = run_check(site, "--page", page)
    found = failures(report, rule, page)
    assert code == 1 and report["ok"] is False
    assert found, f"{rule} not reported on {page}: {failures(report, page=page)[:5]}"
    if element:
        assert any(f["element"].endswith(element) for f in found), found
    before = {(f["rule"], f["page"], f["element"], f["message"]) for f in baseline["failures"]}
    assert any((f["rule"], f["page"], f["element"], f["message"]) not in before for f in found), \
        "the failure was there before the edit: the fixture proves nothing"


def test_english_marked_as_english_is_not_a_leftover(example_site, tmp_path):
    """ms pages show English on purpose (PDPA s.7(3)), marked lang="en"; proper nouns stay."""
    site = copy_site(example_site, tmp_path)
    edit(site, "kedai-harmoni/ms/thanks.html", r"</main>",
         f'<p id="second" lang="en">{LEFTOVER}</p><p id="noun">Kedai Harmoni</p></main>')
    _, report = run_check(site, "--page", "kedai-harmoni/ms/thanks.html")
    assert not [f for f in report["failures"] if f["element"] in ("p#second", "p#noun")]


def test_csp_host_source_without_scheme_is_the_endpoint(example_site, tmp_path):
    """A CSP host source without a scheme (`api.example`) means the page's scheme: the endpoint
    written that way is allowed, not reported as another host."""
    site = copy_site(example_site, tmp_path)
    edit(site, f"{EN}withdraw.html", r"https://api\.nordlyssko\.example;", "api.nordlyssko.example;", count=0)
    assert "connect-src api.nordlyssko.example;" in (site / EN / "withdraw.html").read_text()
    code, report = run_check(site, "--page", f"{EN}withdraw.html")
    assert code == 0 and report["failures"] == []


def test_channel_names_follow_the_page_language(locales):
    """A German label must name the channel in German; 'Correos electrónicos' names 'correo
    electrónico' (inflection tolerated)."""
    from generator.check.rules.language import channel_pattern

    es = channel_pattern(locales, "es", "email")
    if locales.translations("es").ugettext("email") == "correo electrónico":
        assert es.search("Correos electrónicos de Kedai Harmoni")
    assert channel_pattern(locales, "en", "email").search("Emails from Kedai Harmoni")
    assert not channel_pattern(locales, "en", "sms").search("Messages from Kedai Harmoni")


def test_page_checks_on_two_cores_find_what_one_finds(example_site, tmp_path, monkeypatch):
    """The CLI's runner forks workers for a big site; the failures (in page order) are the same as
    a serial run's, and a page whose check fails in a worker is checked again here."""
    import os
    from unittest import mock

    from generator.check.run import check_site
    from generator.cli import check as cli_check
    from generator.pipeline import parallel

    site = copy_site(example_site, tmp_path)
    edit(site, f"{EN}thanks.html", r"default-src &#39;none&#39;", "default-src &#39;self&#39;")
    edit(site, "kedai-harmoni/de/index.html", r'<html lang="de"', '<html lang="fr"')
    project = projects.project(tmp_path)
    serial, pages = check_site(site, project)
    assert serial and pages > 60
    monkeypatch.setattr(cli_check, "PAGES_PER_JOB", 1)
    with mock.patch.object(parallel.threading, "active_count", return_value=1), \
            mock.patch.object(parallel, "ordered", wraps=parallel.ordered) as pool:
        forked, _ = check_site(site, project, runner=cli_check._on_every_core)
    assert pool.call_args.args[2] >= min(2, len(os.sched_getaffinity(0)))  # processes
    assert forked == serial
