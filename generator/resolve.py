"""Resolve a campaign for one locale: translated labels, summary, notice and their versions.

Everything here is computed once per campaign and locale, then shared by every page.
"""
from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from markupsafe import Markup

from . import i18n, notices, vocab
from .campaign import Campaign
from .render import Renderer

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


def purpose_views(campaign: Campaign, lang: str) -> tuple[PurposeView, ...]:
    t = i18n.translations(lang)
    out = []
    for p in campaign.purposes:
        topic = p.wording[lang] if p.wording else t.ugettext(vocab.PURPOSE_TOPICS[p.key])
        label = t.ugettext(vocab.CHANNEL_LABELS[p.channel]) % {"business": campaign.brand_name, "topic": topic}
        keyword = campaign.opt_out.get(p.channel, {}).get(lang, "") if p.channel != "email" else ""
        stop = t.ugettext(STOP_BY_REPLY) % {"keyword": keyword} if keyword else t.ugettext(STOP_BY_LINK)
        out.append(PurposeView(p.id, p.channel, label, topic, i18n.months(p.retention_months, lang), keyword,
                               stop))
    return tuple(out)


def notice_context(campaign: Campaign, lang: str, purposes: tuple[PurposeView, ...]) -> dict:
    t = i18n.translations(lang)
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


def _wording(campaign: Campaign, lang: str, renderer: Renderer) -> Wording:
    purposes = purpose_views(campaign, lang)
    ctx = notice_context(campaign, lang, purposes)
    notice = notices.render(lang, ctx, campaign.notice_extra.get(lang, ""))  # checks the required items
    summary = Markup(renderer.render("_summary.html", i18n.translations(lang), lang=lang, **ctx))
    return Wording(lang, purposes, summary, notice.html)


def resolve(campaign: Campaign, lang: str, renderer: Renderer) -> LocaleView:
    primary = _wording(campaign, lang, renderer)
    second = vocab.SECOND_LANGUAGE.get(lang)  # PDPA 2010 s.7(3): ms pages show BM and English
    secondary = _wording(campaign, second, renderer) if second else None
    wordings = [w for w in (primary, secondary) if w]
    notice_version = notices.content_hash(*(w.notice for w in wordings))
    wording_version = notices.content_hash(*(f"{p.label}\n{p.stop}\n" for w in wordings for p in w.purposes),
                                           *(w.summary for w in wordings))
    code = phonenumbers.country_code_for_region(campaign.country) or 0
    return LocaleView(lang, primary, secondary, notice_version, wording_version, code)
