"""WhatsApp message templates: the confirmation request of each locale as a request to the
WhatsApp Business Management API (POST /<WABA_ID>/message_templates), written to
site/<campaign>/whatsapp-templates.json (locale -> request). A business-initiated WhatsApp
message must be an approved template, and each language is approved separately.

Meta's rules are checked at build time, so a template is not first rejected in review: the
body at most 1024 characters, no parameter at its very start or end, no two parameters side
by side, the footer at most 60 characters (schema/whatsapp-template.schema.json has the shape).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from generator.campaign import vocab
from generator.campaign.model import Campaign
from generator.campaign.vocab import N_
from generator.errors import BuildError
from generator.site import messages as texts

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Meta's language codes for the built-in locales; another locale is passed on as it is.
META_LANGUAGES = {"nb": "nb", "de": "de", "ms": "ms", "en": "en_GB", "es": "es"}
BODY_MAX, FOOTER_MAX, BUTTON_TEXT_MAX, URL_MAX = 1024, 60, 25, 2000
PARAM = re.compile(r"\{\{(\d+)\}\}")
CONFIRM_BUTTON = N_("Confirm your sign-up")  # also the confirmation page's title


def template_name(campaign: Campaign) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", campaign.id.lower())
    return (name if name[:1].isalpha() else f"optin_{name}") + "_confirmation"


def positional(named: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """{link}, {code}, … -> {{1}}, {{2}}, … in order of appearance, with their example values."""
    order: list[str] = []

    def number(match: re.Match) -> str:
        order.append(match.group(1))
        return f"{{{{{len(order)}}}}}"

    names = "|".join(texts.PLACEHOLDERS)
    return re.sub(r"\{(" + names + r")\}", number, named), [values[n] for n in order]


def request(campaign: Campaign, locales, lang: str) -> dict:
    """The template-creation request for one locale: the confirmation body with positional
    parameters, the opt-out line as footer when it is one line that fits, and a URL button
    to the confirmation page when the campaign's public address is known."""
    t = locales.translations(lang)
    purposes = texts.covered(campaign, "whatsapp")
    channels = [p.channel for p in purposes]
    named = {n: "{" + n + "}" for n in texts.PLACEHOLDERS} | {"withdraw_url": texts.withdraw_url(campaign, lang)}
    lines = texts.confirmation_lines(t, campaign, lang, channels, [p.id for p in purposes], **named)
    stops = texts.stop_lines(t, campaign, lang, channels)
    footer = stops[0] if len(stops) == 1 and len(stops[0]) <= FOOTER_MAX and stops[0] in lines else None
    if footer is not None:
        lines.remove(footer)
    body, examples = positional("\n".join(lines), texts.samples(campaign, lang, purposes))
    components: list[dict] = [{"type": "BODY", "text": body}]
    if examples:
        components[0]["example"] = {"body_text": [examples]}
    if footer is not None:
        components.append({"type": "FOOTER", "text": footer})
    label, prefix = t.ugettext(CONFIRM_BUTTON), texts.confirm_base(campaign, lang)
    if campaign.base_url and len(label) <= BUTTON_TEXT_MAX and len(prefix) + 5 <= URL_MAX:
        sample = texts.samples(campaign, lang, purposes)["link"]
        components.append({"type": "BUTTONS", "buttons": [
            {"type": "URL", "text": label, "url": prefix + "{{1}}", "example": [sample]}]})
    return {"name": template_name(campaign), "language": META_LANGUAGES.get(lang, lang.replace("-", "_")),
            "category": "UTILITY", "components": components}


def check(req: dict, campaign_id: str, lang: str) -> None:
    """Meta's rules for a template; the first one broken raises a BuildError naming it."""
    def fail(rule: str, detail: str):
        raise BuildError(f"WhatsApp template of campaign {campaign_id}, locale {lang}: {rule}: {detail}")

    if not NAME.match(req["name"]):
        fail("name", f"{req['name']!r} must match {NAME.pattern}")
    parts = {c["type"]: c for c in req["components"]}
    body = parts["BODY"]["text"]
    if len(body) > BODY_MAX:
        fail("body length", f"{len(body)} characters, at most {BODY_MAX}")
    if PARAM.match(body.lstrip()):
        fail("parameter at the start", "the body must not start with a parameter")
    if re.search(r"\{\{\d+\}\}$", body.rstrip()):
        fail("parameter at the end", "the body must not end with a parameter")
    side = re.search(r"\{\{\d+\}\}\s*\{\{\d+\}\}", body)
    if side:
        fail("adjacent parameters", f"{side.group(0)!r}: put words between two parameters")
    numbers = [int(n) for n in PARAM.findall(body)]
    examples = parts["BODY"].get("example", {}).get("body_text", [[]])[0]
    if numbers != list(range(1, len(numbers) + 1)) or len(examples) != len(numbers):
        fail("parameters", "numbered {{1}}, {{2}}, … in order, each with one example value")
    if "FOOTER" in parts and len(parts["FOOTER"]["text"]) > FOOTER_MAX:
        fail("footer length", f"{len(parts['FOOTER']['text'])} characters, at most {FOOTER_MAX}")
    for button in parts.get("BUTTONS", {}).get("buttons", []):
        if len(button["text"]) > BUTTON_TEXT_MAX or len(button.get("url", "")) > URL_MAX:
            fail("button length", f"label at most {BUTTON_TEXT_MAX}, URL at most {URL_MAX} characters")


def write_whatsapp_templates(campaign: Campaign, locales, site_dir: Path) -> list[str]:
    """site/<campaign>/whatsapp-templates.json for a campaign with WhatsApp purposes; returns
    warnings. Without base_url the withdraw link would end the body as a parameter (and the
    button has no address), so no templates are written then."""
    if "whatsapp" not in campaign.channels:
        return []
    if not campaign.base_url:
        local = all(urlsplit(url).hostname in vocab.LOCAL_HOSTS for url in
                    (campaign.endpoints.submit, campaign.endpoints.confirm, campaign.endpoints.withdraw))
        if local:  # a local trial (optin serve, tests): nothing to register with Meta yet
            return []
        return [(f"campaign {campaign.id}: no whatsapp-templates.json without base_url (the templates "
                 "name the withdraw page and link the confirmation page)")]
    requests = {}
    for lang in campaign.locales:
        requests[lang] = request(campaign, locales, lang)
        check(requests[lang], campaign.id, lang)
    path = site_dir / campaign.id / "whatsapp-templates.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(requests, sort_keys=True, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return []
