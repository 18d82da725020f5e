"""Gettext catalogs read straight from the .po files (no committed .mo), plus Babel helpers.

A missing or fuzzy translation falls back to English (the msgid) with a warning naming the
locale and the string; placeholder mismatches between msgid and msgstr are always errors.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from babel.units import format_unit

from . import LOCALES_DIR
from .errors import Problem

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def po_path(lang: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / lang / "LC_MESSAGES" / "messages.po"


def pot_path(locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / "messages.pot"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with open(path, "rb") as fh:
        return read_po(fh, locale=locale, abort_invalid=False)


@dataclass
class CatalogReport:
    """What a locale's catalog lacks, relative to the template (messages.pot)."""

    lang: str
    translated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]


def _strs(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def placeholder_problems(catalog: Catalog, path: Path) -> list[Problem]:
    """msgstr must use exactly the msgid's %(name)s placeholders."""
    out = []
    for message in catalog:
        if not message.id or not any(_strs(message)):
            continue
        wanted = set().union(*(PLACEHOLDER.findall(i) for i in _ids(message)))
        for text in _strs(message):
            if not text:
                continue
            got = set(PLACEHOLDER.findall(text))
            if got != wanted:
                lost, extra = sorted(wanted - got), sorted(got - wanted)
                detail = "; ".join(filter(None, [
                    f"missing %({', %('.join(lost)})s" if lost else "",
                    f"unknown %({', %('.join(extra)})s" if extra else ""]))
                out.append(Problem(str(path), message.lineno, f"msgid {_ids(message)[0]!r}",
                                   f"placeholders differ from the msgid: {detail}",
                                   "use the same %(name)s placeholders as the msgid"))
    return out


def report(lang: str, locales_dir: Path = LOCALES_DIR) -> CatalogReport:
    """Compare a locale's .po with messages.pot."""
    rep = CatalogReport(lang)
    template = read_catalog(pot_path(locales_dir))
    path = po_path(lang, locales_dir)
    catalog = read_catalog(path, lang)
    rep.errors = placeholder_problems(catalog, path)
    wanted = {m.id if not isinstance(m.id, tuple) else m.id for m in template if m.id}
    for msgid in sorted(wanted, key=str):
        message = catalog.get(msgid)
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        if message is None or not all(_strs(message)):
            rep.missing.append(key)
        elif message.fuzzy:
            rep.fuzzy.append(key)
        else:
            rep.translated.append(key)
    rep.obsolete = [m.id if isinstance(m.id, str) else m.id[0] for m in catalog.obsolete.values()]
    rep.obsolete += [m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                     if m.id and m.id not in wanted]
    return rep


@lru_cache(maxsize=None)
def translations(lang: str, locales_dir: Path = LOCALES_DIR) -> Translations:
    """Babel Translations built in memory from the .po (fuzzy entries left out -> English)."""
    catalog = read_catalog(po_path(lang, locales_dir), lang)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain="messages")


def available(locales_dir: Path = LOCALES_DIR) -> list[str]:
    return sorted(p.parent.parent.name for p in locales_dir.glob("*/LC_MESSAGES/messages.po"))


def language_name(lang: str) -> str:
    """The language's own name from CLDR, capitalised for a menu: 'Norsk bokmål'."""
    name = Locale.parse(lang).display_name or lang
    return name[:1].upper() + name[1:]


def months(count: int, lang: str) -> str:
    """'24 måneder', '1 Monat' — CLDR plural rules, not a hand-written table."""
    return format_unit(count, "duration-month", length="long", locale=lang)


def english_ui_strings(min_words: int = 2, locales_dir: Path = LOCALES_DIR) -> list[str]:
    """English UI texts (from the en catalog) long enough to be recognisable on a page: a
    non-English page containing one of them shows untranslated English. Placeholders split a
    message into fragments; only fragments of `min_words` words or more are kept."""
    out: set[str] = set()
    for message in read_catalog(po_path("en", locales_dir), "en"):
        for text in _strs(message) if message.id else []:
            plain = re.sub(r"<[^>]+>", " ", text or "")
            for fragment in PLACEHOLDER.split(plain)[::2]:
                fragment = " ".join(fragment.split()).strip(" .,:;")
                if len(fragment.split()) >= min_words:
                    out.add(fragment)
    return sorted(out)
