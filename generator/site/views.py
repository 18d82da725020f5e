"""Resolve a campaign for one locale: translated labels, summary, notice and their versions.

Everything here is computed once per campaign and locale, then shared by every page.
"""
from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from markupsafe import Markup

from generator.site import notices
from generator.campaign import vocab
from generator.campaign.model import Campaign, Purpose
from generator.i18n.formatting import months
from generator.i18n.locales import Locales

# How to stop, shown next to each checkbox of the signup form.
STOP_BY_REPLY = vocab.N_("You can stop at any time: reply %(keyword)s.")
STOP_BY_LINK = vocab.N_("You can stop at any time: every email has an unsubscribe link.")


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
    calling_code: int

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


def purpose_views(campaign: Campaign, lang: str, locales: Locales) -> tuple[PurposeView, ...]:
    t = locales.translations(lang)
    out = []
    for p in campaign.purposes:
        topic = purpose_topic(t, p, lang)
        label = purpose_label(t, campaign, p, lang)
        keyword = campaign.opt_out.get(p.channel, {}).get(lang, "") if p.channel != "email" else ""
        stop = t.ugettext(STOP_BY_REPLY) % {"keyword": keyword} if keyword else t.ugettext(STOP_BY_LINK)
        out.append(PurposeView(p.id, p.channel, label, topic, months(p.retention_months, lang), keyword,
                               stop))
    return tuple(out)


def notice_context(campaign: Campaign, lang: str, purposes: tuple[PurposeView, ...], locales: Locales) -> dict:
    t = locales.translations(lang)
    used = campaign.channels
    recipients = [
        {"channel": t.ugettext(vocab.CHANNEL_NAMES[ch]), "name": campaign.providers[ch].name,
         "country": campaign.providers[ch].country,
         "safeguard": t.ugettext(vocab.SAFEGUARDS[campaign.providers[ch].safeguard])
         if campaign.providers[ch].outside_eea and campaign.providers[ch].safeguard else ""}
        for ch in used if ch in campaign.providers
    ]
    return {
        "campaign": campaign, "brand": campaign.brand_name, "controller": campaign.controller,
        "authority": campaign.authority, "purposes": purposes, "recipients": recipients,
        "transfers": [r for r in recipients if r["safeguard"]],
        "keywords": sorted({p.keyword for p in purposes if p.keyword}),
        "has_email": campaign.needs_email, "withdraw_url": "withdraw.html",
        "malaysia": campaign.country == "MY",
    }


def _wording(campaign: Campaign, lang: str, locales: Locales) -> Wording:
    purposes = purpose_views(campaign, lang, locales)
    ctx = notice_context(campaign, lang, purposes, locales)
    notice = notices.render(lang, ctx, locales, campaign.notice_extra.get(lang, ""))  # checks the required items
    summary = notices.render_wording("summary.html", locales, lang, **ctx)
    return Wording(lang, purposes, summary, notice.html)


def resolve(campaign: Campaign, lang: str, locales: Locales) -> LocaleView:
    primary = _wording(campaign, lang, locales)
    second = vocab.SECOND_LANGUAGE.get(lang)  # PDPA 2010 s.7(3): ms pages show BM and English
    secondary = _wording(campaign, second, locales) if second else None
    wordings = [w for w in (primary, secondary) if w]
    notice_version = notices.content_hash(*(w.notice for w in wordings))
    wording_version = notices.content_hash(*(f"{p.label}\n{p.stop}\n" for w in wordings for p in w.purposes),
                                           *(w.summary for w in wordings))
    code = phonenumbers.country_code_for_region(campaign.country) or 0
    return LocaleView(lang, primary, secondary, notice_version, wording_version, code)


def resolve_all(campaign: Campaign, locales: Locales) -> dict[str, LocaleView]:
    """Every locale of a campaign, exactly as the build renders them (review and approval use
    the same views, so legal approves what is published)."""
    return {lang: resolve(campaign, lang, locales) for lang in campaign.locales}
