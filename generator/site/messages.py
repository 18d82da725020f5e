"""The messages behind the flow, one definition for the build and the receiver: the
confirmation request, the "you are signed up" acknowledgement and the reply to an opt-out
keyword, in the campaign locale via the gettext catalogs.

The receiver fills them in for one contact (generator.receiver.messages); the build writes
them per campaign, locale and channel with named placeholders ({link}, {code}, {duration},
{withdraw_url}, {stop_url}: the recipient's own withdraw link) to site/<campaign>/messages.json,
for whoever sets up the sender, and warns when an SMS would run past MAX_SMS_SEGMENTS.
The code's lifetime (CODE_MINUTES) is fixed, so the texts state it as it is, not as a placeholder.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from babel.units import format_unit

from generator.campaign import vocab
from generator.campaign.model import Campaign, Purpose
from generator.campaign.vocab import N_
from generator.site import sms
from generator.site.views import purpose_label
from generator.urls import campaign_page

SUBJECT = N_("%(business)s: please confirm your sign-up")
ASKED = N_("You asked to get messages from %(business)s:")
LINK = N_("Confirm here: %(link)s")
CODE = N_("Or type this code on the confirmation page: %(code)s")
EXPIRES = N_("The link expires in %(duration)s and the code in %(code_duration)s. Nothing is switched on "
             "until you confirm.")
NOT_YOU = N_("If this was not you, ignore this message.")
STOP_KEYWORD = N_("You can stop at any time: reply %(keyword)s to any message.")
# A message covering channels with different keywords (WhatsApp STOPP, SMS UNSUB) lists each.
STOP_INTRO = N_("You can stop at any time:")
STOP_CHANNEL = N_("%(channel)s messages: reply %(keyword)s")
STOP_PAGE = N_("Or use the withdrawal page: %(url)s")
STOP_LINK = N_("Or stop without typing anything: %(url)s")  # the recipient's own withdraw link
STOP_EMAIL = N_("Every email has an unsubscribe link.")
# After the confirmation: what is now switched on, and how to stop it.
SUBSCRIBED = N_("%(business)s: thank you, your sign-up is confirmed.")
SUBSCRIBED_TO = N_("You will get:")
# The answer to a reply with the opt-out keyword, on the channel it came in on.
OPTED_OUT = N_("%(business)s: you are unsubscribed. You will get no more messages from us here.")
# The notice after a withdrawal on the page or by link, to the contact concerned.
WITHDRAWN_SUBJECT = N_("%(business)s: your consent was withdrawn")
WITHDRAWN = N_("Your consent to these messages from %(business)s was withdrawn:")
WITHDRAWN_NOT_YOU = N_("If this was not you, sign up again: %(url)s")

PLACEHOLDERS = ("link", "code", "duration", "withdraw_url", "stop_url")  # of the confirmation request
ALL_PLACEHOLDERS = (*PLACEHOLDERS, "signup_url")  # the withdrawal notice has a sign-up link
CODE_MINUTES = 30  # how long a typed code works (the link: the receiver's token lifetime)
# The campaign schema has no key for it (yet): an SMS over this many segments warns at build time.
MAX_SMS_SEGMENTS = 3
DEFAULT_TTL_HOURS = 48  # the receiver's default token lifetime: only for the sample text
SAMPLE_TOKEN = "q8Xv2LmR7tKp4WzN1cYb6HsJ0dFgA3eU5iOo9rTyVnM"  # as long as tokens.new_token()
SAMPLE_CODE = "7K3M-Q9XD"  # tokens.new_code(): XXXX-XXXX

CONFIRMATION, SUBSCRIBED_MESSAGE, OPT_OUT_REPLY = "confirmation", "subscribed", "opt_out_reply"
WITHDRAWAL = "withdrawal"


def text(t, msgid: str, **values) -> str:
    """The translation filled in; a translation with broken placeholders falls back to English
    rather than failing a sign-up (`optin build` reports such catalogs as errors)."""
    try:
        return t.ugettext(msgid) % values
    except (KeyError, ValueError, TypeError):
        return msgid % values


@lru_cache(maxsize=4096)  # CLDR lookups, the same few for every campaign
def duration(hours: int, lang: str) -> str:
    return format_unit(hours, "duration-hour", length="long", locale=lang)


@lru_cache(maxsize=4096)
def minutes(count: int, lang: str) -> str:
    return format_unit(count, "duration-minute", length="long", locale=lang)


def stop_lines(t, campaign: Campaign, lang: str, channels: list[str]) -> list[str]:
    """How to stop: the reply keyword of every phone channel the message covers (in the
    campaign's opt_out for this locale), one line when they share it; email has its link."""
    keywords = {ch: campaign.opt_out.get(ch, {}).get(lang) for ch in dict.fromkeys(channels) if ch != "email"}
    keywords = {ch: kw for ch, kw in keywords.items() if kw}
    if not keywords:
        return [text(t, STOP_EMAIL)]
    if len(set(keywords.values())) == 1:
        return [text(t, STOP_KEYWORD, keyword=next(iter(keywords.values())))]
    return [text(t, STOP_INTRO)] + [
        "- " + text(t, STOP_CHANNEL, channel=t.ugettext(vocab.CHANNEL_NAMES[ch]), keyword=kw)
        for ch, kw in keywords.items()]


def purpose_lines(t, campaign: Campaign, lang: str, purposes: list[str]) -> list[str]:
    return [f"- {purpose_label(t, campaign, campaign.purpose(p), lang)}" for p in purposes]


def confirmation_lines(t, campaign: Campaign, lang: str, channels: list[str], purposes: list[str], *,
                       link: str, code: str, duration: str, withdraw_url: str, stop_url: str = "") -> list[str]:
    """The confirmation request, line by line: business, what was asked for, link and code,
    how long they are valid, how to stop (the recipient's own withdraw link, when there is
    one, then the withdraw page: a line after it keeps a WhatsApp parameter off the end).
    `channels` are those of `purposes`."""
    business = campaign.brand_name
    lines = [text(t, SUBJECT, business=business), "", text(t, ASKED, business=business)]
    lines += purpose_lines(t, campaign, lang, purposes)
    lines += ["", text(t, LINK, link=link), text(t, CODE, code=code),
              text(t, EXPIRES, duration=duration, code_duration=minutes(CODE_MINUTES, lang)), text(t, NOT_YOU), ""]
    lines += stop_lines(t, campaign, lang, channels)
    if stop_url:
        lines.append(text(t, STOP_LINK, url=stop_url))
    lines.append(text(t, STOP_PAGE, url=withdraw_url))
    return lines


def confirmation_body(t, campaign: Campaign, lang: str, channels: list[str], purposes: list[str], **values) -> str:
    return "\n".join(confirmation_lines(t, campaign, lang, channels, purposes, **values))


def subscribed_body(t, campaign: Campaign, lang: str, channels: list[str], purposes: list[str],
                    withdraw_url: str) -> str:
    """Sent once the contact has confirmed: what they will get and how to stop."""
    lines = [text(t, SUBSCRIBED, business=campaign.brand_name), "", text(t, SUBSCRIBED_TO)]
    lines += purpose_lines(t, campaign, lang, purposes) + [""]
    lines += stop_lines(t, campaign, lang, channels)
    lines.append(text(t, STOP_PAGE, url=withdraw_url))
    return "\n".join(lines)


def opt_out_reply(t, campaign: Campaign, lang: str) -> str:
    return text(t, OPTED_OUT, business=campaign.brand_name)


def withdrawal_body(t, campaign: Campaign, lang: str, purposes: list[str], signup_url: str) -> str:
    """Sent after a withdrawal on the page or by link: what was withdrawn, and how to undo a
    withdrawal someone else made."""
    lines = [text(t, WITHDRAWN, business=campaign.brand_name)]
    lines += purpose_lines(t, campaign, lang, purposes) + ["", text(t, WITHDRAWN_NOT_YOU, url=signup_url)]
    return "\n".join(lines)


def covered(campaign: Campaign, channel: str) -> list[Purpose]:
    """The most a message delivered by `channel` can list. The receiver sends one message per
    contact (phone: WhatsApp and SMS purposes together; email), by the channel of the first
    purpose chosen: so by `channel` when the first chosen has it, with any later ones."""
    group = vocab.PHONE_CHANNELS if channel in vocab.PHONE_CHANNELS else {"email"}
    same = [p for p in campaign.purposes if p.channel in group]
    first = next(i for i, p in enumerate(same) if p.channel == channel)
    return same[first:]


def withdraw_url(campaign: Campaign, lang: str) -> str:
    """Known at build time when the campaign has its base_url; else left to the sender."""
    return campaign_page(campaign.base_url, campaign.id, lang, "withdraw.html") if campaign.base_url else "{withdraw_url}"


def signup_url(campaign: Campaign, lang: str) -> str:
    # the address the receiver's withdrawal notice gives, so the approved text is the one sent
    return campaign_page(campaign.base_url, campaign.id, lang) if campaign.base_url else "{signup_url}"


def confirm_base(campaign: Campaign, lang: str) -> str:
    return campaign_page(campaign.base_url or "https://example.invalid", campaign.id, lang, "confirm.html") + "?"


def api_base(campaign: Campaign) -> str:
    """The receiver's address from the campaign's absolute withdraw endpoint (for samples)."""
    withdraw = campaign.endpoints.withdraw if campaign.endpoints else ""
    if withdraw.startswith(("https://", "http://")) and withdraw.endswith("/withdraw"):
        return withdraw[: -len("/withdraw")]
    return "https://example.invalid/api"


def samples(campaign: Campaign, lang: str, purposes: list[Purpose]) -> dict[str, str]:
    """Realistic values for the placeholders (as long as the receiver's), for length checks
    and the WhatsApp template examples."""
    return {"link": f"{confirm_base(campaign, lang)}t={SAMPLE_TOKEN}&p={','.join(p.id for p in purposes)}",
            "code": SAMPLE_CODE, "duration": duration(DEFAULT_TTL_HOURS, lang),
            "withdraw_url": campaign_page("https://example.invalid", campaign.id, lang, "withdraw.html"),
            "stop_url": f"{api_base(campaign)}/unsubscribe?t={SAMPLE_TOKEN}",
            "signup_url": campaign_page("https://example.invalid", campaign.id, lang)}


def fill(template: str, values: dict[str, str]) -> str:
    for name in ALL_PLACEHOLDERS:
        if name in values:
            template = template.replace("{" + name + "}", values[name])
    return template


def channel_messages(t, campaign: Campaign, lang: str, channel: str) -> dict[str, str]:
    purposes = covered(campaign, channel)
    ids, channels = [p.id for p in purposes], [p.channel for p in purposes]
    named = {name: "{" + name + "}" for name in PLACEHOLDERS} | {"withdraw_url": withdraw_url(campaign, lang)}
    out = {CONFIRMATION: confirmation_body(t, campaign, lang, channels, ids, **named),
           SUBSCRIBED_MESSAGE: subscribed_body(t, campaign, lang, channels, ids, named["withdraw_url"])}
    if channel in vocab.PHONE_CHANNELS:
        out[OPT_OUT_REPLY] = opt_out_reply(t, campaign, lang)
    out[WITHDRAWAL] = withdrawal_body(t, campaign, lang, ids, signup_url(campaign, lang))
    return out


def campaign_messages(campaign: Campaign, locales) -> dict[str, dict[str, dict[str, str]]]:
    """locale -> channel -> message -> text, for every locale and channel the campaign uses."""
    return {lang: {ch: channel_messages(locales.translations(lang), campaign, lang, ch) for ch in campaign.channels}
            for lang in campaign.locales}


def sms_warnings(campaign: Campaign, messages: dict, limit: int = MAX_SMS_SEGMENTS) -> list[str]:
    """A warning per SMS message that, filled in with values as long as the receiver's, needs
    more than `limit` segments in some locale (naming each such locale, its count and encoding,
    and the characters that force UCS-2)."""
    if "sms" not in campaign.channels:
        return []
    over: dict[str, list[str]] = {}
    for lang, channels in messages.items():
        values = samples(campaign, lang, covered(campaign, "sms"))
        for name, body in channels["sms"].items():
            enc, count = sms.segments(fill(body, values))
            if count > limit:
                why = f" because of {''.join(sms.non_gsm(body))}" if enc == sms.UCS2 else ""
                over.setdefault(name, []).append(f"{lang} {count} {enc}{why}")
    return [f"campaign {campaign.id}: the SMS {name} takes more than {limit} segments ({'; '.join(found)})"
            for name, found in over.items()]


def write_messages(campaign: Campaign, locales, site_dir: Path) -> list[str]:
    """site/<campaign>/messages.json; returns the SMS length warnings."""
    messages = campaign_messages(campaign, locales)
    data = json.dumps(messages, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    path = site_dir / campaign.id / "messages.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data, encoding="utf-8")
    write_marketing(campaign, site_dir)
    return sms_warnings(campaign, messages)


def write_marketing(campaign: Campaign, site_dir: Path) -> None:
    """site/<campaign>/marketing.json: per locale the word each marketing message must start
    with (Spain, LSSI art. 20: "Publi"; `marketing_prefix:`), for whoever sets up the sender.
    optin's own messages are no advertising and never carry it (a confirmation must not)."""
    data = {"prefix": dict(campaign.marketing_prefix), "country": campaign.country}
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    (site_dir / campaign.id / "marketing.json").write_text(text, encoding="utf-8")
