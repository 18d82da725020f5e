"""Resolve a campaign for one locale: translated labels, summary, notice and their versions.

Everything here is computed once per campaign and locale, then shared by every page.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import phonenumbers
from babel.core import Locale, get_global
from babel.languages import get_official_languages
from babel.lists import format_list
from babel.units import format_unit
from markupsafe import Markup

from generator.site import notices
from generator.campaign import transfers, vocab
from generator.campaign.model import Campaign, Purpose
from generator.i18n.formatting import days, long_date, months, years
from generator.i18n.locales import Locales

# How to stop, shown next to each checkbox of the signup form.
STOP_BY_REPLY = vocab.N_("You can stop at any time: reply %(keyword)s.")
STOP_BY_LINK = vocab.N_("You can stop at any time: every email has an unsubscribe link.")
# The ways to withdraw, joined with the language's "or" (the notice's withdraw item).
WITHDRAW_PAGE = vocab.N_("use the [withdrawal page](%(url)s)")
REPLY_TO = {"whatsapp": vocab.N_("reply %(keyword)s to any of our WhatsApp messages"),
            "sms": vocab.N_("reply %(keyword)s to any of our text messages (SMS)")}
UNSUBSCRIBE_LINK = vocab.N_("use the unsubscribe link in any of our emails")
# The personal data a sign-up collects besides the choices and the proof (PDPA s.7(1)(a)).
DATA_FIELDS = {"phone": vocab.N_("your mobile number"), "email": vocab.N_("your email address"),
               "name": vocab.N_("your name"), "birthday": vocab.N_("your birthday")}
# Pages of a Malaysian controller link the notice in both languages of PDPA s.7(3), each
# named in its own language (rendered with that language's catalog).
BILINGUAL = {"ms": vocab.N_("Privacy notice in Bahasa Malaysia"), "en": vocab.N_("Privacy notice in English")}


@dataclass(frozen=True)
class PurposeView:
    id: str
    channel: str
    label: str
    topic: str
    retention: str
    keyword: str  # reply keyword to stop ("" for email: unsubscribe link)
    stop: str = ""  # how to stop, shown next to the checkbox (form)


@dataclass(frozen=True)
class Wording:
    """Consent wording and notice in one language (a page may show two, e.g. ms + en)."""

    lang: str
    purposes: tuple[PurposeView, ...]
    summary: Markup
    notice: Markup


@dataclass(frozen=True)
class LocaleView:
    lang: str
    primary: Wording
    secondary: Wording | None
    notice_version: str  # sha256 hex of the rendered notice text
    wording_version: str  # sha256 hex of labels + summary as rendered
    calling_code: int  # put before a number typed without +; 0: the page asks for +country
    example_code: int = 0  # the controller's calling code, for the "for example +47" hints
    stop_within: str = ""  # "24 hours" a withdrawal may take to reach every sender; "" at once
    bilingual: tuple[tuple[str, str, str], ...] = ()  # (lang, link text, href): PDPA s.7(3)

    @property
    def wordings(self) -> list[Wording]:
        return [w for w in (self.primary, self.secondary) if w]

    @property
    def notice_file(self) -> str:
        return f"privacy-{self.notice_version[:8]}.html"


def purpose_topic(t, purpose: Purpose, lang: str) -> str:
    return purpose.wording[lang] if purpose.wording else t.ugettext(vocab.PURPOSE_TOPICS[purpose.key])


def purpose_label(t, campaign: Campaign, purpose: Purpose, lang: str) -> str:
    """The consent label, as the signup page shows it and the confirmation message repeats it."""
    return t.ugettext(vocab.CHANNEL_LABELS[purpose.channel]) % {
        "business": campaign.brand_name, "topic": purpose_topic(t, purpose, lang)}


def accepted_keywords(campaign: Campaign, channel: str, page: str) -> list[str]:
    """The reply keywords a page names for a channel: those of the page's language and of its
    second language (an ms page names BERHENTI and STOP in both halves), in that order."""
    out: list[str] = []
    for shown in (page, vocab.SECOND_LANGUAGE.get(page)):
        word = campaign.opt_out.get(channel, {}).get(shown) if shown else None
        if word and word not in out:
            out.append(word)
    return out


def either(words: list[str], lang: str, bold: bool = False) -> str:
    """'BERHENTI or STOP' in the language's own words (CLDR "or" list)."""
    words = [f"**{w}**" for w in words] if bold else words
    return format_list(words, style="or", locale=lang) if words else ""


def purpose_views(campaign: Campaign, lang: str, locales: Locales, page: str | None = None) -> tuple[PurposeView, ...]:
    t = locales.translations(lang)
    out = []
    for p in campaign.purposes:
        topic = purpose_topic(t, p, lang)
        label = purpose_label(t, campaign, p, lang)
        keyword = either(accepted_keywords(campaign, p.channel, page or lang), lang) if p.channel != "email" else ""
        stop = t.ugettext(STOP_BY_REPLY) % {"keyword": keyword} if keyword else t.ugettext(STOP_BY_LINK)
        out.append(PurposeView(p.id, p.channel, label, topic, months(p.retention_months, lang), keyword,
                               stop))
    return tuple(out)


def _recipients(campaign: Campaign, lang: str, t) -> tuple[list, list, list, list]:
    """(hosts, recipients, transfers under the controller's own law, GDPR transfers) for the
    notice. Every basis is the one the campaign states (validated in transfers.py): nothing assumed."""
    hosts = [{"role": role, "name": h.name, "country": h.country, "dpa": long_date(h.dpa, lang) if h.dpa else ""}
             for role, h in campaign.hosts.items()]
    recipients, pdpa, gdpr = [], [], []
    for ch in campaign.channels:
        p = campaign.providers.get(ch)
        if p is not None:
            recipients.append({"channel": capitalised(t.ugettext(vocab.CHANNEL_NAMES[ch])), "name": p.name,
                               "country": p.country, "hosting": p.hosting,
                               "dpa": long_date(p.dpa, lang) if p.dpa else ""})
    for law, _where, place in transfers.stated(campaign):
        if law == "pdpa":
            entry = {"name": place.name, "country": place.country,
                     "basis": t.ugettext(transfers.PDPA_GROUNDS[place.pdpa_transfer])}
        else:
            entry = {"name": place.name, "country": place.country, "safeguard": place.transfer in transfers.SAFEGUARDS,
                     "basis": transfers.basis_text(t, place.transfer, place.country)}
        listed = pdpa if law == "pdpa" else gdpr
        if entry not in listed:  # one host for the website and the receiver: one transfer
            listed.append(entry)
    return hosts, recipients, pdpa, gdpr


def withdraw_ways(campaign: Campaign, t, lang: str, page: str) -> str:
    """Every way to withdraw, each channel with its own keyword: 'use the withdrawal page,
    reply STOPP to any of our WhatsApp messages, or reply UNSUB to any of our text messages'."""
    ways = [t.ugettext(WITHDRAW_PAGE) % {"url": "withdraw.html"}]
    for ch in campaign.phone_channels:
        ways.append(t.ugettext(REPLY_TO[ch]) % {"keyword": either(accepted_keywords(campaign, ch, page), lang, bold=True)})
    if campaign.needs_email:
        ways.append(t.ugettext(UNSUBSCRIBE_LINK))
    return Markup(format_list(ways, style="or", locale=lang))  # Markdown of our own catalogs: not escaped


def capitalised(text: str) -> str:
    """'email' -> 'Email' for a list label ('E-Mail', 'e-post' -> 'E-post')."""
    return text[:1].upper() + text[1:]


def authority_name(name: str, lang: str) -> str:
    """A bilingual name ('Pesuruhjaya … / … Commissioner') in the language of the text: each
    half of an ms page names the regulator in its own language only."""
    if " / " not in name:
        return name
    ours, english = name.split(" / ", 1)
    return ours if lang == "ms" else english


def address(text: str, country: str, lang: str) -> str:
    """An address with its country in `lang` (CLDR): a trailing country name is replaced
    ('…, Norge' -> '…, Norway' on an English page), else the given country is added."""
    rest, written = vocab.split_country(text)
    code = written or country
    if not text or not code:
        return text
    return f"{rest}, {notices.country_namer(lang)(code)}"


def local_controller(campaign: Campaign, lang: str):
    """The controller with every address in the language of the text."""
    c = campaign.controller
    contacts = {k: replace(x, address=address(x.address, x.country, lang)) if x and x.address else x
                for k, x in (("dpo", c.dpo), ("representative", c.representative))}
    return replace(c, address=address(c.address, c.country, lang), **contacts)


@lru_cache(maxsize=None)
def calling_code(country: str, lang: str) -> int:
    """The code a number typed without + gets on a page in `lang`: the controller's when `lang`
    is an official language of its country, else the one code of every country where `lang` is
    official; 0 when that is ambiguous (de, es, en…: the page asks for +country instead of
    silently giving a visitor the controller's code)."""
    base = lang.split("_")[0]
    if base in get_official_languages(country, de_facto=True):
        return phonenumbers.country_code_for_region(country) or 0
    codes = {_region_codes().get(t, 0) for t in get_global("territory_languages")
             if base in get_official_languages(t, de_facto=True)} - {0}
    return codes.pop() if len(codes) == 1 else 0


@lru_cache(maxsize=None)
def _region_codes() -> dict[str, int]:
    """Region -> calling code, what country_code_for_region gives, from phonenumbers' own table
    (asking per region loads each region's metadata: a tenth of a second for all of them)."""
    return {region: code for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items() for region in regions}


def bilingual_links(campaign: Campaign, lang: str, locales: Locales) -> tuple[tuple[str, str, str], ...]:
    """A Malaysian controller's pages in a locale without both languages link the notice in
    Bahasa Malaysia and in English (the ms privacy page shows both, PDPA s.7(3))."""
    if not campaign.malaysia or vocab.SECOND_LANGUAGE.get(lang):
        return ()
    href = {"ms": "../ms/privacy.html", "en": "../en/privacy.html" if "en" in campaign.locales
            else "../ms/privacy.html#notice-en"}
    return tuple((shown, locales.translations(shown).ugettext(BILINGUAL[shown]), href[shown])
                 for shown in ("ms", "en") if shown != lang)


def collected(campaign: Campaign, t, lang: str) -> str:
    """'your mobile number and your email address': the fields the form may ask for."""
    return format_list([t.ugettext(DATA_FIELDS[f]) for f, ids in campaign.needed_by.items() if ids], locale=lang)


def notice_context(campaign: Campaign, lang: str, purposes: tuple[PurposeView, ...], locales: Locales,
                   page: str | None = None) -> dict:
    t = locales.translations(lang)
    hosts, recipients, pdpa, gdpr = _recipients(campaign, lang, t)
    return {
        "campaign": campaign, "brand": campaign.brand_name, "controller": local_controller(campaign, lang),
        "designation": campaign.controller.designations.get(lang) or campaign.controller.designations.get("*", ""),
        "authority": campaign.authority, "authority_name": authority_name(campaign.authority.name, lang),
        "purposes": purposes, "hosts": hosts, "recipients": recipients,
        "transfers": pdpa if campaign.malaysia else gdpr,
        "gdpr_transfers": gdpr if campaign.malaysia else [],
        "copy_safeguards": any(r["safeguard"] for r in gdpr),
        "keywords": sorted({w for ch in campaign.phone_channels for w in accepted_keywords(campaign, ch, page or lang)}),
        "withdraw_ways": withdraw_ways(campaign, t, lang, page or lang),
        "has_email": campaign.needs_email, "withdraw_url": "withdraw.html",
        "malaysia": campaign.malaysia, "gdpr": campaign.gdpr, "eea": campaign.country in vocab.EEA,
        "collected": collected(campaign, t, lang), "minimum_age": campaign.minimum_age,
        "age_national": campaign.minimum_age == vocab.MINIMUM_AGE.get(campaign.country), "country": campaign.country,
        "unconfirmed": days(campaign.unconfirmed_days, lang), "proof": years(campaign.proof_years, lang),
        # the summary gives one retention line: the longest period is true of every purpose
        "longest_retention": months(max(p.retention_months for p in campaign.purposes), lang),
    }


def _wording(campaign: Campaign, lang: str, locales: Locales, page: str) -> Wording:
    purposes = purpose_views(campaign, lang, locales, page)
    ctx = notice_context(campaign, lang, purposes, locales, page)
    notice = notices.render(lang, ctx, locales, campaign.notice_extra.get(lang, ""))  # checks the required items
    summary = notices.render_wording("summary.html", locales, lang, second=page != lang,
                                     language_name=Locale.parse(lang).display_name, **ctx)
    return Wording(lang, purposes, summary, notice.html)


def resolve(campaign: Campaign, lang: str, locales: Locales) -> LocaleView:
    primary = _wording(campaign, lang, locales, lang)
    second = vocab.SECOND_LANGUAGE.get(lang)  # PDPA 2010 s.7(3): ms pages show BM and English
    secondary = _wording(campaign, second, locales, lang) if second else None
    wordings = [w for w in (primary, secondary) if w]
    notice_version = notices.content_hash(*(w.notice for w in wordings))
    wording_version = notices.content_hash(*(f"{p.label}\n{p.stop}\n" for w in wordings for p in w.purposes),
                                           *(w.summary for w in wordings))
    hours = campaign.stop_within_hours
    return LocaleView(lang, primary, secondary, notice_version, wording_version, calling_code(campaign.country, lang),
                      phonenumbers.country_code_for_region(campaign.country) or 0,
                      format_unit(hours, "duration-hour", length="long", locale=lang) if hours else "",
                      bilingual_links(campaign, lang, locales))


def resolve_all(campaign: Campaign, locales: Locales) -> dict[str, LocaleView]:
    """Every locale of a campaign, exactly as the build renders them (review and approval use
    the same views, so legal approves what is published)."""
    return {lang: resolve(campaign, lang, locales) for lang in campaign.locales}
