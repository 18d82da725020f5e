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
{hosting}purposes:
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


def hosts(country: str, locales: str) -> str:
    """Hosts that need no transfer basis of their own: in the EEA, or for a Malaysian controller
    in Malaysia (under standard contractual clauses once EEA pages make the GDPR apply)."""
    if country != "MY":
        return "hosting:\n  website: {name: Fjordvert AS, country: NO}\n  receiver: {name: Fjordvert AS, country: NO}\n"
    basis = ", transfer: scc" if any(lang in locales for lang in ("nb", "de", "es")) else ""
    return (f"hosting:\n  website: {{name: Awan Ujian Sdn. Bhd., country: MY{basis}}}\n"
            f"  receiver: {{name: Awan Ujian Sdn. Bhd., country: MY{basis}}}\n")


# a Malaysian controller's enquiries contact: a telephone number and a designation (PDP Regulations 2013)
MY_CONTACT = '  phone: "+60 3-2000 0000"\n  contact_designation: Privacy Officer\n'


def campaign(tmp_path, country="NO", locales="[en]", providers="", extra="", controller_extra="", hosting=None,
             my_contact=MY_CONTACT):
    if country == "MY":  # what the fixture does not give itself
        controller_extra = "".join(line + "\n" for line in my_contact.splitlines()
                                   if line.split(":")[0] + ":" not in controller_extra) + controller_extra
    folder = tmp_path / "campaigns"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "truth.yaml"
    text = BASE.format(country=country, locales=locales, controller_extra=controller_extra, extra=extra,
                       hosting=hosts(country, locales) if hosting is None else hosting)
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


def test_withdraw_page_names_each_reply_word_with_its_channel(tmp_path):
    path = campaign(tmp_path, locales="[en, es]", extra="opt_out: {whatsapp: STOPP, sms: UNSUB}\n")
    build(projects.project(tmp_path), [path], tmp_path / "site")
    en, es = (notices.normalise((tmp_path / "site" / "truth" / lang / "withdraw.html").read_text(encoding="utf-8"))
              for lang in ("en", "es"))
    assert "You can also reply STOPP to any of our WhatsApp messages." in en
    assert "You can also reply UNSUB to any of our text messages (SMS)." in en
    assert "to any message" not in en
    assert "STOPP a cualquiera de nuestros mensajes de WhatsApp" in es and "UNSUB a cualquiera de nuestros SMS" in es


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


# --- legal basis per processing operation ---------------------------------------------------------

def test_each_processing_operation_has_its_own_basis(tmp_path):
    text = section(tmp_path, "purposes")
    assert "Legal basis: your consent (GDPR Article 6(1)(a))" in text
    assert "One message asking you to confirm your sign-up" in text
    assert "Legal basis: our legitimate interest in these checks (GDPR Article 6(1)(f))" in text
    assert "our legal obligation to be able to prove your consent (GDPR Article 6(1)(c) with Article 7(1))" in text
    assert "once your consent has ended, our legitimate interest in defending legal claims (GDPR Article 6(1)(f))" in text
    assert "network (IP) address" in text and "deleted within two hours" in text
    assert "our legitimate interest in protecting our form and the people whose numbers or addresses someone " \
           "else might enter (GDPR Article 6(1)(f))" in text
    # Art. 7(1) is never cited as if it were a basis of its own
    assert text.count("7(1)") == text.count("6(1)(c) with Article 7(1)") == 1
    assert "We collect only what the messages you tick need: your mobile number and your email address" in text


def test_malaysian_controller_cites_the_pdpa_and_the_2013_regulations(tmp_path):
    path = campaign(tmp_path, country="MY", locales="[ms]", providers=MY_PROVIDERS)
    build(projects.project(tmp_path), [path], tmp_path / "site")
    page = (tmp_path / "site" / "truth" / "ms" / "privacy.html").read_text(encoding="utf-8")
    ms, en = re.findall(r'<article class="notice"[^>]*>(.*?)</article>', page, re.S)
    en_purposes = notices.normalise(notices.sections(en)["en-purposes"])
    assert "Legal basis: your consent (Personal Data Protection Act 2010, section 6(1))" in en_purposes
    assert "Personal Data Protection Regulations 2013, which require us to record your consent and keep " \
           "that record (regulation 3(1))" in en_purposes
    assert "GDPR" not in en_purposes, "no GDPR basis where the GDPR does not apply"
    ms_purposes = notices.normalise(notices.sections(ms)["purposes"])
    assert "seksyen 6(1) Akta Perlindungan Data Peribadi 2010" in ms_purposes
    assert "Peraturan-Peraturan Perlindungan Data Peribadi 2013" in ms_purposes and "GDPR" not in ms_purposes


# --- PDPA (as amended 2024) for a Malaysian controller ------------------------------------------

def test_malaysian_controller_needs_a_telephone_and_a_designated_contact(tmp_path):
    found = problems(tmp_path, country="MY", locales="[ms]", providers=MY_PROVIDERS, my_contact="")
    assert any("controller.phone" in p and "Personal Data Protection Regulations 2013" in p for p in found)
    assert any("controller.contact_designation" in p and "add `contact_designation:" in p for p in found)
    # a title per locale must cover English too (ms pages show it)
    found = problems(tmp_path, country="MY", locales="[ms]", providers=MY_PROVIDERS,
                     my_contact='  phone: "+60 3-2000 0000"\n  contact_designation: {ms: Pegawai Privasi}\n')
    assert any("controller.contact_designation" in p and "no designation in en" in p for p in found)


def test_designated_contact_is_named_in_both_halves_and_a_dpo_takes_its_place(tmp_path):
    mine = '  phone: "+60 3-2000 0000"\n  contact_designation: {ms: Pegawai Privasi, en: Privacy Officer}\n'
    path = campaign(tmp_path, country="MY", locales="[ms]", providers=MY_PROVIDERS, my_contact=mine)
    build(projects.project(tmp_path), [path], tmp_path / "site")
    page = (tmp_path / "site" / "truth" / "ms" / "privacy.html").read_text(encoding="utf-8")
    ms, en = (notices.normalise(a) for a in re.findall(r'<article class="notice"[^>]*>(.*?)</article>', page, re.S))
    assert "hubungi Pegawai Privasi kami di personvern@fjordkaffe.example atau melalui telefon di +60 3-2000 0000" in ms
    assert "contact our Privacy Officer at personvern@fjordkaffe.example or by telephone on +60 3-2000 0000" in en
    path = campaign(tmp_path, country="MY", locales="[ms]", providers=MY_PROVIDERS, controller_extra=DPO, my_contact=mine)
    build(projects.project(tmp_path), [path], tmp_path / "site")
    text = notices.normalise((tmp_path / "site" / "truth" / "ms" / "privacy.html").read_text(encoding="utf-8"))
    assert "contact our data protection officer at dpo@example.com" in text and "Privacy Officer" not in text


DPO = """\
  phone: "+60 3-2000 0000"
  dpo: {name: Nur Aisyah, email: dpo@example.com}
"""


def test_pdpa_rights_with_their_sections_and_gdpr_rights_only_as_an_extra(tmp_path):
    path = campaign(tmp_path, country="MY", locales="[ms]", providers=MY_PROVIDERS, controller_extra=DPO)
    build(projects.project(tmp_path), [path], tmp_path / "site")
    page = (tmp_path / "site" / "truth" / "ms" / "privacy.html").read_text(encoding="utf-8")
    assert "pengguna data" not in page and "pengawal data di bawah Akta Perlindungan Data Peribadi 2010" in page
    ms, en = re.findall(r'<article class="notice"[^>]*>(.*?)</article>', page, re.S)
    rights = notices.normalise(notices.sections(en)["en-rights"])
    for right in ("(section 30)", "(section 34)", "(section 38; see below)", "substantial damage or distress "
                  "(section 42)", "(data portability, section 43A)"):
        assert right in rights, right
    assert "Direct marketing: you can at any time ask us in writing to stop processing your data for direct " \
           "marketing, and we then stop (section 43)" in rights
    assert "Article 15" not in rights and "Beyond what the Act requires, we also erase your data" in rights
    # s.7(1)(d) enquiries and complaints, in both halves; s.12A DPO
    assert "For enquiries or complaints about your personal data, and to use these rights, contact our data " \
           "protection officer at dpo@example.com or by telephone on +60 3-2000 0000" in rights
    assert "Untuk sebarang pertanyaan atau aduan tentang data peribadi anda" in notices.normalise(ms)
    assert "+60 3-2000 0000" in notices.normalise(notices.sections(ms)["rights"])
    assert "Data protection officer (section 12A of the Act): Nur Aisyah" in notices.normalise(en)
    assert "Pegawai perlindungan data (seksyen 12A Akta): Nur Aisyah" in notices.normalise(ms)
    # s.7(1)(a): the personal data collected
    assert "Kami hanya mengumpul apa yang diperlukan oleh mesej yang anda tandakan: nombor telefon bimbit anda " \
           "dan alamat e-mel anda" in notices.normalise(ms)


def test_gdpr_layer_lists_the_gdpr_rights_and_bases_next_to_the_pdpa_ones(tmp_path):
    providers = MY_PROVIDERS.replace('country: US}', 'country: US, transfer: dpf}')
    kw = dict(lang="nb", country="MY", locales="[ms, nb]", providers=providers, controller_extra=REP)
    rights = section(tmp_path, "rights", **kw)
    assert "(dataportabilitet, paragraf 43A)" in rights and "Er du i EØS, har du etter personvernforordningen også rett til å" in rights
    assert "(artikkel 17)" in rights and "personvernforordningen artikkel 21 nr. 2 og 3" in rights
    purposes = section(tmp_path, "purposes", **kw)
    assert "i EØS vår berettigede interesse i disse kontrollene (personvernforordningen artikkel 6 nr. 1 bokstav f)" \
        in purposes
    gdpr = section(tmp_path, "gdpr", **kw)
    assert "behandlingsgrunnlaget er samtykket ditt" not in gdpr and "for hver bruk av opplysningene" in gdpr


def test_every_page_of_a_malaysian_controller_links_the_notice_in_malay_and_english(tmp_path):
    providers = MY_PROVIDERS.replace('country: US}', 'country: US, transfer: dpf}')
    path = campaign(tmp_path, country="MY", locales="[ms, en, nb]", providers=providers, controller_extra=REP)
    build(projects.project(tmp_path), [path], tmp_path / "site")
    site = tmp_path / "site" / "truth"
    for lang, wanted in (("nb", ['href="../ms/privacy.html"', 'href="../en/privacy.html"']),
                         ("en", ['href="../ms/privacy.html"'])):
        for name in ("index.html", "confirm.html"):
            html = (site / lang / name).read_text(encoding="utf-8")
            links = re.search(r'<p class="bilingual-notice">(.*?)</p>', html, re.S)
            assert links, (lang, name)
            assert html.index("bilingual-notice") < html.index('<fieldset class="purposes"'), "before the boxes"
            assert all(w in links.group(1) for w in wanted), (lang, name, links.group(1))
            assert '<a href="../ms/privacy.html" rel="alternate" lang="ms" hreflang="ms">Notis privasi dalam ' \
                   'Bahasa Malaysia</a>' in links.group(1)
    assert 'lang="en" hreflang="en">Privacy notice in English</a>' in (site / "nb" / "index.html").read_text()
    assert "bilingual-notice" not in (site / "ms" / "index.html").read_text(encoding="utf-8"), "shows both"


def test_a_malaysian_controller_without_a_malay_locale_fails_naming_the_key(tmp_path):
    found = problems(tmp_path, country="MY", locales="[en]", providers=MY_PROVIDERS)
    assert any("locales" in p and "s.7(3)" in p and "add ms" in p for p in found), found


# --- smaller points -------------------------------------------------------------------------------

def test_the_right_to_object_to_direct_marketing_stands_apart(tmp_path):
    path = campaign(tmp_path)
    build(projects.project(tmp_path), [path], tmp_path / "site")
    page = (tmp_path / "site" / "truth" / "en" / "privacy.html").read_text(encoding="utf-8")
    rights = notices.sections(re.findall(r'<article class="notice"[^>]*>(.*?)</article>', page, re.S)[0])["rights"]
    assert re.search(r'<p class="item-object-marketing"><strong>Direct marketing:</strong> you can object at any '
                     r'time to the use of your data for direct marketing, and we then stop it \(GDPR Article '
                     r'21\(2\) and \(3\)\)\.</p>', rights), rights


@pytest.mark.parametrize("country, lang, extra, expected", [
    ("NO", "en", "", "You can sign up yourself from the age of 13, the age set in Norway for consent to online "
                     "services (GDPR Article 8)."),
    ("ES", "es", "", "Puedes suscribirte a partir de los 14 años, la edad fijada en España para consentir "
                     "servicios en línea (artículo 8 del RGPD)."),
    ("DE\n  state: BY", "de", "", "Sie können sich ab 16 Jahren selbst anmelden; das ist die in Deutschland "
                                  "geltende Altersgrenze für die Einwilligung in Online-Dienste (Art. 8 DSGVO)."),
    ("NO", "en", "minimum_age: 18\n", "You can sign up yourself from the age of 18. If you are younger"),
])
def test_age_statement_per_jurisdiction_and_configurable(tmp_path, country, lang, extra, expected):
    locales = f"[{lang}]" if lang != "en" else "[en]"
    text = section(tmp_path, "requirement", lang=lang, country=country, locales=locales, extra=extra)
    assert expected in text, text
    if extra:
        assert "Norway" not in text, "a campaign's own age is not presented as the national one"


def test_malaysian_age_is_18_with_a_parent_or_guardian(tmp_path):
    path = campaign(tmp_path, country="MY", locales="[ms]", providers=MY_PROVIDERS)
    build(projects.project(tmp_path), [path], tmp_path / "site")
    page = notices.normalise((tmp_path / "site" / "truth" / "ms" / "privacy.html").read_text(encoding="utf-8"))
    assert "You can sign up yourself from the age of 18; for anyone under 18, a parent or guardian would have " \
           "to consent" in page
    assert "Anda boleh mendaftar sendiri mulai umur 18 tahun" in page
    signup = notices.normalise((tmp_path / "site" / "truth" / "ms" / "index.html").read_text(encoding="utf-8"))
    assert "Anda boleh mendaftar mulai umur 18 tahun." in signup and "You can sign up from the age of 18." in signup


def test_country_names_in_addresses_are_in_the_page_language(tmp_path):
    norge = "  address: Bryggen 3, 5003 Bergen\n"
    edit = dict(controller_extra="  dpo: {name: Kari, email: dpo@example.com, address: 'Gate 1, Oslo', "
                                 "country: NO}\n")
    path = campaign(tmp_path, locales="[nb, en, de, es]", **edit)
    path.write_text(path.read_text(encoding="utf-8").replace(norge, "  address: Bryggen 3, 5003 Bergen, Norge\n"),
                    encoding="utf-8")
    build(projects.project(tmp_path), [path], tmp_path / "site")
    for lang, name in (("nb", "Norge"), ("en", "Norway"), ("de", "Norwegen"), ("es", "Noruega")):
        page = (tmp_path / "site" / "truth" / lang / "privacy.html").read_text(encoding="utf-8")
        text = notices.normalise(notices.sections(re.findall(r'<article[^>]*>(.*?)</article>', page, re.S)[0])
                                 ["controller"])
        assert f"Bryggen 3, 5003 Bergen, {name}," in text and f"Gate 1, Oslo, {name}" in text, (lang, text)
        if lang != "nb":
            assert "Norge" not in text


def test_an_address_ending_in_another_country_fails_naming_the_key(tmp_path):
    path = campaign(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("5003 Bergen\n", "5003 Bergen, Sweden\n"),
                    encoding="utf-8")
    with pytest.raises(CampaignError) as err:
        build(projects.project(tmp_path), [path], tmp_path / "site")
    assert any(p.key == "controller.address" and "(SE)" in p.message and "(NO)" in p.message
               for p in err.value.problems), err.value.problems


def test_recipient_list_labels_are_capitalised(tmp_path):
    text = section(tmp_path, "recipients", providers="  email: {name: Brevo SAS, country: FR}\n")
    assert "Email: Brevo SAS" in text and "email: Brevo" not in text


def test_spanish_marketing_prefix_per_country_and_page_language(tmp_path):
    import json
    path = campaign(tmp_path, country="ES", locales="[es, en]")
    build(projects.project(tmp_path), [path], tmp_path / "site")
    data = json.loads((tmp_path / "site" / "truth" / "marketing.json").read_text(encoding="utf-8"))
    assert data["prefix"] == {"es": "Publi", "en": "Publi"}, "a Spanish controller labels every locale (LSSI art. 20)"
    messages = json.loads((tmp_path / "site" / "truth" / "messages.json").read_text(encoding="utf-8"))
    assert not messages["es"]["whatsapp"]["confirmation"].startswith("Publi"), "a confirmation is no advertising"
    path = campaign(tmp_path, country="NO", locales="[nb, es]")
    build(projects.project(tmp_path), [path], tmp_path / "site2")
    data = json.loads((tmp_path / "site2" / "truth" / "marketing.json").read_text(encoding="utf-8"))
    assert data["prefix"] == {"nb": "", "es": "Publi"}
    path = campaign(tmp_path, country="NO", locales="[nb, es]", extra="marketing_prefix: {es: Publicidad}\n")
    build(projects.project(tmp_path), [path], tmp_path / "site3")
    data = json.loads((tmp_path / "site3" / "truth" / "marketing.json").read_text(encoding="utf-8"))
    assert data["prefix"] == {"nb": "", "es": "Publicidad"}


@pytest.mark.parametrize("extra, expected", [
    ("", "A message already on its way may still arrive within the next 24 hours; after that, you get no more of "
         "these messages."),
    ("stop_within_hours: 2\n", "may still arrive within the next 2 hours"),
    ("stop_within_hours: 0\n", "we have recorded just now that these messages must stop: no further messages "
                               "will be sent."),
])
def test_withdraw_page_says_what_happens_and_by_when(tmp_path, extra, expected):
    path = campaign(tmp_path, extra=extra)
    build(projects.project(tmp_path), [path], tmp_path / "site")
    html = (tmp_path / "site" / "truth" / "en" / "withdraw.html").read_text(encoding="utf-8")
    done = notices.normalise(re.search(r'<div id="withdrawn".*?</div>', html, re.S).group(0))
    assert done.startswith("Done: your withdrawal is recorded.") and expected in done, done
    assert "these messages are stopped" not in html


def test_a_page_in_an_ambiguous_language_asks_for_the_country_code(tmp_path):
    path = campaign(tmp_path, locales="[nb, en, de]")
    build(projects.project(tmp_path), [path], tmp_path / "site")
    for lang, code, hint in (("nb", "47", "Hvis du utelater den, bruker vi +47."),
                             ("en", "", "Start with + and your country code, for example +47."),
                             ("de", "", "Beginnen Sie mit + und der Ländervorwahl, zum Beispiel +47.")):
        for name in ("index.html", "withdraw.html"):
            html = (tmp_path / "site" / "truth" / lang / name).read_text(encoding="utf-8")
            assert f'<input type="hidden" name="country_code" value="{code}">' in html, (lang, name)
            assert hint in html, (lang, name)
        assert f'data-calling-code="{code}"' in (tmp_path / "site" / "truth" / lang / "index.html").read_text()


def test_the_receiver_gives_no_default_code_when_the_page_sent_none(tmp_path):
    from support.receiver import Rx
    from generator.receiver.contacts import phone_e164
    from generator.site.views import resolve
    rx = Rx(tmp_path / "ledger.sqlite")
    view = resolve(rx.app.campaigns["nordlys-sko"], "en", rx.project.locales)
    body = {"campaign": "nordlys-sko", "locale": "en", "purposes": ["offers"], "phone": "912 34 567",
            "notice_version": view.notice_version, "wording_version": view.wording_version}
    refused = rx.post("submit", {**body, "country_code": ""})
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_phone"
    assert rx.post("submit", {**body, "country_code": "", "phone": "+47 912 34 567"}).status_code == 202
    assert rx.sent[-1].recipient == "+4791234567"
    # a client that sends no code at all (an API call, the command line) still gets the campaign's
    assert phone_e164("912 34 567", None, "NO") == "+4791234567" and phone_e164("912 34 567", "0", "NO") is None


def test_server_side_errors_have_their_own_heading(tmp_path):
    from support.receiver import FORM, NAV, NOTICE, WORDING, Rx
    from generator.receiver.ratelimit import Limit, Limits
    rx = Rx(tmp_path / "ledger.sqlite", limits=Limits(per_address=Limit(1, 600)))
    form = f"campaign=nordlys-sko&locale=en&purposes=offers&phone=12&notice_version={NOTICE}&wording_version={WORDING}"
    first = rx.post("submit", form, FORM, **NAV).get_data(as_text=True)
    assert "<h1>Please check your details</h1>" in first and 'data-error="invalid_phone"' in first
    limited = rx.post("submit", form, FORM, **NAV).get_data(as_text=True)
    assert 'data-error="rate_limited"' in limited, limited
    assert "<h1>Too many attempts</h1>" in limited and "Please check your details" not in limited
