"""Texts the receiver itself sends or shows, in the campaign locale via the gettext catalogs:
the confirmation message (with the opt-out instruction) and the no-JavaScript error page."""
from __future__ import annotations

from dataclasses import dataclass

from babel.units import format_unit

from generator.campaign import vocab
from generator.campaign.model import Campaign
from generator.campaign.vocab import N_
from generator.receiver.pages import render
from generator.site.views import purpose_label

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


def _text(t, msgid: str, **values) -> str:
    """The translation filled in; a translation with broken placeholders falls back to English
    rather than failing a sign-up (`optin build` reports such catalogs as errors)."""
    try:
        return t.ugettext(msgid) % values
    except (KeyError, ValueError, TypeError):
        return msgid % values


def stop_lines(t, campaign: Campaign, lang: str, channels: list[str]) -> list[str]:
    """How to stop: the reply keyword of every phone channel the message covers (in the
    campaign's opt_out for this locale), one line when they share it; email has its link."""
    keywords = {ch: campaign.opt_out.get(ch, {}).get(lang) for ch in dict.fromkeys(channels) if ch != "email"}
    keywords = {ch: kw for ch, kw in keywords.items() if kw}
    if not keywords:
        return [_text(t, STOP_EMAIL)]
    if len(set(keywords.values())) == 1:
        return [_text(t, STOP_KEYWORD, keyword=next(iter(keywords.values())))]
    return [_text(t, STOP_INTRO)] + [
        "- " + _text(t, STOP_CHANNEL, channel=t.ugettext(vocab.CHANNEL_NAMES[ch]), keyword=kw)
        for ch, kw in keywords.items()]


def confirmation(t, campaign: Campaign, lang: str, channels: list[str], recipient: str, purposes: list[str],
                 link: str, code: str, withdraw_url: str, ttl_hours: int) -> Message:
    """The message to one contact, with `t` the locale's translations; `channels` are those of
    `purposes` (the first one delivers it)."""
    business = campaign.brand_name
    lines = [_text(t, SUBJECT, business=business), "", _text(t, ASKED, business=business)]
    lines += [f"- {purpose_label(t, campaign, campaign.purpose(p), lang)}" for p in purposes]
    lines += ["", _text(t, LINK, link=link), _text(t, CODE, code=code),
              _text(t, EXPIRES, duration=format_unit(ttl_hours, "duration-hour", length="long", locale=lang)),
              _text(t, NOT_YOU), ""]
    lines += stop_lines(t, campaign, lang, channels)
    lines.append(_text(t, STOP_PAGE, url=withdraw_url))
    return Message(campaign.id, lang, channels[0], recipient, "\n".join(lines), link, code)


def error_page(t, lang: str, code: str, back_url: str) -> str:
    """A minimal localised page for a form posted without JavaScript that the receiver rejects."""
    return render("error.html", lang=lang, code=code, back_url=back_url, title=t.ugettext(ERROR_TITLE),
                  text=t.ugettext(ERRORS.get(code, GENERIC_ERROR)), back=t.ugettext(BACK))
