"""Who hosts the website and the receiver (`hosting:`): required, named in every locale's notice
as processors (asserted on the rendered text), a data processing agreement stated only when the
campaign records one, their transfers under the same rules as the providers', and both listed in
the record of processing (validated against its schema)."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator, FormatChecker

from generator.cli.main import main
from generator.errors import CampaignError
from generator.legal import record
from generator.pipeline.build import build
from generator.site import notices
from support import projects

BASE = """\
id: hosted
brand:
  name: Fjord Kaffe
controller:
  name: Fjord Kaffe AS
  address: Bryggen 3, 5003 Bergen
  email: personvern@fjordkaffe.example
{controller_extra}jurisdiction:
  country: {country}
locales: {locales}
endpoints:
  submit: https://api.fjordkaffe.example/submit
  confirm: https://api.fjordkaffe.example/confirm
  withdraw: https://api.fjordkaffe.example/withdraw
purposes:
  - id: news
    channel: email
    purpose: newsletter
providers:
  email: {{name: Brevo SAS, country: FR{ground}}}
{hosting}"""
EEA_HOSTS = """\
hosting:
  website:
    name: Fjellnett Hosting AS
    country: NO
  receiver:
    name: Kaamos Cloud Oy
    country: FI
"""
ALL = "[nb, de, ms, en, es]"
# The sentences naming the hosts (no agreement recorded), per language, as each page shows them.
WEBSITE = {
    "en": "This website is hosted by Fjellnett Hosting AS (Norway), our processor, which sees your network (IP) "
          "address when you open it.",
    "nb": "Dette nettstedet driftes av Fjellnett Hosting AS (Norge), vår databehandler, som ser nettverksadressen "
          "din (IP-adressen) når du åpner det.",
    "de": "Diese Website wird von Fjellnett Hosting AS (Norwegen) als unserem Auftragsverarbeiter gehostet, der "
          "beim Aufruf der Website Ihre Netzwerkadresse (IP-Adresse) erhält.",
    "ms": "Laman web ini dihoskan oleh Fjellnett Hosting AS (Norway), pemproses data kami, yang dapat melihat "
          "alamat rangkaian (IP) anda apabila anda membukanya.",
    "es": "Este sitio web lo aloja Fjellnett Hosting AS (Noruega), nuestro encargado del tratamiento, que ve tu "
          "dirección de red (IP) cuando lo abres.",
}
RECEIVER = {
    "en": "The data you send with the form is received and stored by our receiver on the systems of Kaamos Cloud "
          "Oy (Finland), our processor.",
    "nb": "Opplysningene du sender med skjemaet, blir mottatt og lagret av mottakstjenesten vår på systemene til "
          "Kaamos Cloud Oy (Finland), vår databehandler.",
    "de": "Die Daten, die Sie mit dem Formular senden, nimmt unser Empfangsdienst entgegen und speichert sie auf den "
          "Systemen von Kaamos Cloud Oy (Finnland), unserem Auftragsverarbeiter.",
    "ms": "Data yang anda hantar melalui borang ini diterima dan disimpan oleh perkhidmatan penerima kami pada "
          "sistem Kaamos Cloud Oy (Finland), pemproses data kami.",
    "es": "Los datos que envías con el formulario los recibe y guarda nuestro servicio de recepción en los sistemas "
          "de Kaamos Cloud Oy (Finlandia), nuestro encargado del tratamiento.",
}
AGREEMENT = {"en": "data processing agreement", "nb": "databehandleravtale", "de": "Auftragsverarbeitungsvertrag",
             "ms": "perjanjian pemprosesan data", "es": "contrato de encargo del tratamiento"}


def write(tmp_path, hosting=EEA_HOSTS, country="NO", locales="[en]", ground="", controller_extra=""):
    folder = tmp_path / "campaigns"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hosted.yaml"
    if country == "MY":  # a Malaysian controller's enquiries contact (PDP Regulations 2013)
        controller_extra = '  phone: "+60 3-2000 0000"\n  contact_designation: Privacy Officer\n' + controller_extra
    path.write_text(BASE.format(hosting=hosting, country=country, locales=locales, ground=ground,
                                controller_extra=controller_extra), encoding="utf-8")
    return path


def problems(tmp_path, **kw) -> list[str]:
    path = write(tmp_path, **kw)
    with pytest.raises(CampaignError) as err:
        build(projects.project(tmp_path), [path], tmp_path / "site")
    return [str(p) for p in err.value.problems]


def notice_sections(tmp_path, lang: str) -> list[dict[str, str]]:
    """Each notice on the built privacy page of `lang` (ms pages: Bahasa Malaysia, then English),
    as section id (without the en- prefix) -> its rendered text."""
    page = (tmp_path / "site" / "hosted" / lang / "privacy.html").read_text(encoding="utf-8")
    articles = re.findall(r'<article class="notice"[^>]*>(.*?)</article>', page, re.S)
    return [{key.removeprefix("en-"): notices.normalise(html) for key, html in notices.sections(a).items()}
            for a in articles]


def built(tmp_path, **kw):
    path = write(tmp_path, **kw)
    return build(projects.project(tmp_path), [path], tmp_path / "site")


def line_of(path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


# --- required ------------------------------------------------------------------------------------

def test_a_campaign_without_hosting_fails_the_build_naming_file_line_and_key(tmp_path, monkeypatch):
    path = write(tmp_path, hosting="")
    (tmp_path / "site").mkdir()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # a clean error, no traceback
    match = re.search(rf"{re.escape(path.name)}:(\d+): hosting: required key missing in the top level \((.*)\)",
                      result.output)
    assert match, result.output
    assert "hosting: {website: {name:" in match.group(2) and "receiver: {name:" in match.group(2)
    assert list((tmp_path / "site").iterdir()) == [], "nothing published"


def test_a_missing_receiver_host_is_named_at_the_hosting_line(tmp_path):
    hosting = "hosting:\n  website: {name: Fjellnett Hosting AS, country: NO}\n"
    path = write(tmp_path, hosting=hosting)
    (found,) = problems(tmp_path, hosting=hosting)
    assert found.startswith(f"{path}:{line_of(path, 'hosting:')}: hosting.receiver: required key missing in hosting")
    assert "the receiver and its ledger" in found


# --- the notice ----------------------------------------------------------------------------------

def test_the_notice_names_both_hosts_in_every_locale(tmp_path):
    built(tmp_path, locales=ALL)
    for lang in ("nb", "de", "ms", "en", "es"):
        shown = notice_sections(tmp_path, lang)
        assert len(shown) == (2 if lang == "ms" else 1)
        for half, sections in zip((lang, "en"), shown):  # the ms page's English half too
            recipients = sections["recipients"]
            assert WEBSITE[half] in recipients and RECEIVER[half] in recipients, (lang, half, recipients)
            assert AGREEMENT[half] not in recipients, "no agreement recorded: none stated"
    transfers = notice_sections(tmp_path, "en")[0]["transfers"]
    assert "We do not transfer your data outside the EEA." in transfers  # Norway and Finland: no transfer


def test_an_agreement_is_stated_only_for_the_host_that_has_one(tmp_path):
    hosting = EEA_HOSTS.replace("    country: NO\n", "    country: NO\n    dpa: \"2025-01-15\"\n")
    built(tmp_path, locales=ALL, hosting=hosting)
    dated = {"en": "which sees your network (IP) address when you open it and is bound by a data processing "
                   "agreement of January 15, 2025.",
             "nb": "når du åpner det, og er bundet av en databehandleravtale av 15. januar 2025.",
             "de": "Ihre Netzwerkadresse (IP-Adresse) erhält und durch einen Auftragsverarbeitungsvertrag vom "
                   "15. Januar 2025 gebunden ist.",
             "ms": "apabila anda membukanya, dan terikat dengan perjanjian pemprosesan data bertarikh 15 Januari 2025.",
             "es": "cuando lo abres y con el que tenemos firmado un contrato de encargo del tratamiento de 15 de enero "
                   "de 2025."}
    for lang in ("nb", "de", "ms", "en", "es"):
        for half, sections in zip((lang, "en"), notice_sections(tmp_path, lang)):
            recipients = sections["recipients"]
            assert dated[half] in recipients, (half, recipients)
            assert RECEIVER[half] in recipients  # the receiver's host: no agreement, none stated
            assert recipients.count(AGREEMENT[half]) == 1, (half, recipients)


# --- transfers: the providers' rules -------------------------------------------------------------

US_WEBSITE = "hosting:\n  website: {{name: Skyhost Inc., country: US{basis}}}\n  receiver: {{name: Kaamos Cloud Oy, country: FI}}\n"


def test_a_us_website_host_needs_a_basis_none_is_assumed(tmp_path):
    path = write(tmp_path, hosting=US_WEBSITE.format(basis=""))
    found = problems(tmp_path, hosting=US_WEBSITE.format(basis=""))
    assert found == [f"{path}:{line_of(path, 'website:')}: hosting.website.transfer: Skyhost Inc. is outside the EEA "
                     "(US): the notice must name the transfer basis (GDPR Art. 13(1)(f)); none is assumed (add "
                     "`transfer:` (adequacy, dpf, scc; dpf only for a US organisation certified under the Data "
                     "Privacy Framework))"], found


def test_a_us_host_cannot_claim_adequacy(tmp_path):
    found = problems(tmp_path, hosting=US_WEBSITE.format(basis=", transfer: adequacy"))
    assert any("hosting.website.transfer: US has no adequacy decision" in p and "`dpf`" in p and "`scc`" in p
               for p in found), found


def test_a_us_host_without_dpf_certification_is_under_standard_contractual_clauses(tmp_path):
    built(tmp_path, locales="[en, nb]", hosting=US_WEBSITE.format(basis=", transfer: scc"))
    en = notice_sections(tmp_path, "en")[0]
    assert "United States: Skyhost Inc. processes your data there. Transfer basis: the European Commission's " \
           "standard contractual clauses (GDPR Article 46(2)(c))." in en["transfers"]
    assert "You can get a copy of the standard contractual clauses from personvern@fjordkaffe.example" \
        in en["transfers"]
    assert "This website is hosted by Skyhost Inc. (United States), our processor" in en["recipients"]
    nb = notice_sections(tmp_path, "nb")[0]["transfers"]
    assert "USA: Skyhost Inc. behandler opplysningene dine der. Overføringsgrunnlag: Europakommisjonens " \
           "standardkontraktsbestemmelser" in nb


def test_a_dpf_certified_us_host_gets_the_dpf_decision(tmp_path):
    built(tmp_path, hosting=US_WEBSITE.format(basis=", transfer: dpf"))
    transfers = notice_sections(tmp_path, "en")[0]["transfers"]
    assert "United States: Skyhost Inc. processes your data there" in transfers and "(EU) 2023/1795" in transfers
    assert "copy" not in transfers


def test_a_host_in_an_adequate_country_gets_its_adequacy_decision(tmp_path):
    hosting = EEA_HOSTS.replace("Kaamos Cloud Oy\n    country: FI\n", "Alpenwolke AG\n    country: CH\n    transfer: adequacy\n")
    built(tmp_path, hosting=hosting)
    transfers = notice_sections(tmp_path, "en")[0]["transfers"]
    assert "Switzerland: Alpenwolke AG processes your data there. Transfer basis: an adequacy decision of the " \
           "European Commission for this country (Commission Decision 2000/518/EC)." in transfers
    assert "copy" not in transfers


def test_a_basis_for_a_host_in_the_eea_is_refused(tmp_path):
    hosting = EEA_HOSTS.replace("    country: FI\n", "    country: FI\n    transfer: scc\n")
    path = write(tmp_path, hosting=hosting)
    (found,) = problems(tmp_path, hosting=hosting)
    assert found.startswith(f"{path}:{line_of(path, 'transfer: scc')}: hosting.receiver.transfer: Kaamos Cloud Oy "
                            "is in the EEA"), found


MY_HOSTS = """\
hosting:
  website: {name: Awan Rimba Hosting Sdn. Bhd., country: MY}
  receiver: {name: Lion City Cloud Pte. Ltd., country: SG%s}
"""


def test_a_malaysian_controllers_host_abroad_needs_a_s129_ground(tmp_path):
    found = problems(tmp_path, country="MY", locales="[ms]", ground=", pdpa_transfer: similar_law",
                     hosting=MY_HOSTS % "")
    assert any("hosting.receiver.pdpa_transfer" in p and "s.129" in p for p in found), found
    assert not any("hosting.website" in p for p in found), "a host in Malaysia transfers nothing"
    built(tmp_path, country="MY", locales="[ms]", ground=", pdpa_transfer: similar_law",
          hosting=MY_HOSTS % ", pdpa_transfer: due_diligence")
    ms, en = notice_sections(tmp_path, "ms")
    assert "Singapura: Lion City Cloud Pte. Ltd. memproses data anda di sana." in ms["transfers"]
    assert "seksyen 129(3)(f)" in ms["transfers"] and "Awan Rimba" not in ms["transfers"]
    assert "Singapore: Lion City Cloud Pte. Ltd. processes your data there." in en["transfers"]
    assert "Laman web ini dihoskan oleh Awan Rimba Hosting Sdn. Bhd. (Malaysia)" in ms["recipients"]
    assert "This website is hosted by Awan Rimba Hosting Sdn. Bhd. (Malaysia)" in en["recipients"]


# --- the record of processing --------------------------------------------------------------------

def test_the_record_lists_both_hosts_with_their_transfer(tmp_path, monkeypatch):
    hosting = US_WEBSITE.format(basis=", transfer: scc").replace("country: FI}", "country: FI, dpa: '2025-02-03'}")
    write(tmp_path, hosting=hosting)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["record", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    Draft202012Validator(record.schema(), format_checker=FormatChecker()).validate(document)
    (rec,) = document["campaigns"]
    website, receiver, email = rec["recipients"]
    assert (website["host"], website["channel"], website["name"], website["country"], website["dpa"]) == \
        ("website", None, "Skyhost Inc.", "US", None)
    assert (receiver["host"], receiver["name"], receiver["dpa"]) == ("receiver", "Kaamos Cloud Oy", "2025-02-03")
    assert website["operations"] == [] and {"proof", "consent_messages", "abuse_prevention"} <= set(receiver["operations"])
    assert (email["host"], email["channel"]) == (None, "email")
    assert [(t["law"], t["host"], t["channel"], t["recipient"], t["basis"], t["safeguard_copy"])
            for t in rec["transfers"]] == [("GDPR", "website", None, "Skyhost Inc.", "scc", True)]
    roles = {(p["name"], p["role"]) for p in document["processors"]}
    assert {("Skyhost Inc.", "website host"), ("Kaamos Cloud Oy", "receiver host"), ("Brevo SAS", "processor")} == roles
    todo = " ".join(rec["to_complete"])
    assert "No data processing agreement is recorded for Skyhost Inc. (GDPR Art. 28(3)): add `hosting.website.dpa`" in todo
    assert "Kaamos Cloud Oy (GDPR" not in todo and "the systems of Kaamos Cloud Oy" in todo
    text = CliRunner().invoke(main, ["record"]).output
    assert "| website host | Skyhost Inc. | US | itself | not recorded | no |" in text
    assert "| receiver host | Kaamos Cloud Oy | FI | itself | 2025-02-03 | no |" in text
