"""Texts the receiver itself sends or shows, in the campaign locale via the gettext catalogs:
the confirmation message (with the opt-out instruction and the recipient's own withdraw
link; its text comes from generator.site.messages, shared with the build), the notice after a
withdrawal, the no-JavaScript error page, the page a withdraw link opens and the local outbox
page, each in the campaign's theme (look.py)."""
from __future__ import annotations

from dataclasses import dataclass

from babel.units import format_unit

from generator.campaign.model import Campaign
from generator.campaign.vocab import CHANNEL_NAMES, N_
from generator.receiver.look import Look
from generator.urls import campaign_page
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
    STOP_LINK,
    STOP_PAGE,
    SUBJECT,
    WITHDRAWAL,
    WITHDRAWN_SUBJECT,
    confirmation_body,
    duration,
    opt_out_reply,
    purpose_lines,
    stop_lines,
    text,
    withdrawal_body,
)

ERROR_TITLE = N_("Please check your details")
# A problem on our side or too many attempts is not the visitor's input: its own heading.
ERROR_TITLES = {"server_error": N_("Something went wrong on our side"),
                "rate_limited": N_("Too many attempts")}
BACK = N_("Back to the form")
ERRORS = {
    "no_purpose": N_("Please tick at least one kind of message."),
    "invalid_phone": N_("Please enter a valid mobile number."),
    "invalid_email": N_("Please enter a valid email address."),
    "rate_limited": N_("Too many attempts. Please wait a few minutes and try again."),
    "server_error": N_("Something went wrong on our side. Please try again later."),
}
GENERIC_ERROR = N_("The form could not be sent. Please go back and try again.")
# The page a withdraw link opens (GET shows it; only its button, a POST, withdraws).
STOP_TITLE = N_("Stop messages from %(business)s")
STOP_ASK = N_("Press the button to withdraw your consent to these messages:")
STOP_BUTTON = N_("Withdraw my consent")
# As true as the withdraw page: the business's own tools may take stop_within_hours to see it.
STOP_DONE = N_("Your consent is withdrawn. A message already on its way may still arrive within the next "
               "%(within)s; after that, you get no more of these messages.")
STOP_DONE_AT_ONCE = N_("Your consent is withdrawn. No further messages will be sent.")
STOP_NOTHING = N_("Nothing to withdraw: these messages are already stopped.")
STOP_INVALID_TITLE = N_("This link does not work")
STOP_INVALID = N_("This withdrawal link is not valid (it may have been cut off). Use the withdrawal page of "
                  "the sign-up instead.")
BACK_TO_SIGNUP = N_("Back to sign-up")
# The local outbox of `optin serve` (local.py): what the marketer sees while trying the pages.
OUTBOX = {
    "title": N_("Outbox (local)"),
    "heading": N_("Outbox"),
    "intro": N_("Messages the local receiver would have sent (confirmations, notices of withdrawal), newest "
                "first. Nothing leaves this computer."),
    # before the recipient's phone number or email address
    "to": N_("To:"),
    "open": N_("Open the confirmation link"),
    # before the typed confirmation code
    "code": N_("Code:"),
    "empty": N_("No messages yet."),
}


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
    stop_url: str = ""  # the recipient's own withdraw link (a secret, like the link and code)

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never be stored or logged in clear: the links' tokens and the code."""
        found = [self.code, self.code.replace("-", "")] if self.code else []
        for url in (self.link, self.stop_url, self.unsubscribe_url):
            if "t=" in url:
                found += [url, url.split("t=", 1)[1].split("&", 1)[0]]
        return tuple(found)


def confirmation(t, campaign: Campaign, lang: str, channels: list[str], recipient: str, purposes: list[str],
                 link: str, code: str, withdraw_url: str, ttl_hours: int, unsubscribe_url: str = "",
                 stop_url: str = "") -> Message:
    """The message to one contact, with `t` the locale's translations; `channels` are those of
    `purposes` (the first one delivers it)."""
    valid = duration(ttl_hours, lang)
    body = confirmation_body(t, campaign, lang, channels, purposes, link=link, code=code,
                             duration=valid, withdraw_url=withdraw_url, stop_url=stop_url)
    return Message(campaign.id, lang, channels[0], recipient, body, link, code, CONFIRMATION, valid,
                   text(t, SUBJECT, business=campaign.brand_name), unsubscribe_url, tuple(purposes), stop_url)


def withdrawal_notice(t, campaign: Campaign, lang: str, channel: str, recipient: str, purposes: list[str],
                      signup_url: str) -> Message:
    """The notice that consent to `purposes` was withdrawn, to the contact concerned."""
    return Message(campaign.id, lang, channel, recipient, withdrawal_body(t, campaign, lang, purposes, signup_url),
                   "", "", WITHDRAWAL, subject=text(t, WITHDRAWN_SUBJECT, business=campaign.brand_name),
                   purposes=tuple(purposes))


def opt_out_message(t, campaign: Campaign, lang: str, channel: str, recipient: str) -> Message:
    """The answer to an opt-out keyword, on the channel it came in on."""
    return Message(campaign.id, lang, channel, recipient, opt_out_reply(t, campaign, lang), "", "", OPT_OUT_REPLY)


def error_page(t, lang: str, code: str, back_url: str, look: Look) -> str:
    """A localised page for a form posted without JavaScript that the receiver rejects."""
    return render("error.html", lang=lang, code=code, back_url=back_url, title=t.ugettext(ERROR_TITLES.get(code, ERROR_TITLE)),
                  text=t.ugettext(ERRORS.get(code, GENERIC_ERROR)), back=t.ugettext(BACK), look=look)


def stop_page(t, lang: str, state: str, look: Look, campaign: Campaign | None = None, purposes=(),
              action: str = "") -> str:
    """The page of a withdraw link: `state` ask (a button posting to `action`), done, nothing
    or invalid; `purposes` are listed with the sign-up page's wording."""
    if campaign is None:
        return render("stop.html", lang=lang, state="invalid", title=t.ugettext(STOP_INVALID_TITLE),
                      text=t.ugettext(STOP_INVALID), items=[], button="", action="", back="", look=look)
    hours = campaign.stop_within_hours
    if state == "done":
        body = (text(t, STOP_DONE, within=format_unit(hours, "duration-hour", length="long", locale=lang))
                if hours else t.ugettext(STOP_DONE_AT_ONCE))
    else:
        msgid = STOP_ASK if state == "ask" else STOP_NOTHING
        body = t.ugettext(msgid)
    items = [line[2:] for line in purpose_lines(t, campaign, lang, list(purposes))]
    return render("stop.html", lang=lang, state=state, title=text(t, STOP_TITLE, business=campaign.brand_name),
                  text=body, items=items, button=t.ugettext(STOP_BUTTON), action=action,
                  back=t.ugettext(BACK_TO_SIGNUP), look=look)


def outbox_page(t, lang: str, rows, campaigns: dict[str, Campaign], look: Look) -> str:
    """The local outbox: one card per message (`rows`: the outbox table), each naming its
    campaign with a link to its signup page on the local site."""
    cards = []
    for row in rows:
        card = dict(row)
        campaign = campaigns.get(card["campaign"])
        channel = CHANNEL_NAMES.get(card["channel"])
        card.update(channel_name=t.ugettext(channel) if channel else card["channel"],
                    brand=campaign.brand_name if campaign else card["campaign"],
                    home=campaign_page("", campaign.id, card["locale"], "index.html") if campaign else "")
        cards.append(card)
    return render("outbox.html", lang=lang, title=t.ugettext(OUTBOX["title"]), rows=cards, look=look,
                  s={key: t.ugettext(msgid) for key, msgid in OUTBOX.items()})
