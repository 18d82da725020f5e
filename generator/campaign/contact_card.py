"""`whatsapp_number`: the business's WhatsApp number, which the thanks and confirmed pages offer
as a contact card, so people recognise the messages when they arrive. Only a campaign with a
WhatsApp purpose may give it, and it must be a real number (checked with phonenumbers)."""
from __future__ import annotations

from typing import Callable

import phonenumbers

from generator.errors import Problem

KEY = "whatsapp_number"


def e164(text: str, country: str) -> str:
    """`text` as +<digits>, read in `country` when it has no +; "" when it is no valid number."""
    try:
        number = phonenumbers.parse(text, None if text.strip().startswith("+") else country)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def shown(number: str) -> str:
    """The number as people write it: +47 400 00 000."""
    return phonenumbers.format_number(phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def problems(data: dict, file: str, line: Callable[[tuple], int | None]) -> list[Problem]:
    text = data.get(KEY)
    if not isinstance(text, str):
        return []  # absent, or the schema reports the type
    channels = {p.get("channel") for p in data.get("purposes") or [] if isinstance(p, dict)}
    if "whatsapp" not in channels:
        return [Problem(file, line((KEY,)), KEY, "no purpose sends WhatsApp messages, so the pages would "
                        "offer a contact card for nothing", "remove it, or add a purpose with `channel: whatsapp`")]
    country = (data.get("jurisdiction") or {}).get("country")
    if not e164(text, country if isinstance(country, str) else "ZZ"):
        return [Problem(file, line((KEY,)), KEY, f"{text!r} is not a valid phone number",
                        "write it in international form, e.g. \"+47 400 00 000\"")]
    return []
