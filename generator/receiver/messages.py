"""Texts the receiver itself sends or shows, in the campaign locale via the gettext catalogs:
the confirmation message (with the opt-out instruction; its text comes from
generator.site.messages, shared with the build) and the no-JavaScript error page."""
from __future__ import annotations

from dataclasses import dataclass

from generator.campaign.model import Campaign
from generator.campaign.vocab import N_
from generator.receiver.pages import render
from generator.site.messages import (  # noqa: F401 - one definition, shared with the build
    ASKED,
    CODE,
    EXPIRES,
    LINK,
    NOT_YOU,
    STOP_CHANNEL,
    STOP_EMAIL,
    STOP_INTRO,
    STOP_KEYWORD,
    STOP_PAGE,
    SUBJECT,
    confirmation_body,
    duration,
    stop_lines,
)

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


def confirmation(t, campaign: Campaign, lang: str, channels: list[str], recipient: str, purposes: list[str],
                 link: str, code: str, withdraw_url: str, ttl_hours: int) -> Message:
    """The message to one contact, with `t` the locale's translations; `channels` are those of
    `purposes` (the first one delivers it)."""
    body = confirmation_body(t, campaign, lang, channels, purposes, link=link, code=code,
                             duration=duration(ttl_hours, lang), withdraw_url=withdraw_url)
    return Message(campaign.id, lang, channels[0], recipient, body, link, code)


def error_page(t, lang: str, code: str, back_url: str) -> str:
    """A minimal localised page for a form posted without JavaScript that the receiver rejects."""
    return render("error.html", lang=lang, code=code, back_url=back_url, title=t.ugettext(ERROR_TITLE),
                  text=t.ugettext(ERRORS.get(code, GENERIC_ERROR)), back=t.ugettext(BACK))
