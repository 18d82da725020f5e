"""Contact normalisation: phone numbers to E.164 (phonenumbers), emails to lower case."""
from __future__ import annotations

import re

import phonenumbers

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def phone_e164(raw: str, calling_code: str | int | None = None, country: str | None = None) -> str | None:
    """Parse what a person typed (or an E.164 string); None when it is not a valid number.
    The region comes from the calling code the form sent, else the campaign's country."""
    text = (raw or "").strip()
    if not text or len(text) > 40:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    region = None
    if calling_code not in (None, ""):
        try:
            region = phonenumbers.region_code_for_country_code(int(calling_code))
        except (TypeError, ValueError):
            return None
    region = region if region and region != "ZZ" else country
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_normal(raw: str) -> str | None:
    text = (raw or "").strip()
    if len(text) > 254 or not EMAIL.match(text):
        return None
    # Lower case throughout: strictly the local part may be case-sensitive, but no mainstream
    # provider treats it so, and a withdrawal typed as Kari@… must find kari@….
    return text.lower()


def contact_key(text: str, country: str | None = None) -> tuple[str, str] | None:
    """('phone', '+47…') or ('email', 'a@b.no') for a contact given on the command line."""
    if "@" in text:
        email = email_normal(text)
        return ("email", email) if email else None
    phone = phone_e164(text, None, country)
    return ("phone", phone) if phone else None
