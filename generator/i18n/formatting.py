"""CLDR formatting through Babel: language names and durations, never hand-written tables."""
from __future__ import annotations

from functools import lru_cache

from babel import Locale
from babel.units import format_unit


@lru_cache(maxsize=4096)  # pure CLDR lookups, asked for on every page
def language_name(lang: str) -> str:
    """The language's own name from CLDR, capitalised for a menu: 'Norsk bokmål'."""
    name = Locale.parse(lang).display_name or lang
    return name[:1].upper() + name[1:]


@lru_cache(maxsize=4096)
def months(count: int, lang: str) -> str:
    """'24 måneder', '1 Monat' — CLDR plural rules."""
    return format_unit(count, "duration-month", length="long", locale=lang)


@lru_cache(maxsize=4096)
def days(count: int, lang: str) -> str:
    return format_unit(count, "duration-day", length="long", locale=lang)


@lru_cache(maxsize=4096)
def years(count: int, lang: str) -> str:
    return format_unit(count, "duration-year", length="long", locale=lang)


@lru_cache(maxsize=4096)
def long_date(iso: str, lang: str) -> str:
    """'2025-03-01' -> '1. mars 2025' (nb), '1 March 2025' (en)."""
    from datetime import date

    from babel.dates import format_date
    return format_date(date.fromisoformat(iso), format="long", locale=lang)
