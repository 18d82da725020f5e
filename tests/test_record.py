"""`optin record`: the record of processing built from copies of the example campaigns and from
crafted ones, its JSON validated against the schema shipped in the package, the Markdown and
HTML read back, and the CLI's exit codes."""
from __future__ import annotations

import json
import re
import tomllib
from html.parser import HTMLParser

import markdown
import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator, FormatChecker

from generator.cli.main import main
from generator.legal import record, record_render
from support import projects
from support.projects import REPO

MY_ONLY = """\
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
  website: {name: Awan Ujian Sdn. Bhd., country: MY, dpa: "2025-02-01"}
  receiver: {name: Awan Ujian Sdn. Bhd., country: MY, dpa: "2025-02-01"}
purposes:
  - id: promos
    channel: whatsapp
    purpose: offers
    retention_months: 7
  - id: birthday
    channel: whatsapp
    purpose: birthday
    retention_months: 9
unconfirmed_days: 10
proof_years: 5
providers:
  whatsapp:
    name: Meta Platforms Ireland Ltd (WhatsApp Business Platform)
    country: IE
    pdpa_transfer: due_diligence
    dpa: "2025-02-01"
    hosting:
      name: Meta Platforms, Inc.
      country: US
record:
  data_subjects: [Members of the Kedai Kecil loyalty club]
  measures:
    - "TLS 1.3 on the receiver <img src=x onerror=alert(1)> [click](javascript:alert(1)) *bold*"
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the example project, the current folder of the commands."""
    monkeypatch.chdir(tmp_path)
    return projects.example_project(tmp_path)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def record_json(*args: str) -> dict:
    result = run("record", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def by_id(document: dict, cid: str) -> dict:
    return next(c for c in document["campaigns"] if c["id"] == cid)


def crafted(project) -> None:
    (project.campaigns_dir / "kedai-kecil.yaml").write_text(MY_ONLY, encoding="utf-8")


def test_json_is_valid_against_the_shipped_schema(project):
    crafted(project)
    document = record_json()
    Draft202012Validator(record.schema(), format_checker=FormatChecker()).validate(document)
    assert [c["id"] for c in document["campaigns"]] == ["kedai-harmoni", "kedai-kecil", "nordlys-sko"]
    # the schema is package data: inside generator/, which the wheel ships whole
    wheel = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["packages"] == ["generator"]
    assert (REPO / "generator" / "legal" / "schema" / "record.schema.json").is_file()


def test_a_record_the_schema_refuses(project):
    """The schema is strict: a field too many or a wrong value fails (so the test above can fail)."""
    document = record_json("nordlys-sko")
    validator = Draft202012Validator(record.schema())
    document["campaigns"][0]["transfers"][0]["basis"] = "trust_me"
    document["campaigns"][0]["surprise"] = True
    messages = sorted(e.message for e in validator.iter_errors(document))
    assert any("trust_me" in m for m in messages) and any("surprise" in m for m in messages)


def test_laws_per_campaign(project):
    crafted(project)
    document = record_json()
    nordlys, kedai, kecil = (by_id(document, c) for c in ("nordlys-sko", "kedai-harmoni", "kedai-kecil"))
    assert nordlys["law"]["laws"] == ["GDPR"] and nordlys["law"]["gdpr_scope"].startswith("Art. 3(1)")
    assert nordlys["representative"] is None and not nordlys["representative_required"]
    assert nordlys["dpo"]["name"] == "Kari Nordmann"
    assert kedai["law"]["laws"] == ["PDPA 2010", "GDPR"] and kedai["law"]["gdpr_scope"].startswith("Art. 3(2)(a)")
    assert "nb, de, es" in kedai["law"]["gdpr_scope"]
    assert kedai["representative"]["name"] == "Harmoni EU Representative GmbH" and kedai["representative_required"]
    assert kecil["law"]["laws"] == ["PDPA 2010"] and not kecil["law"]["gdpr"]
    assert "no Art. 30 record" in kecil["law"]["record"] and "not a statutory term" in kecil["law"]["record"]
    assert all(b["law"] == "PDPA 2010" for op in kecil["operations"] for b in op["bases"])
    assert {b["law"] for op in kedai["operations"] for b in op["bases"]} == {"PDPA 2010", "GDPR"}
    assert {document["controllers"][i]["country"] for i in range(3)} == {"MY", "NO"}


def test_transfers_and_processors_as_the_campaign_states_them(project):
    document = record_json()
    kedai, nordlys = by_id(document, "kedai-harmoni"), by_id(document, "nordlys-sko")
    assert {(t["law"], t["recipient"], t["country"], t["basis"]) for t in kedai["transfers"]} == {
        ("GDPR", "Awan Rimba Hosting Sdn. Bhd.", "MY", "scc"),  # the hosts, for the EEA pages
        ("PDPA 2010", "Meta Platforms Ireland Ltd (WhatsApp Business Platform)", "IE", "due_diligence"),
        ("PDPA 2010", "Meta Platforms, Inc.", "US", "due_diligence"),
        ("GDPR", "Meta Platforms, Inc.", "US", "dpf"),
        ("PDPA 2010", "Brevo SAS", "FR", "similar_law"),
    }
    dpf = next(t for t in kedai["transfers"] if t["basis"] == "dpf")
    assert dpf["decision"] == "Commission Implementing Decision (EU) 2023/1795" and not dpf["safeguard_copy"]
    assert [(t["law"], t["recipient"], t["basis"]) for t in nordlys["transfers"]] == [("GDPR", "Meta Platforms, Inc.", "dpf")]
    assert [(r["channel"], r["name"], r["hosting"]) for r in nordlys["recipients"]] == [
        (None, "Fjellnett Hosting AS", None), (None, "Kaamos Cloud Oy", None),
        ("whatsapp", "Meta Platforms Ireland Ltd (WhatsApp Business Platform)",
         {"name": "Meta Platforms, Inc.", "country": "US"}),
        ("sms", "Link Mobility AS", None)]
    meta = next(p for p in document["processors"] if p["name"].startswith("Meta Platforms Ireland"))
    assert meta["campaigns"] == ["kedai-harmoni", "nordlys-sko"] and meta["role"] == "processor"


def test_markdown_lists_kedai_harmonis_processors_and_transfer_bases(project):
    result = run("record", "kedai-harmoni")
    assert result.exit_code == 0, result.output
    text = result.output
    transfers = text.split("### Transfers to third countries")[1].split("###")[0]
    rows = [line for line in transfers.splitlines() if line.startswith("| ") and "---" not in line][1:]
    due_diligence = ("`due_diligence`: we have taken all reasonable precautions and exercised all due diligence, "
                     "including a written contract with the recipient, so that your data is not processed there in "
                     "a way that would breach the Personal Data Protection Act 2010 (section 129(3)(f))")
    scc = "`scc`: the European Commission's standard contractual clauses (GDPR Article 46(2)(c))"
    assert [row.split(" | ")[:4] for row in rows] == [
        ["| GDPR", "Awan Rimba Hosting Sdn. Bhd.", "MY", scc], ["| GDPR", "Awan Rimba Hosting Sdn. Bhd.", "MY", scc],
        ["| PDPA 2010", "Meta Platforms Ireland Ltd (WhatsApp Business Platform)", "IE", due_diligence],
        ["| PDPA 2010", "Meta Platforms, Inc.", "US", due_diligence],
        ["| GDPR", "Meta Platforms, Inc.", "US", ("`dpf`: the European Commission's adequacy decision for organisations "
         "certified under the EU–US Data Privacy Framework (Commission Implementing Decision (EU) 2023/1795)")],
        ["| PDPA 2010", "Brevo SAS", "FR", ("`similar_law`: the law there is substantially similar to the Personal Data "
         "Protection Act 2010, or ensures a level of protection at least equivalent to it (section 129)")],
    ]
    recipients = text.split("### Recipients and processors")[1].split("###")[0]
    assert "| whatsapp | Meta Platforms Ireland Ltd (WhatsApp Business Platform) | IE | Meta Platforms, Inc. (US) |" in recipients
    assert "| email | Brevo SAS | FR | itself | not recorded |" in recipients
    assert "No data processing agreement is recorded for Brevo SAS (GDPR Art. 28(3))" in text
    assert "Representative in the EU/EEA (GDPR Art. 27): Harmoni EU Representative GmbH" in text
    assert "nordlys-sko" not in text  # only the campaign asked for


def test_data_categories_and_retention_come_from_the_campaign(project):
    from generator.campaign.model import load_all

    crafted(project)
    kecil = by_id(record_json("kedai-kecil"), "kedai-kecil")
    categories = {c["id"]: c["purposes"] for c in kecil["data_categories"]}
    assert categories["phone"] == ["promos", "birthday"] and categories["birthday"] == ["birthday"]
    assert "email" not in categories and "name" not in categories  # only what the purposes need
    (campaign,) = load_all([project.campaign_file("kedai-kecil")], project)
    periods = {r["key"]: r for r in kecil["retention"] if r["key"]}
    assert [periods[f"purposes[{i}].retention_months"]["months"] for i in range(2)] == \
        [p.retention_months for p in campaign.purposes] == [7, 9]
    assert periods["unconfirmed_days"]["days"] == campaign.unconfirmed_days == 10
    assert periods["proof_years"]["years"] == campaign.proof_years == 5
    assert "7 months from the last confirmation" in run("record", "kedai-kecil").output
    nordlys = by_id(record_json("nordlys-sko"), "nordlys-sko")
    assert [c["id"] for c in nordlys["data_categories"]][:1] == ["phone"]
    assert "email" not in {c["id"] for c in nordlys["data_categories"]}


def test_measures_are_optins_own_and_the_campaigns(project):
    crafted(project)
    kecil = by_id(record_json("kedai-kecil"), "kedai-kecil")
    ours = [m["measure"] for m in kecil["measures"] if m["source"] == "optin"]
    declared = [m["measure"] for m in kecil["measures"] if m["source"] == "campaign"]
    assert any("HMAC-SHA256" in m for m in ours) and any("hash chain" in m for m in ours)
    assert any("secure_delete" in m for m in ours)
    assert not any("TLS" in m for m in ours)  # the operator's: only as the campaign declares it
    assert declared[0].startswith("TLS 1.3 on the receiver")
    assert kecil["data_subjects"][1] == "Members of the Kedai Kecil loyalty club"
    assert not any("processing agreement" in item for item in kecil["to_complete"])  # its dpa is given


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.handlers, self.style = [], [], ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        self._in_style = tag == "style"

    def handle_data(self, data):
        if self._in_style:
            self.style += data

    def handle_endtag(self, tag):
        self._in_style = False


def test_html_is_escaped_self_contained_and_without_handlers(project):
    crafted(project)
    out = project.root / "record.html"
    result = run("record", "--format", "html", "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    parser = Tags()
    parser.feed(page)
    assert "img" not in parser.tags and "script" not in parser.tags and "a" not in parser.tags
    assert parser.handlers == []
    assert "TLS 1.3 on the receiver &lt;img src=x onerror=alert(1)&gt;" in page
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src &#39;none&#39;" in csp
    assert parser.style == record_render.CSS  # the hash in the CSP is of exactly this style
    assert "Meta Platforms, Inc." in page and "<code>due_diligence</code>" in page


def test_markdown_escapes_campaign_values(project):
    crafted(project)
    text = run("record", "kedai-kecil").output
    rendered = markdown.markdown(text, extensions=["tables"])
    assert "<img" not in rendered and "<a " not in rendered and "<em>bold" not in rendered
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and r"\[click\]" in text


def test_out_writes_the_same_document(project):
    out = project.root / "docs" / "record.md"
    result = run("record", "--out", str(out))
    assert result.exit_code == 0 and f"wrote {out}" in result.output
    assert out.read_text(encoding="utf-8") == run("record").output


def test_exit_codes(project):
    result = CliRunner().invoke(main, ["record", "nope"])
    assert result.exit_code == 2
    assert "unknown campaign 'nope'" in result.output and "kedai-harmoni, nordlys-sko" in result.output
    assert isinstance(result.exception, SystemExit)
    assert CliRunner().invoke(main, ["record", "--format", "pdf"]).exit_code == 2
    (project.campaigns_dir / "broken.yaml").write_text("id: broken\nbrand: [\n", encoding="utf-8")
    broken = CliRunner().invoke(main, ["record"])
    assert broken.exit_code == 2 and "broken.yaml" in broken.output
    assert CliRunner().invoke(main, ["record", "nordlys-sko"]).exit_code == 0


def _fields(node: dict, schema: dict, seen: set) -> set[str]:
    """Every property name of the record schema, nested ones included."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return set()
        seen.add(name)
        return _fields(schema["$defs"][name], schema, seen)
    out = set(node.get("properties", {}))
    for child in [*node.get("properties", {}).values(), node.get("items"), *node.get("oneOf", [])]:
        if isinstance(child, dict) and child:
            out |= _fields(child, schema, seen)
    return out


def test_every_field_is_documented_in_the_legal_guide():
    schema = record.schema()
    guide = (REPO / "docs" / "legal.md").read_text(encoding="utf-8")
    section = guide.split("## The record of processing")[1].split("\n## ")[0]
    missing = sorted(f for f in _fields(schema, schema, set()) if f"`{f}`" not in section)
    assert missing == []
