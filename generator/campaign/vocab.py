"""Fixed vocabulary: channels, standard purposes, authorities, calling codes, opt-out keywords.

Strings shown to people are marked with ``N_`` so ``optin i18n extract`` finds them; they are
translated at render time through the locale's catalog.
"""
from __future__ import annotations

from functools import lru_cache


def N_(text: str) -> str:  # noqa: N802 - gettext marker convention
    return text


# A locale whose pages also show every consent text in a second language: ms pages show Bahasa
# Malaysia and English (PDPA 2010 s.7(3)). Custom wording and opt-out keywords are needed for both.
SECOND_LANGUAGE = {"ms": "en"}


def page_languages(locales) -> list[str]:
    """The campaign's locales plus the second languages their pages also show, in order."""
    out: list[str] = []
    for lang in locales:
        for shown in (lang, SECOND_LANGUAGE.get(lang)):
            if shown and shown not in out:
                out.append(shown)
    return out


CHANNELS = ("whatsapp", "sms", "email")
PHONE_CHANNELS = frozenset({"whatsapp", "sms"})
EXTRA_FIELDS = ("name", "birthday")  # asked only for purposes that say so (`fields:`)
FIELDS = ("phone", "email", *EXTRA_FIELDS)  # form order
# Hosts an endpoint may use plain http for (urlsplit().hostname drops the brackets of [::1]).
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

# One label per channel; names the channel and the business (WhatsApp opt-in policy).
CHANNEL_LABELS = {
    "whatsapp": N_("WhatsApp messages from %(business)s about %(topic)s"),
    "sms": N_("Text messages (SMS) from %(business)s about %(topic)s"),
    "email": N_("Emails from %(business)s about %(topic)s"),
}
CHANNEL_NAMES = {
    "whatsapp": N_("WhatsApp"),
    "sms": N_("SMS"),
    "email": N_("email"),
}

# Standard purpose keys: the topic completing "messages from <business> about …".
PURPOSE_TOPICS = {
    "offers": N_("offers and new arrivals"),
    "order_updates": N_("your orders and deliveries"),
    "newsletter": N_("news and tips"),
    "events": N_("events and invitations"),
    "reminders": N_("appointment reminders"),
    "birthday": N_("a birthday greeting and offer"),
}
# Extra fields a standard purpose needs beyond the contact for its channel.
PURPOSE_FIELDS = {"birthday": ("birthday",)}
DEFAULT_RETENTION_MONTHS = 24  # from the last confirmation of consent (see the notice)
DEFAULT_UNCONFIRMED_DAYS = 30  # a sign-up never confirmed is deleted after this many days
DEFAULT_PROOF_YEARS = 3  # proof of consent kept after it ends (GDPR Art. 17(3)(e))

# Supervisory authority by the controller's country (GDPR Art. 13(2)(d); PDPA for MY).
AUTHORITIES = {
    "NO": ("Datatilsynet", "https://www.datatilsynet.no"),
    "ES": ("Agencia Española de Protección de Datos (AEPD)", "https://www.aepd.es"),
    "IE": ("Data Protection Commission", "https://www.dataprotection.ie"),
    "MY": ("Pesuruhjaya Perlindungan Data Peribadi / Personal Data Protection Commissioner",
           "https://www.pdp.gov.my"),
}
# Germany: the authority of the federal state where the controller is established (BDSG §40).
DE_STATE_AUTHORITIES = {
    "BW": ("Der Landesbeauftragte für den Datenschutz und die Informationsfreiheit Baden-Württemberg", "https://www.baden-wuerttemberg.datenschutz.de"),
    "BY": ("Bayerisches Landesamt für Datenschutzaufsicht", "https://www.lda.bayern.de"),
    "BE": ("Berliner Beauftragte für Datenschutz und Informationsfreiheit", "https://www.datenschutz-berlin.de"),
    "BB": ("Die Landesbeauftragte für den Datenschutz und für das Recht auf Akteneinsicht Brandenburg", "https://www.lda.brandenburg.de"),
    "HB": ("Die Landesbeauftragte für Datenschutz und Informationsfreiheit der Freien Hansestadt Bremen", "https://www.datenschutz.bremen.de"),
    "HH": ("Der Hamburgische Beauftragte für Datenschutz und Informationsfreiheit", "https://datenschutz-hamburg.de"),
    "HE": ("Der Hessische Beauftragte für Datenschutz und Informationsfreiheit", "https://datenschutz.hessen.de"),
    "MV": ("Der Landesbeauftragte für Datenschutz und Informationsfreiheit Mecklenburg-Vorpommern", "https://www.datenschutz-mv.de"),
    "NI": ("Die Landesbeauftragte für den Datenschutz Niedersachsen", "https://www.lfd.niedersachsen.de"),
    "NW": ("Landesbeauftragte für Datenschutz und Informationsfreiheit Nordrhein-Westfalen", "https://www.ldi.nrw.de"),
    "RP": ("Der Landesbeauftragte für den Datenschutz und die Informationsfreiheit Rheinland-Pfalz", "https://www.datenschutz.rlp.de"),
    "SL": ("Unabhängiges Datenschutzzentrum Saarland", "https://www.datenschutz.saarland.de"),
    "SN": ("Sächsische Datenschutz- und Transparenzbeauftragte", "https://www.datenschutz.sachsen.de"),
    "ST": ("Landesbeauftragter für den Datenschutz Sachsen-Anhalt", "https://datenschutz.sachsen-anhalt.de"),
    "SH": ("Unabhängiges Landeszentrum für Datenschutz Schleswig-Holstein", "https://www.datenschutzzentrum.de"),
    "TH": ("Thüringer Landesbeauftragter für den Datenschutz und die Informationsfreiheit", "https://www.tlfdi.de"),
}

# EU/EEA countries: a transfer elsewhere needs a basis (Art. 13(1)(f)); see transfers.py.
EEA = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO".split()
)
# Official languages of EEA states except English (a lingua franca, and the second language of
# every ms page): pages in one of them offer to people in the EEA (GDPR Art. 3(2)(a)).
EEA_LANGUAGES = frozenset(
    "bg cs da de el es et fi fr ga hr hu is it lt lv mt nb nl nn no pl pt ro sk sl sv".split()
)

# Who hosts what (`hosting:`, both required): the website's host sees every visitor's IP address,
# the receiver's host processes every form and the ledger. Processors the notice names; the
# transfer rules of transfers.py apply to them as to the channels' providers.
HOSTS = ("website", "receiver")

# Default processors per channel, named in the notice as recipients. WhatsApp: for businesses
# outside the US, Canada and Brazil Meta's contracting entity is Meta Platforms Ireland Ltd; the
# Cloud API runs on Meta Platforms, Inc. infrastructure in the US (listed under the EU–US Data
# Privacy Framework; check dataprivacyframework.gov). That DPF basis is used only where the
# GDPR applies; the build warns that the default is in use, and a campaign states its own
# `providers.whatsapp` (with `dpa:` once the agreement is signed) to confirm it.
DEFAULT_PROVIDERS = {
    "whatsapp": {"name": "Meta Platforms Ireland Ltd (WhatsApp Business Platform)", "country": "IE",
                 "hosting": {"name": "Meta Platforms, Inc.", "country": "US", "transfer": "dpf"}},
}

# Reply keywords to stop messages. Norwegian operators do not honour SMS "STOP" (their
# shared opt-out word is UNSUB), so SMS in Norway defaults to "UNSUB".
DEFAULT_OPT_OUT = {"whatsapp": "STOP", "sms": "STOP"}
COUNTRY_OPT_OUT = {("sms", "NO"): "UNSUB", ("sms", "MY"): "BERHENTI", ("sms", "ES"): "BAJA"}

# Age from which a person may consent on their own, by the controller's country (GDPR Art. 8 as
# set nationally; Malaysia: under 18 only through a parent or guardian, PDP Regulations 2013).
# `minimum_age:` in a campaign overrides it; elsewhere the GDPR's own default, 16.
MINIMUM_AGE = {"NO": 13, "ES": 14, "DE": 16, "MY": 18}
DEFAULT_MINIMUM_AGE = 16

# How soon a withdrawal reaches every tool that sends the messages (the withdraw page promises
# it; 0: at once). optin records it at once, but the marketing messages go out from the
# business's own tools, which take the suppression list (`optin ledger suppression`).
DEFAULT_STOP_WITHIN_HOURS = 24

# Marketing messages must say they are advertising at the start: Spain, LSSI art. 20(1)
# ("publicidad" or "publi"). By the controller's country for every locale, else by the page
# language (Spanish pages reach people in Spain; the label costs nothing elsewhere);
# `marketing_prefix:` overrides both.
MARKETING_PREFIX = {"ES": "Publi"}
MARKETING_PREFIX_LANGUAGE = {"es": "Publi"}


def marketing_prefixes(given, country: str, locales) -> dict[str, str]:
    """locale -> the word marketing messages start with ('' for none)."""
    value = given if given is not None else MARKETING_PREFIX.get(country)
    if value is None:
        return {loc: MARKETING_PREFIX_LANGUAGE.get(loc.split("_")[0], "") for loc in locales}
    return {loc: (value.get(loc, "") if isinstance(value, dict) else value) for loc in locales}

# Languages whose country names a trailing address part may be written in (CLDR names).
ADDRESS_LANGUAGES = ("en", "nb", "nn", "da", "sv", "de", "fr", "es", "it", "nl", "pt", "pl", "ms", "fi")


def split_country(address: str) -> tuple[str, str]:
    """('Storgata 12, 0155 Oslo', 'NO') for 'Storgata 12, 0155 Oslo, Norge': the last comma
    part when it is a country's CLDR name in one of ADDRESS_LANGUAGES, else (address, '')."""
    head, sep, tail = (address or "").rpartition(",")
    code = _country_code(tail.strip().casefold()) if sep else None
    return (head.rstrip(), code) if code else (address, "")


@lru_cache(maxsize=None)
def _country_code(name: str) -> str | None:
    """The first of ADDRESS_LANGUAGES naming a country `name` decides; the others' CLDR data is
    not loaded (about 10 ms a language)."""
    for lang in ADDRESS_LANGUAGES:
        code = _country_names(lang).get(name)
        if code:
            return code
    return None


@lru_cache(maxsize=None)
def _country_names(lang: str) -> dict[str, str]:
    from babel import Locale

    names: dict[str, str] = {}
    for code, name in Locale.parse(lang).territories.items():
        if len(code) == 2 and code.isalpha():
            names.setdefault(name.casefold(), code)
    return names
