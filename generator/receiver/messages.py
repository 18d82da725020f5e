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
    CONFIRMATION,
    OPT_OUT_REPLY,
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
    opt_out_reply,
    stop_lines,
    text,
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
    # what the senders also read (senders/base.py): the WhatsApp template's parameters, the
    # email's subject and one-click unsubscribe address
    kind: str = CONFIRMATION
    duration: str = ""
    subject: str = ""
    unsubscribe_url: str = ""
    purposes: tuple[str, ...] = ()


def confirmation(t, campaign: Campaign, lang: str, channels: list[str], recipient: str, purposes: list[str],
                 link: str, code: str, withdraw_url: str, ttl_hours: int, unsubscribe_url: str = "") -> Message:
    """The message to one contact, with `t` the locale's translations; `channels` are those of
    `purposes` (the first one delivers it)."""
    valid = duration(ttl_hours, lang)
    body = confirmation_body(t, campaign, lang, channels, purposes, link=link, code=code,
                             duration=valid, withdraw_url=withdraw_url)
    return Message(campaign.id, lang, channels[0], recipient, body, link, code, CONFIRMATION, valid,
                   text(t, SUBJECT, business=campaign.brand_name), unsubscribe_url, tuple(purposes))


def opt_out_message(t, campaign: Campaign, lang: str, channel: str, recipient: str) -> Message:
    """The answer to an opt-out keyword, on the channel it came in on."""
    return Message(campaign.id, lang, channel, recipient, opt_out_reply(t, campaign, lang), "", "", OPT_OUT_REPLY)


def error_page(t, lang: str, code: str, back_url: str) -> str:
    """A minimal localised page for a form posted without JavaScript that the receiver rejects."""
    return render("error.html", lang=lang, code=code, back_url=back_url, title=t.ugettext(ERROR_TITLE),
                  text=t.ugettext(ERRORS.get(code, GENERIC_ERROR)), back=t.ugettext(BACK))
