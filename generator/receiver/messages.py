"""Texts the receiver itself sends or shows, in the campaign locale via the gettext catalogs:
the confirmation message (with the opt-out instruction) and the no-JavaScript error page."""
from __future__ import annotations

from dataclasses import dataclass

from babel.units import format_unit
from markupsafe import escape

from .. import i18n, vocab
from ..campaign import Campaign
from ..vocab import N_

SUBJECT = N_("%(business)s: please confirm your sign-up")
ASKED = N_("You asked to get messages from %(business)s:")
LINK = N_("Confirm here: %(link)s")
CODE = N_("Or type this code on the confirmation page: %(code)s")
EXPIRES = N_("The link and the code expire in %(duration)s. Nothing is switched on until you confirm.")
NOT_YOU = N_("If this was not you, ignore this message.")
STOP_KEYWORD = N_("You can stop at any time: reply %(keyword)s to any message.")
# A message covering channels with different keywords (WhatsApp STOPP, SMS UNSUB) lists each.
STOP_INTRO = N_("You can stop at any time:")
STOP_CHANNEL = N_("%(channel)s messages: reply %(keyword)s")
STOP_PAGE = N_("Or use the withdraw page: %(url)s")
STOP_EMAIL = N_("Every email has an unsubscribe link.")

ERROR_TITLE = N_("Please check your details")
BACK = N_("Back to the form")
ERRORS = {
    "no_purpose": N_("Please tick at least one kind of message."),
    "invalid_phone": N_("Please enter a valid mobile number."),
    "invalid_email": N_("Please enter a valid email address."),
    "rate_limited": N_("Too many attempts. Please wait a few minutes and try again."),
    "server_error": N_("Something went wrong on our side. Please try again later."),
}
GENERIC_ERROR = N_("The form could not be sent. Please go back and try again.")


@dataclass(frozen=True)
class Message:
    campaign: str
    locale: str
    channel: str  # whatsapp, sms or email: how a real sender would deliver it
    recipient: str
    body: str
    link: str
    code: str


def purpose_label(campaign: Campaign, purpose_id: str, lang: str) -> str:
    """The consent label as shown on the signup page (same vocabulary, same catalog)."""
    t = i18n.translations(lang)
    p = next(p for p in campaign.purposes if p.id == purpose_id)
    topic = p.wording[lang] if p.wording else t.ugettext(vocab.PURPOSE_TOPICS[p.key])
    return t.ugettext(vocab.CHANNEL_LABELS[p.channel]) % {"business": campaign.brand_name, "topic": topic}


def _text(t, msgid: str, **values) -> str:
    """The translation filled in; a translation with broken placeholders falls back to English
    rather than failing a sign-up (`optin build` reports such catalogs as errors)."""
    try:
        return t.ugettext(msgid) % values
    except (KeyError, ValueError, TypeError):
        return msgid % values


def stop_lines(campaign: Campaign, lang: str, channels: list[str]) -> list[str]:
    """How to stop: the reply keyword of every phone channel the message covers (in the
    campaign's opt_out for this locale), one line when they share it; email has its link."""
    t = i18n.translations(lang)
    keywords = {ch: campaign.opt_out.get(ch, {}).get(lang) for ch in dict.fromkeys(channels) if ch != "email"}
    keywords = {ch: kw for ch, kw in keywords.items() if kw}
    if not keywords:
        return [_text(t, STOP_EMAIL)]
    if len(set(keywords.values())) == 1:
        return [_text(t, STOP_KEYWORD, keyword=next(iter(keywords.values())))]
    return [_text(t, STOP_INTRO)] + [
        "- " + _text(t, STOP_CHANNEL, channel=t.ugettext(vocab.CHANNEL_NAMES[ch]), keyword=kw)
        for ch, kw in keywords.items()]


def confirmation(campaign: Campaign, lang: str, channels: list[str], recipient: str, purposes: list[str],
                 link: str, code: str, withdraw_url: str, ttl_hours: int) -> Message:
    """The message to one contact; `channels` are those of `purposes` (the first one delivers it)."""
    t = i18n.translations(lang)
    business = campaign.brand_name
    lines = [_text(t, SUBJECT, business=business), "", _text(t, ASKED, business=business)]
    lines += [f"- {purpose_label(campaign, p, lang)}" for p in purposes]
    lines += ["", _text(t, LINK, link=link), _text(t, CODE, code=code),
              _text(t, EXPIRES, duration=format_unit(ttl_hours, "duration-hour", length="long", locale=lang)),
              _text(t, NOT_YOU), ""]
    lines += stop_lines(campaign, lang, channels)
    lines.append(_text(t, STOP_PAGE, url=withdraw_url))
    return Message(campaign.id, lang, channels[0], recipient, "\n".join(lines), link, code)


def error_page(lang: str, code: str, back_url: str) -> str:
    """A minimal localised page for a form posted without JavaScript that the receiver rejects."""
    t = i18n.translations(lang)
    title = t.ugettext(ERROR_TITLE)
    text = t.ugettext(ERRORS.get(code, GENERIC_ERROR))
    return (f'<!DOCTYPE html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1>"
            f'<p id="error" data-error="{escape(code)}">{escape(text)}</p>'
            f'<p><a href="{escape(back_url)}">{escape(t.ugettext(BACK))}</a></p></main></body></html>')
