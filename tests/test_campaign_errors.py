"""Bad campaign input: every error names file, line and key, says how to fix it, exits 2,
never prints a traceback, and all errors in a file come at once."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.campaign import load, load_all
from generator.cli import main
from generator.errors import CampaignError

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
purposes:
  - id: offers
    channel: whatsapp
    purpose: offers
"""


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
    assert problem.line in (line_of(text, "country: [NO"), line_of(text, "country: [NO") + 1)


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


def test_missing_file_is_clean_error(tmp_path):
    result = CliRunner().invoke(main, ["build", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "cannot read the file" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
