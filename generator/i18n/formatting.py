"""CLDR formatting through Babel: language names and durations, never hand-written tables."""
from __future__ import annotations

from babel import Locale
from babel.units import format_unit


def language_name(lang: str) -> str:
    """The language's own name from CLDR, capitalised for a menu: 'Norsk bokmål'."""
    name = Locale.parse(lang).display_name or lang
    return name[:1].upper() + name[1:]


def months(count: int, lang: str) -> str:
    """'24 måneder', '1 Monat' — CLDR plural rules."""
    return format_unit(count, "duration-month", length="long", locale=lang)
