"""`optin dpia`: the WP248 screening of copies of the example campaigns and of a crafted one whose
`dpia:` answers two criteria; a checklist for legal, never a verdict; the CLI's exit codes."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from generator.cli.main import main
from generator.legal import dpia
from support import projects

IDS = ["evaluation", "automated_decision", "systematic_monitoring", "sensitive_data", "large_scale", "matching",
       "vulnerable_subjects", "innovative_technology", "prevents_rights"]
CRAFTED = """\
id: kaffe-klubb
brand:
  name: Kaffe Klubb
controller:
  name: Kaffe Klubb GmbH
  address: Hauptstraße 1, 10115 Berlin
  email: datenschutz@kaffeeklubb.example
jurisdiction:
  country: DE
  state: BE
locales: [de, en]
endpoints:
  submit: https://api.kaffeeklubb.example/submit
  confirm: https://api.kaffeeklubb.example/confirm
  withdraw: https://api.kaffeeklubb.example/withdraw
hosting:
  website: {name: Spreehost GmbH, country: DE}
  receiver: {name: Spreehost GmbH, country: DE}
purposes:
  - id: tasting
    channel: email
    wording:
      de: Verkostungen in Ihrer Nähe
      en: tastings near you
providers:
  email:
    name: Brevo SAS
    country: FR
dpia:
  expected_subjects: 50000
  evaluation: true
  large_scale: true
  matching: false
"""
MALAYSIAN = """\
id: kedai-kecil
brand:
  name: Kedai Kecil
controller:
  name: Kedai Kecil Sdn. Bhd.
  address: Jalan Ampang 1, 50450 Kuala Lumpur
  email: privasi@kedaikecil.example
  phone: "+60 3-2000 0000"
  contact_designation: Privacy Officer
jurisdiction:
  country: MY
locales: [ms, en]
endpoints:
  submit: https://api.kedaikecil.example/submit
  confirm: https://api.kedaikecil.example/confirm
  withdraw: https://api.kedaikecil.example/withdraw
hosting:
  website: {name: Awan Ujian Sdn. Bhd., country: MY}
  receiver: {name: Awan Ujian Sdn. Bhd., country: MY}
purposes:
  - id: promos
    channel: whatsapp
    purpose: offers
providers:
  whatsapp:
    name: Meta Platforms Ireland Ltd (WhatsApp Business Platform)
    country: IE
    pdpa_transfer: due_diligence
    hosting:
      name: Meta Platforms, Inc.
      country: US
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return projects.example_project(tmp_path)


def screen(*args: str) -> dict:
    result = CliRunner().invoke(main, ["dpia", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return {c["id"]: c for c in json.loads(result.output)["campaigns"]}


def status(campaign: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for c in campaign["criteria"]}


def test_the_examples(project):
    found = screen()
    assert sorted(found) == ["kedai-harmoni", "nordlys-sko"]
    for campaign in found.values():
        assert [c["id"] for c in campaign["criteria"]] == IDS and [c["number"] for c in campaign["criteria"]] == list(range(1, 10))
        assert status(campaign) == {
            "evaluation": "unknown", "automated_decision": "does_not_apply", "systematic_monitoring": "unknown",
            "sensitive_data": "does_not_apply", "large_scale": "unknown", "matching": "unknown",
            "vulnerable_subjects": "unknown", "innovative_technology": "does_not_apply",
            "prevents_rights": "does_not_apply"}
        assert campaign["counts"] == {"applies": 0, "does_not_apply": 4, "unknown": 5}
        assert all(c["question"].endswith("?") for c in campaign["criteria"])
    nordlys, kedai = found["nordlys-sko"], found["kedai-harmoni"]
    assert nordlys["law"][0].startswith("GDPR Art. 35 applies (Art. 3(1)")
    assert "Datatilsynet, https://www.datatilsynet.no" in nordlys["law"][-1]
    assert kedai["law"][0].startswith("GDPR Art. 35 applies (Art. 3(2)(a)")
    assert any("PDPA 2010" in line and "no DPIA duty" in line for line in kedai["law"])
    assert "Meta Platforms, Inc. (US), GDPR: `dpf`" in kedai["other_factors"]["transfers"]
    ages = {cid: next(c for c in found[cid]["criteria"] if c["id"] == "vulnerable_subjects")["facts"][0]
            for cid in found}
    assert "from the age of 13" in ages["nordlys-sko"] and "from the age of 18" in ages["kedai-harmoni"]
    matching = next(c for c in nordlys["criteria"] if c["id"] == "matching")
    assert any("also holds kedai-harmoni" in fact for fact in matching["facts"])


def test_markdown_is_a_checklist_not_a_verdict(project):
    result = CliRunner().invoke(main, ["dpia", "nordlys-sko"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "**A DPIA is likely required when two or more apply.**" in text
    assert text.count("- [ ] applies\n- [ ] does not apply") == 9
    assert "[x]" not in text  # legal ticks the boxes, the tool does not
    headings = re.findall(r"^### (\d)\. (.+)$", text, re.MULTILINE)
    assert [int(n) for n, _ in headings] == list(range(1, 10))
    assert headings[4][1] == "Data processed on a large scale"
    assert "**Unknown**: Will the messages be targeted by evaluating people" in text
    assert "- [ ] Two or more apply: carry out a DPIA" in text
    for verdict in ("A DPIA is required", "No DPIA is required", "DPIA required:", "DPIA needed:"):
        assert verdict not in text


def test_a_crafted_campaign_answers_some_criteria(project):
    (project.campaigns_dir / "kaffe-klubb.yaml").write_text(CRAFTED, encoding="utf-8")
    kaffe = screen("kaffe-klubb")["kaffe-klubb"]
    got = status(kaffe)
    assert got["evaluation"] == "applies" and got["large_scale"] == "applies" and got["matching"] == "does_not_apply"
    assert got["sensitive_data"] == "unknown"  # its own wording: legal checks the topic
    assert kaffe["counts"] == {"applies": 2, "does_not_apply": 4, "unknown": 3}
    evaluation = kaffe["criteria"][0]
    assert evaluation["source"] == "campaign" and evaluation["reason"] == "declared in the campaign: `dpia.evaluation: true`"
    large = next(c for c in kaffe["criteria"] if c["id"] == "large_scale")
    assert large["facts"][0] == "Expected sign-ups: 50000."
    sensitive = next(c for c in kaffe["criteria"] if c["id"] == "sensitive_data")
    assert any("tasting" in fact for fact in sensitive["facts"])
    assert "no DPIA duty" not in " ".join(kaffe["law"])  # German controller: the PDPA note is Malaysia's
    assert not {"verdict", "required", "dpia_required"} & set(kaffe)
    text = CliRunner().invoke(main, ["dpia", "kaffe-klubb"]).output
    assert "**Applies** according to the campaign (declared in the campaign: `dpia.large_scale: true`)" in text
    assert "From the campaign: 2 apply, 4 do not apply, 3 unknown" in text


def test_a_malaysian_controller_without_eea_pages(project, locales):
    from generator.campaign.model import load

    path = project.campaigns_dir / "kedai-kecil.yaml"
    path.write_text(MALAYSIAN, encoding="utf-8")
    campaign, problems = load(path, project)
    assert problems == []
    (screening,) = dpia.build([campaign], locales)["campaigns"]
    assert screening["law"][0].startswith("The GDPR does not apply")
    assert any("no DPIA duty" in line for line in screening["law"])
    assert screening["other_factors"]["transfers"] == [
        "Meta Platforms Ireland Ltd (WhatsApp Business Platform) (IE), PDPA 2010: `due_diligence`",
        "Meta Platforms, Inc. (US), PDPA 2010: `due_diligence`"]


def test_exit_codes(project):
    result = CliRunner().invoke(main, ["dpia", "nope"])
    assert result.exit_code == 2 and "unknown campaign 'nope'" in result.output
    (project.campaigns_dir / "kaffe-klubb.yaml").write_text(CRAFTED.replace("evaluation: true", "profiling: true"),
                                                             encoding="utf-8")
    wrong = CliRunner().invoke(main, ["dpia", "kaffe-klubb"])
    assert wrong.exit_code == 2 and "kaffe-klubb.yaml" in wrong.output and "profiling" in wrong.output
    assert CliRunner().invoke(main, ["dpia", "--format", "html"]).exit_code == 2
    out = project.root / "dpia.json"
    ok = CliRunner().invoke(main, ["dpia", "nordlys-sko", "--format", "json", "--out", str(out)])
    assert ok.exit_code == 0 and json.loads(out.read_text(encoding="utf-8"))["format"] == "optin-dpia-screening"
