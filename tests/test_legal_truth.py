"""Every published legal sentence true: a campaign that would publish a false sentence about
transfers or jurisdiction fails the build naming the key; otherwise the corrected sentence is
on the page (asserted on the rendered text)."""
from __future__ import annotations

import re

import pytest

from generator.errors import CampaignError
from generator.pipeline.build import build
from generator.site import notices
from support import projects

BASE = """\
id: truth
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
  - id: offers
    channel: whatsapp
    purpose: offers
  - id: news
    channel: email
    purpose: newsletter
  - id: orders
    channel: sms
    purpose: order_updates
{extra}"""
REP = """\
  representative:
    name: EU Rep GmbH
    email: rep@example.com
    address: Friedrichstraße 10, 10117 Berlin, Germany
"""


def campaign(tmp_path, country="NO", locales="[en]", providers="", extra="", controller_extra=""):
    folder = tmp_path / "campaigns"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "truth.yaml"
    text = BASE.format(country=country, locales=locales, controller_extra=controller_extra, extra=extra)
    path.write_text(text + (f"providers:\n{providers}" if providers else ""), encoding="utf-8")
    return path


def problems(tmp_path, **kw) -> list[str]:
    path = campaign(tmp_path, **kw)
    with pytest.raises(CampaignError) as err:
        build(projects.project(tmp_path), [path], tmp_path / "site")
    return [str(p) for p in err.value.problems]


def section(tmp_path, name, lang="en", **kw) -> str:
    path = campaign(tmp_path, **kw)
    build(projects.project(tmp_path), [path], tmp_path / "site")
    page = (tmp_path / "site" / "truth" / lang / "privacy.html").read_text(encoding="utf-8")
    article = re.findall(r'<article class="notice"[^>]*>(.*?)</article>', page, re.S)[0]
    return notices.normalise(notices.sections(article).get(name, ""))


def summary(tmp_path, lang="en", **kw) -> str:
    path = campaign(tmp_path, **kw)
    build(projects.project(tmp_path), [path], tmp_path / "site")
    page = (tmp_path / "site" / "truth" / lang / "index.html").read_text(encoding="utf-8")
    return notices.normalise(re.search(r'<div class="summary".*?</div>', page, re.S).group(0))


# --- transfers ----------------------------------------------------------------------------------

def test_adequacy_for_a_country_without_a_decision_fails_naming_the_key(tmp_path):
    found = problems(tmp_path, providers="  email: {name: Mailer Pvt Ltd, country: IN, transfer: adequacy}\n")
    assert any("providers.email.transfer" in p and "IN has no adequacy decision" in p for p in found), found


def test_adequacy_for_the_united_states_points_to_the_dpf(tmp_path):
    found = problems(tmp_path, providers="  email: {name: Mailer Inc., country: US, transfer: adequacy}\n")
    assert any("providers.email.transfer" in p and "dpf" in p for p in found), found


def test_dpf_for_a_company_outside_the_us_fails(tmp_path):
    found = problems(tmp_path, providers="  email: {name: Mailer KK, country: JP, safeguard: dpf}\n")
    assert any("providers.email.safeguard" in p and "covers only US organisations" in p for p in found), found


def test_no_basis_is_assumed_for_a_provider_outside_the_eea(tmp_path):
    found = problems(tmp_path, providers="  sms: {name: Texter Inc., country: US}\n")
    assert any("providers.sms.transfer" in p and "none is assumed" in p for p in found), found


def test_a_basis_for_a_provider_in_the_eea_is_refused(tmp_path):
    found = problems(tmp_path, providers="  email: {name: Brevo SAS, country: FR, transfer: scc}\n")
    assert any("providers.email.transfer" in p and "in the EEA" in p for p in found), found


def test_adequacy_is_a_transfer_basis_with_its_decision_and_no_copy_of_safeguards(tmp_path):
    text = section(tmp_path, "transfers", providers="  email: {name: Mailer KK, country: JP, transfer: adequacy}\n")
    assert "Japan: Mailer KK processes your data there. Transfer basis: an adequacy decision" in text
    assert "(EU) 2019/419" in text
    assert "Safeguard" not in text and "copy" not in text


def test_scc_offers_a_copy_of_the_clauses(tmp_path):
    text = section(tmp_path, "transfers", providers="  email: {name: Mailer Inc., country: US, transfer: scc}\n")
    assert "standard contractual clauses (GDPR Article 46(2)(c))" in text
    assert "You can get a copy of the standard contractual clauses" in text


def test_default_whatsapp_provider_names_the_contracting_entity_and_the_us_host(tmp_path):
    path = campaign(tmp_path)
    result = build(projects.project(tmp_path), [path], tmp_path / "site")
    assert any("providers.whatsapp: not set" in w for w in result.warnings), result.warnings
    text = section(tmp_path, "transfers")
    assert "United States: Meta Platforms, Inc." in text and "Data Privacy Framework" in text
    assert "(EU) 2023/1795" in text and "copy" not in text
    recipients = section(tmp_path, "recipients")
    assert "Meta Platforms Ireland Ltd" in recipients and "data processing agreement" not in recipients


def test_data_processing_agreement_only_when_recorded(tmp_path):
    text = section(tmp_path, "recipients",
                   providers="  email: {name: Brevo SAS, country: FR, dpa: '2025-03-01'}\n")
    assert "Brevo SAS, which delivers the messages for us as our processor, bound by a data processing " \
           "agreement of March 1, 2025" in text


MY_PROVIDERS = """\
  whatsapp:
    name: Meta Platforms Ireland Ltd
    country: IE
    pdpa_transfer: due_diligence
    hosting: {name: "Meta Platforms, Inc.", country: US}
  email: {name: Brevo SAS, country: FR, pdpa_transfer: similar_law}
"""


def test_malaysian_controller_cannot_claim_the_dpf(tmp_path):
    found = problems(tmp_path, country="MY", locales="[ms]",
                     providers="  email: {name: Mailer Inc., country: US, transfer: dpf, pdpa_transfer: due_diligence}\n")
    assert any("providers.email.transfer" in p and "EU instruments are no basis" in p for p in found), found


def test_malaysian_controller_needs_a_s129_ground_for_every_recipient_abroad(tmp_path):
    found = problems(tmp_path, country="MY", locales="[ms]", providers="  email: {name: Brevo SAS, country: FR}\n")
    assert any("providers.email.pdpa_transfer" in p and "s.129" in p for p in found), found
    assert any("providers.whatsapp.pdpa_transfer" in p for p in found), "the default WhatsApp provider too"


def test_malaysian_controller_states_the_s129_grounds(tmp_path):
    text = section(tmp_path, "transfers", lang="ms", country="MY", locales="[ms]", providers=MY_PROVIDERS)
    assert "Perancis: Brevo SAS" in text and "seksyen 129)" in text
    assert "seksyen 129(3)(f)" in text
    assert "Data Privacy Framework" not in text and "Langkah perlindungan" not in text


# --- jurisdiction ---------------------------------------------------------------------------------

def test_non_eea_controller_with_eea_language_pages_needs_a_representative(tmp_path):
    found = problems(tmp_path, country="MY", locales="[ms, nb]", providers=MY_PROVIDERS)
    assert any("controller.representative" in p and "Art. 3(2)(a)" in p and "Art. 27" in p for p in found), found


def test_non_eea_controller_with_eea_pages_renders_the_gdpr_layer(tmp_path):
    providers = MY_PROVIDERS.replace('country: US}', 'country: US, transfer: dpf}')
    text = section(tmp_path, "gdpr", lang="nb", country="MY", locales="[ms, nb]", providers=providers,
                   controller_extra=REP)
    assert "artikkel 3 nr. 2 bokstav a" in text and "artikkel 27" in text and "artikkel 77" in text
    complaint = section(tmp_path, "complaint", lang="nb", country="MY", locales="[ms, nb]", providers=providers,
                        controller_extra=REP)
    assert "Personal Data Protection Commissioner (Malaysia)" in complaint and "artikkel 77" in complaint
    transfers = section(tmp_path, "transfers", lang="nb", country="MY", locales="[ms, nb]", providers=providers,
                        controller_extra=REP)
    assert "For personer i EØS, etter personvernforordningen" in transfers and "2023/1795" in transfers


def test_gdpr_basis_for_a_us_host_is_required_once_the_gdpr_applies(tmp_path):
    found = problems(tmp_path, country="MY", locales="[ms, de]", providers=MY_PROVIDERS, controller_extra=REP)
    assert any("providers.whatsapp.hosting.transfer" in p for p in found), found


def test_eea_controller_names_its_authority_with_country_and_the_art_77_option(tmp_path):
    text = section(tmp_path, "complaint")
    assert "Datatilsynet (Norway)" in text
    assert "EEA country where you live or work" in text and "Article 77" in text


def test_danish_datatilsynet_is_named_with_its_country(tmp_path):
    extra_juris = "DK\n  authority: {name: Datatilsynet, url: 'https://www.datatilsynet.dk'}"
    text = section(tmp_path, "complaint", country=extra_juris)
    assert "Datatilsynet (Denmark)" in text


def test_each_half_of_an_ms_page_names_the_regulator_in_its_own_language(tmp_path):
    path = campaign(tmp_path, country="MY", locales="[ms]", providers=MY_PROVIDERS)
    build(projects.project(tmp_path), [path], tmp_path / "site")
    page = (tmp_path / "site" / "truth" / "ms" / "privacy.html").read_text(encoding="utf-8")
    ms, en = (notices.normalise(notices.sections(a)[k])
              for a, k in zip(re.findall(r'<article class="notice"[^>]*>(.*?)</article>', page, re.S),
                              ("complaint", "en-complaint")))
    assert "Pesuruhjaya Perlindungan Data Peribadi" in ms and "Commissioner" not in ms
    assert "Personal Data Protection Commissioner" in en and "Pesuruhjaya" not in en


# --- opt-out wording, summary, retention ---------------------------------------------------------

def test_each_channel_is_named_with_its_own_keyword(tmp_path):
    text = section(tmp_path, "withdraw", extra="opt_out: {whatsapp: STOPP, sms: UNSUB}\n")
    assert "reply STOPP to any of our WhatsApp messages, reply UNSUB to any of our text messages (SMS), " \
           "or use the unsubscribe link in any of our emails" in text


def test_ms_page_names_both_accepted_keywords_in_both_halves(tmp_path):
    path = campaign(tmp_path, country="MY", locales="[ms]", providers=MY_PROVIDERS,
                    extra="opt_out: {whatsapp: {ms: BERHENTI, en: STOP}}\n")
    build(projects.project(tmp_path), [path], tmp_path / "site")
    page = (tmp_path / "site" / "truth" / "ms" / "privacy.html").read_text(encoding="utf-8")
    text = notices.normalise(page)
    assert "membalas BERHENTI atau STOP kepada mana-mana mesej WhatsApp kami" in text
    assert "reply BERHENTI or STOP to any of our WhatsApp messages" in text


def test_summary_says_what_happens_now_after_confirming_and_to_unconfirmed_sign_ups(tmp_path):
    text = summary(tmp_path, extra="unconfirmed_days: 14\n")
    assert "we use your contact details only" not in text
    assert "Now we use your contact details for one message asking you to confirm" in text
    assert "keep a record of your sign-up as proof" in text
    assert "The messages you chose start only after you confirm" in text
    assert "unconfirmed sign-ups are deleted after 14 days" in text


def test_retention_has_a_start_the_unconfirmed_period_and_the_proof_period(tmp_path):
    text = section(tmp_path, "retention", extra="unconfirmed_days: 10\nproof_years: 5\n")
    assert "at most 24 months from your last confirmation" in text
    assert "we delete it after 10 days" in text
    assert "for 5 years afterwards" in text and "Article 17(3)(e)" in text


def test_retention_settings_are_on_the_campaign_model_with_defaults(tmp_path):
    from generator.campaign.model import load
    path = campaign(tmp_path)
    loaded, found = load(path, projects.project(tmp_path))
    assert not found and (loaded.unconfirmed_days, loaded.proof_years) == (30, 3)
