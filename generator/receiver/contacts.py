"""Contact normalisation: phone numbers to E.164 (phonenumbers); emails checked by
email-validator, the domain IDNA-normalised, the whole address lower-cased, and addresses that
mix scripts or spell a Latin name in look-alike Cyrillic refused; the mailbox an address
delivers to, for the per-contact limit."""
from __future__ import annotations

import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email


def phone_e164(raw: str, calling_code: str | int | None = None, country: str | None = None) -> str | None:
    """Parse what a person typed (or an E.164 string); None when it is not a valid number.
    The region comes from the calling code the form sent, else (no code sent at all) the
    campaign's country; a form that sent an empty code or 0 (a page whose language fits
    several countries) gets no region, so a number without +country is refused, not silently
    given the controller's code."""
    text = (raw or "").strip()
    if not text or len(text) > 40:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    region = None
    if calling_code in ("", 0, "0"):
        country = None
    elif calling_code is not None:
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


# Scripts that may share one label (UTS #39 "highly restrictive"): Japanese, Chinese and Korean
# are written mixed with Latin; Latin with Cyrillic or Greek is how look-alikes are made.
SCRIPT_MIXES = ({"LATIN", "CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA"}, {"LATIN", "CJK", "BOPOMOFO"},
                {"LATIN", "CJK", "HANGUL"})
# Cyrillic letters that look like Latin ones: a label made only of these (раураl without
# the l) reads as a Latin name; browsers show such labels as xn--… for the same reason.
CYRILLIC_LOOKALIKES = set("асԁеһіјӏорԛѕԝхуъьҽпгѵѡыюԍԗ")


def _script(ch: str) -> str:
    return unicodedata.name(ch, "?").split(" ")[0]


def _letters(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch).startswith("L")]


def _mixed(label: str) -> bool:
    scripts = {_script(ch) for ch in _letters(label)}
    return len(scripts) > 1 and not any(scripts <= mix for mix in SCRIPT_MIXES)


def _lookalike(label: str) -> bool:
    letters = _letters(label)
    return bool(letters) and all(ch in CYRILLIC_LOOKALIKES for ch in letters)


def email_normal(raw: str) -> str | None:
    """The address as stored, or None: email-validator's syntax check (no DNS lookups; it
    refuses NUL, escapes, zero-width and other unsafe characters), the domain in its IDNA
    normal form (Bücher.example is stored as xn--bcher-kva.example)."""
    text = (raw or "").strip()
    if not text or len(text) > 254:
        return None
    try:
        checked = validate_email(text, check_deliverability=False, allow_quoted_local=False,
                                 allow_domain_literal=False, allow_display_name=False)
    except EmailNotValidError:
        return None
    labels = checked.domain.split(".")
    cyrillic_tld = any(_script(ch) == "CYRILLIC" for ch in labels[-1])
    if _mixed(checked.local_part) or any(_mixed(label) or (_lookalike(label) and not cyrillic_tld)
                                         for label in labels):
        return None
    # Lower case throughout: strictly the local part may be case-sensitive, but no mainstream
    # provider treats it so, and a withdrawal typed as Kari@… must find kari@…. The domain in
    # its ASCII (xn--) form: one spelling per domain, and every mail server can deliver to it.
    return f"{checked.local_part.lower()}@{checked.ascii_domain.lower()}"


GMAIL = ("gmail.com", "googlemail.com")


def mailbox(email: str) -> str:
    """The mailbox an address delivers to, for counting limits only (the address is stored as
    given): kari+news@ and kari+x@ are kari@; Gmail ignores dots, and googlemail.com is gmail.com."""
    local, at, domain = email.lower().rpartition("@")
    if not at:
        return email.lower()
    local = local.split("+", 1)[0] or local
    if domain in GMAIL:
        local, domain = local.replace(".", ""), GMAIL[0]
    return f"{local}@{domain}"


def contact_key(text: str, country: str | None = None) -> tuple[str, str] | None:
    """('phone', '+47…') or ('email', 'a@b.no') for a contact given on the command line."""
    if "@" in text:
        email = email_normal(text)
        return ("email", email) if email else None
    phone = phone_e164(text, None, country)
    return ("phone", phone) if phone else None
