"""Every legal text of a campaign's locale: the signup page's (approval.legal_texts: labels,
summary, opt-out, notice) and those of the rest of the flow, which also speak for the business:

- `message:<channel>:<name>`: the confirmation request, the "signed up" message, the reply to
  the opt-out keyword and the notice that consent was withdrawn, as messages.json has them
  (placeholders such as {link} left in);
- `whatsapp_template`: the template submitted to Meta (body, footer, button label), when the
  build writes whatsapp-templates.json;
- `page:thanks`, `page:confirm`, `page:withdraw`: the `<main>` of each page as built, with every
  state it can show (read from the built site, so it is what the theme renders).
"""
from __future__ import annotations

import html
import re
from pathlib import Path

from generator.campaign.model import Campaign
from generator.legal.approval import LegalText, legal_texts
from generator.site import messages, notices, whatsapp
from generator.site.views import LocaleView

CHANNELS = {"whatsapp": "WhatsApp", "sms": "SMS", "email": "email"}
MESSAGES = {messages.CONFIRMATION: "Confirmation request", messages.SUBSCRIBED_MESSAGE: "Sign-up confirmed",
            messages.OPT_OUT_REPLY: "Reply to the opt-out keyword",
            messages.WITHDRAWAL: "Notice that consent was withdrawn"}
PAGES = {"thanks": "Page after signing up (thanks.html)", "confirm": "Confirmation page (confirm.html)",
         "withdraw": "Withdraw page (withdraw.html)"}
MAIN = re.compile(r"<main\b[^>]*>(.*)</main>", re.S)


def _text(key: str, title: str, lang: str, fragment: str) -> LegalText:
    return LegalText(key, title, ((lang, fragment),), notices.content_hash(fragment))


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line.strip())


def message_texts(campaign: Campaign, locales, lang: str) -> dict[str, LegalText]:
    t = locales.translations(lang)
    out = {}
    for channel in campaign.channels:
        for name, body in messages.channel_messages(t, campaign, lang, channel).items():
            key = f"message:{channel}:{name}"
            out[key] = _text(key, f"{MESSAGES.get(name, name)} ({CHANNELS.get(channel, channel)})", lang,
                             _paragraphs(body))
    return out


def template_texts(campaign: Campaign, locales, lang: str) -> dict[str, LegalText]:
    """The WhatsApp template of the locale, when the build writes one (WhatsApp and base_url)."""
    if "whatsapp" not in campaign.channels or not campaign.base_url:
        return {}
    parts = {c["type"]: c for c in whatsapp.request(campaign, locales, lang)["components"]}
    fragment = _paragraphs(parts["BODY"]["text"])
    if "FOOTER" in parts:
        fragment += f"<p>[footer] {html.escape(parts['FOOTER']['text'])}</p>"
    for button in parts.get("BUTTONS", {}).get("buttons", []):
        fragment += f"<p>[button] {html.escape(button['text'])}</p>"
    return {"whatsapp_template": _text("whatsapp_template", "WhatsApp message template (confirmation request)",
                                       lang, fragment)}


def page_texts(campaign: Campaign, lang: str, site: Path) -> dict[str, LegalText]:
    out = {}
    for name, title in PAGES.items():
        path = site / campaign.id / lang / f"{name}.html"
        found = MAIN.search(path.read_text(encoding="utf-8")) if path.is_file() else None
        if found:
            out[f"page:{name}"] = _text(f"page:{name}", title, lang, found.group(1))
    return out


def all_texts(campaign: Campaign, views: dict[str, LocaleView], locales, site: Path) -> dict[str, dict[str, LegalText]]:
    """locale -> key -> text, for a campaign whose pages are built in `site`."""
    return {lang: {**legal_texts(view), **message_texts(campaign, locales, lang),
                   **template_texts(campaign, locales, lang), **page_texts(campaign, lang, site)}
            for lang, view in views.items()}
