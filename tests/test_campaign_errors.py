"""Bad campaign input: every error names file, line and key, says how to fix it, exits 2,
never prints a traceback, and all errors in a file come at once."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.campaign import model, vocab
from generator.cli.main import main
from generator.errors import CampaignError
from support import projects

GOOD = """\
id: test-shop
brand:
  name: Test Shop
controller:
  name: Test Shop AS
  address: Gate 1, Oslo
  email: privacy@test.example
jurisdiction:
  country: NO
locales: [nb, en]
default_locale: nb
endpoints:
  submit: https://api.test.example/submit
  confirm: https://api.test.example/confirm
  withdraw: https://api.test.example/withdraw
hosting:
  website: {name: Fjordvert AS, country: NO}
  receiver: {name: Fjordvert AS, country: NO}
purposes:
  - id: offers
    channel: whatsapp
    purpose: offers
"""


def load(path: Path):
    """Load a campaign file of a project (its folder) using only the built-in locales and themes."""
    return model.load(path, projects.project(path.parent))


def load_all(paths: list[Path]):
    return model.load_all(paths, projects.project(paths[0].parent))


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def problems(tmp_path: Path, text: str):
    campaign, found = load(write(tmp_path, text))
    assert campaign is None, "expected the campaign to be refused"
    return found


def test_good_campaign_loads(tmp_path):
    campaign, found = load(write(tmp_path, GOOD))
    assert found == []
    assert campaign.country == "NO"  # YAML 1.1 would read NO as false
    assert campaign.authority.name == "Datatilsynet"
    assert campaign.opt_out["whatsapp"]["nb"] == "STOP"


@pytest.mark.parametrize(
    "old,new,needle,key,words",
    [
        ("  name: Test Shop\n", "  nmae: Test Shop\n", "nmae:", "brand.nmae", "did you mean 'name'"),
        ("locales: [nb, en]", "locales: [nb, sv]", "locales:", "locales[1]", "unknown locale 'sv'"),
        ("    channel: whatsapp", "    channel: telegram", "channel: telegram", "purposes[0].channel",
         "unknown channel 'telegram'"),
        ("  submit: https://api.test.example/submit", "  submit: http://api.test.example/submit",
         "submit:", "endpoints.submit", "must be an https URL"),
        ("  email: privacy@test.example\n", "", "controller:", "controller.email", "required key missing"),
        ("    purpose: offers", "    purpose: offers\n    retention_months: two years",
         "retention_months", "purposes[0].retention_months", "should be a whole number"),
        ("    purpose: offers", "    purpose: offers\n    checked: true", "checked:", "purposes[0].checked",
         "can never be pre-ticked"),
        ("  name: Test Shop\n", "  name: Test Shop\n  logo: missing.svg\n", "logo:", "brand.logo",
         "does not exist"),
        ("  name: Test Shop\n", "  name: Test Shop\n  colors: {primary: '#aaaaaa'}\n", "colors:",
         "brand.colors.primary", "contrast"),
        ("default_locale: nb", "default_locale: de", "default_locale", "default_locale", "not in locales"),
        ("    purpose: offers", "    wording: {nb: tilbud}", "wording:", "purposes[0].wording",
         "missing locale 'en'"),
        ("  country: NO", "  country: DE", "jurisdiction:", "jurisdiction.state", "federal state"),
    ],
)
def test_each_bad_input_names_line_key_and_fix(tmp_path, old, new, needle, key, words):
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    found = problems(tmp_path, text)
    match = [p for p in found if p.key == key]
    assert match, f"no problem for {key}: {[str(p) for p in found]}"
    problem = match[0]
    assert words in str(problem)
    assert problem.line == line_of(text, needle)
    assert problem.hint, "every problem says how to fix it"


def test_http_allowed_for_localhost(tmp_path):
    text = GOOD.replace("https://api.test.example", "http://127.0.0.1:8000").replace(
        "http://127.0.0.1:8000/withdraw", "http://localhost:8000/withdraw")
    campaign, found = load(write(tmp_path, text))
    assert found == [] and campaign.endpoints.origins() == ["http://127.0.0.1:8000", "http://localhost:8000"]


def test_yaml_syntax_error_names_line(tmp_path):
    text = GOOD.replace("  country: NO", "  country: [NO")
    (problem,) = problems(tmp_path, text)
    assert "YAML syntax error" in problem.message
    assert problem.line == line_of(text, "country: [NO")  # where the [ opens, not the line after
    assert problem.key == "jurisdiction.country"


def test_duplicate_yaml_key(tmp_path):
    text = GOOD.replace("locales: [nb, en]", "locales: [nb, en]\nlocales: [en]")
    (problem,) = [p for p in problems(tmp_path, text) if "duplicate key" in p.message]
    assert problem.key == "locales"
    assert problem.line == line_of(text, "locales: [en]")


def test_all_errors_in_a_file_reported_at_once(tmp_path):
    text = (GOOD.replace("  name: Test Shop\n", "  nmae: Test Shop\n")
            .replace("channel: whatsapp", "channel: fax")
            .replace("https://api.test.example/confirm", "ftp://x"))
    keys = {p.key for p in problems(tmp_path, text)}
    assert {"brand.nmae", "purposes[0].channel", "endpoints.confirm"} <= keys


def test_duplicate_campaign_ids_across_files(tmp_path):
    a = write(tmp_path, GOOD, "a.yaml")
    b = write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(CampaignError) as info:
        load_all([a, b])
    (problem,) = info.value.problems
    assert problem.file == str(b) and problem.key == "id" and "duplicate campaign id" in problem.message
    assert problem.line == 1


def test_cli_exit_code_2_and_no_traceback(tmp_path):
    bad = write(tmp_path, GOOD.replace("channel: whatsapp", "channel: fax"))
    proc = subprocess.run([sys.executable, "-m", "generator", "build", str(bad), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert f"{bad}:{line_of(GOOD, 'channel: whatsapp')}: purposes[0].channel: unknown channel 'fax'" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_empty_and_non_mapping_files(tmp_path):
    assert "empty" in str(problems(tmp_path, "")[0])
    assert "mapping" in str(problems(tmp_path, "- a\n- b\n")[0])


def test_missing_file_is_clean_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "cannot read the file" in result.output
    assert isinstance(result.exception, SystemExit)


# --- audit follow-ups ---------------------------------------------------------------------------

# A Malaysian controller names the PDPA s.129 ground of every transfer (no default is assumed).
MS_PROVIDERS = """providers:
  whatsapp:
    name: Meta Platforms Ireland Ltd (WhatsApp Business Platform)
    country: IE
    pdpa_transfer: due_diligence
    hosting: {name: "Meta Platforms, Inc.", country: US, pdpa_transfer: due_diligence}
"""
MY_CONTACT = '  phone: "+60 3-2000 0000"\n  contact_designation: Privacy Officer\njurisdiction:'
MS_ONLY = (GOOD.replace("country: NO", "country: MY").replace("locales: [nb, en]", "locales: [ms]")
           .replace("jurisdiction:", MY_CONTACT, 1)
           .replace("default_locale: nb\n", "").replace("    purpose: offers", "    wording: {ms: tawaran kek}")
           .replace("purposes:\n", MS_PROVIDERS + "purposes:\n"))


def test_ms_pages_need_english_custom_wording(tmp_path):
    """ms pages always show English too (PDPA 2010 s.7(3)), so custom wording needs `en:` even
    when en is not a campaign locale: an error, not a KeyError traceback at build time."""
    (problem,) = problems(tmp_path, MS_ONLY)
    assert problem.key == "purposes[0].wording"
    assert problem.line == line_of(MS_ONLY, "wording:")
    assert "purpose 'offers' is missing locale 'en'" in problem.message
    assert "'ms' pages show every consent text in English" in problem.hint and "PDPA" in problem.hint
    fixed = MS_ONLY.replace("{ms: tawaran kek}", "{ms: tawaran kek, en: cake offers}")
    campaign, found = load(write(tmp_path, fixed))
    assert found == [] and campaign.purposes[0].wording["en"] == "cake offers"


def test_ms_without_en_build_exits_2_without_traceback(tmp_path):
    bad = write(tmp_path, MS_ONLY)
    proc = subprocess.run([sys.executable, "-m", "generator", "build", str(bad), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert f"{bad}:{line_of(MS_ONLY, 'wording:')}: purposes[0].wording: custom wording" in proc.stderr


def test_opt_out_keywords_cover_second_languages(tmp_path):
    text = MS_ONLY.replace("{ms: tawaran kek}", "{ms: tawaran kek, en: cake offers}") + (
        "  - id: orders\n    channel: sms\n    purpose: order_updates\n"
        "opt_out:\n  whatsapp: {ms: BERHENTI}\n")
    campaign, found = load(write(tmp_path, text))
    assert found == []
    assert vocab.page_languages(campaign.locales) == ["ms", "en"]
    # configured for ms; English falls back to the channel's default (WhatsApp STOP, SMS in MY BERHENTI)
    assert campaign.opt_out == {"whatsapp": {"ms": "BERHENTI", "en": "STOP"},
                                "sms": {"ms": "BERHENTI", "en": "BERHENTI"}}


def test_duplicate_campaign_id_names_the_line_of_id(tmp_path):
    text = "# yaml-language-server: $schema=../generator/schema/campaign.schema.json\n# Second shop\n" + GOOD
    a = write(tmp_path, GOOD, "a.yaml")
    b = write(tmp_path, text, "b.yaml")
    with pytest.raises(CampaignError) as info:
        load_all([a, b])
    (problem,) = info.value.problems
    assert problem.file == str(b) and problem.key == "id"
    assert problem.line == line_of(text, "id: test-shop") == 3


def test_unclosed_quote_is_reported_where_the_quote_opens(tmp_path):
    """PyYAML's problem mark is the end of the file (line 20 here); the fix goes on line 3."""
    text = GOOD.replace("  name: Test Shop\n", '  name: "Kedai Ujian\n')
    (problem,) = problems(tmp_path, text)
    assert problem.line == 3 == line_of(text, '"Kedai Ujian')
    assert problem.key == "brand.name"
    assert "YAML syntax error" in problem.message and "never closed" in problem.message
    assert 'closing "' in problem.hint


def test_unclosed_quote_in_a_list_item_names_its_key(tmp_path):
    text = GOOD + '  - id: orders\n    channel: sms\n    purpose: "order_updates\n'
    (problem,) = problems(tmp_path, text)
    assert problem.line == line_of(text, '"order_updates') and problem.key == "purposes[1].purpose"


def test_unclosed_quote_closed_by_a_later_quote(tmp_path):
    text = (GOOD.replace("  name: Test Shop\n", '  name: "Kedai Ujian\n')
            .replace("  address: Gate 1, Oslo", '  address: "Gate 1, Oslo"'))
    (problem,) = problems(tmp_path, text)
    assert problem.line == 3 and problem.key == "brand.name"
    assert f"runs on to line {line_of(text, 'address:')}" in problem.message


def test_unclosed_bracket_is_reported_where_it_opens(tmp_path):
    text = GOOD.replace("  country: NO", "  country: [NO")
    (problem,) = problems(tmp_path, text)
    assert problem.line == line_of(text, "country: [NO") and problem.key == "jurisdiction.country"
    assert "the [ on this line is not closed" in problem.message and "]" in problem.hint


def test_mapping_value_error_names_line_and_key(tmp_path):
    text = GOOD.replace("  address: Gate 1, Oslo", "  address: Gate: 1, Oslo")
    (problem,) = problems(tmp_path, text)
    assert problem.line == line_of(text, "address: Gate:") and problem.key == "controller.address"


def test_schema_and_semantic_problems_reported_together(tmp_path):
    """An unknown key fails the schema; the missing logo and a default_locale outside locales are
    found anyway, each on its own line."""
    text = (GOOD.replace("  name: Test Shop\n", "  name: Test Shop\n  logo: missing.svg\n")
            .replace("default_locale: nb", "default_locale: es")
            .replace("locales: [nb, en]", "locales: [nb, en]\ncolour: blue"))
    found = {p.key: p for p in problems(tmp_path, text)}
    assert set(found) == {"colour", "brand.logo", "default_locale"}, [str(p) for p in found.values()]
    assert found["colour"].line == line_of(text, "colour:") and "unknown key" in found["colour"].message
    assert found["brand.logo"].line == line_of(text, "logo:") and "does not exist" in found["brand.logo"].message
    assert found["default_locale"].line == line_of(text, "default_locale:")
    assert "not in locales" in found["default_locale"].message


def test_semantic_checks_survive_malformed_parts(tmp_path):
    """Wrong-typed parts get their schema error, never a crash or a second error for the same key."""
    text = (GOOD.replace("  name: Test Shop\n", "  name: Test Shop\n  colors: {primary: blue, text: '#eeeeee'}\n")
            .replace("jurisdiction:\n  country: NO", "jurisdiction: Norway")
            .replace("locales: [nb, en]", "locales: nb")
            .replace("    purpose: offers", "    wording: [tilbud]"))
    found = problems(tmp_path, text)
    keys = [p.key for p in found]
    assert len(keys) == len(set(keys)), [str(p) for p in found]
    assert {"brand.colors.primary", "jurisdiction", "locales", "purposes[0].wording"} <= set(keys)
    assert "brand.colors.text" in keys  # #eeeeee on white is checked although primary is malformed
    german = GOOD.replace("  country: NO", "  country: DE\n  state: [BE]")
    (problem,) = problems(tmp_path, german)
    assert problem.key == "jurisdiction.state" and problem.line == line_of(german, "state:")


@pytest.mark.parametrize("theme,words", [("fancy", "use one of: compact, default"), ("defualt", "did you mean 'default'")])
def test_unknown_theme_names_file_line_and_key(tmp_path, theme, words):
    text = GOOD + f"theme: {theme}\n"
    (problem,) = problems(tmp_path, text)
    assert problem.key == "theme" and problem.line == line_of(text, "theme:")
    assert f"theme {theme!r} not found" in problem.message and words in problem.hint


@pytest.mark.parametrize("url,ok", [("https://optin.test.example", True), ("https://test.example/signup/", True),
                                    ("http://localhost:8000", True), ("http://127.0.0.1/site", True),
                                    ("http://optin.test.example", False), ("https://", False),
                                    ("optin.test.example", False)])
def test_base_url_https_or_localhost(tmp_path, url, ok):
    text = GOOD + f"base_url: {url}\n"
    campaign, found = load(write(tmp_path, text))
    if ok:
        assert found == [] and campaign.base_url == url.rstrip("/")
        return
    (problem,) = found
    assert problem.key == "base_url" and problem.line == line_of(text, "base_url:")
    assert "must be an https URL (http is allowed only for localhost)" in problem.message


def test_publish_warning_without_base_url(tmp_path):
    from generator.campaign.advice import publish_warnings
    from generator.campaign.model import Endpoints

    campaign, _ = load(write(tmp_path, GOOD))
    (warning,) = [w for w in publish_warnings(campaign) if ": base_url:" in w]
    assert warning.startswith(f"{tmp_path / 'c.yaml'}: base_url: not set")
    assert "/test-shop/nb/thanks.html" in warning and "set `base_url:`" in warning
    with_base = load(write(tmp_path, GOOD + "base_url: https://optin.test.example\n"))[0]
    assert [w for w in publish_warnings(with_base) if ": base_url:" in w] == []
    local = Endpoints("http://127.0.0.1:8000/s", "http://localhost:8000/c", "http://[::1]:8000/w")
    served = [w for w in publish_warnings(campaign.with_endpoints(local)) if ": base_url:" in w]
    assert served == []  # optin serve: the bundled receiver
