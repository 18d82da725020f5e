"""Gettext catalogs read straight from the .po files (no committed .mo), plus Babel helpers.

A missing or fuzzy translation falls back to English (the msgid) with a warning naming the
locale and the string; placeholder mismatches between msgid and msgstr are always errors.
"""
from __future__ import annotations

import io
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations
from babel.units import format_unit

from . import LOCALES_DIR, ROOT, __version__
from .errors import OptinError, Problem

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
SOURCE_LANG = "en"  # msgids are English; the en catalog's msgstr always equals its msgid
KEYWORDS = ("_", "N_")  # on top of Babel's defaults (gettext, ngettext, ...); N_ marks vocab.py
WIDTH = 76  # the line width `pybabel` uses, so its output and ours do not fight


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
            lost, extra = sorted(wanted - got), sorted(got - wanted)
            if message.pluralizable:  # a form may leave out the count ("en melding")
                lost = [name for name in lost if name not in ("num", "count", "n")]
            if lost or extra:
                detail = "; ".join(filter(None, [
                    "missing " + ", ".join(f"%({name})s" for name in lost) if lost else "",
                    "unknown " + ", ".join(f"%({name})s" for name in extra) if extra else ""]))
                out.append(Problem(str(path), message.lineno, f"msgid {_ids(message)[0]!r}",
                                   f"placeholders differ from the msgid: {detail}",
                                   "use the same %(name)s placeholders as the msgid"))
    return out


def report(lang: str, locales_dir: Path = LOCALES_DIR, template: Catalog | None = None) -> CatalogReport:
    """Compare a locale's .po with messages.pot (or with `template`, e.g. a fresh extraction)."""
    rep = CatalogReport(lang)
    template = template if template is not None else read_catalog(pot_path(locales_dir))
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
    """Locales that have a catalog."""
    return sorted(p.parent.parent.name for p in locales_dir.glob("*/LC_MESSAGES/messages.po"))


def notice_path(lang: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / lang / "notice.md"


def notice_is_english_copy(lang: str, locales_dir: Path = LOCALES_DIR) -> bool:
    """True while a locale's notice.md is still the English text `init` copied into it."""
    path, english = notice_path(lang, locales_dir), notice_path(SOURCE_LANG, locales_dir)
    return (lang != SOURCE_LANG and path.is_file() and english.is_file()
            and path.read_bytes() == english.read_bytes())


def supported(locales_dir: Path = LOCALES_DIR) -> list[str]:
    """Locales a campaign may use: those with both a catalog and a notice. A locale is data:
    adding one needs no code change (see README, "Translators")."""
    return [lang for lang in available(locales_dir) if notice_path(lang, locales_dir).is_file()]


# --- The translators' workflow: thin wrappers around Babel's extraction and catalog API. ---

def extract(root: Path = ROOT, mapping: Path | None = None) -> Catalog:
    """Every translatable string of the generator and the themes, as `pybabel extract -F
    babel.cfg -k N_ -k _` run in `root` finds them (locations relative to `root`)."""
    mapping = mapping or root / "babel.cfg"
    with open(mapping, encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(mapping))
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(KEYWORDS)}
    catalog = Catalog(project="optin", version=__version__, msgid_bugs_address="i18n@optin.invalid",
                      charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), method_map, options_map, keywords=keywords):
        catalog.add(message, None, [(Path(filename).as_posix(), lineno)], auto_comments=comments,
                    context=context)
    return catalog


def _write(catalog: Catalog, path: Path, **options) -> None:
    """Write a catalog atomically (a half-written .po would break the next build)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        write_po(fh, catalog, width=WIDTH, **options)
    os.replace(tmp, path)


def write_template(catalog: Catalog, locales_dir: Path = LOCALES_DIR) -> Path:
    path = pot_path(locales_dir)
    _write(catalog, path, sort_output=True)
    return path


def _fill_source(catalog: Catalog) -> None:
    """English is the source language: its msgstr is the msgid (never fuzzy)."""
    for message in catalog:
        if message.id:
            message.string = message.id
            message.flags.discard("fuzzy")


def update(locales_dir: Path = LOCALES_DIR, drop_obsolete: bool = False) -> list[Path]:
    """Merge messages.pot into every catalog (Babel's Catalog.update, as `pybabel update`):
    new strings appear untranslated (or fuzzy when close to an old one), removed ones become
    obsolete (#~), or are dropped with `drop_obsolete`."""
    written = []
    for lang in available(locales_dir):
        path = po_path(lang, locales_dir)
        catalog = read_catalog(path, lang)
        catalog.update(read_catalog(pot_path(locales_dir)))  # fresh: update() adopts its messages
        if lang == SOURCE_LANG:
            _fill_source(catalog)
        _write(catalog, path, ignore_obsolete=drop_obsolete)
        written.append(path)
    translations.cache_clear()
    return written


def init(lang: str, locales_dir: Path = LOCALES_DIR) -> list[Path]:
    """Add a locale: its catalog from messages.pot (like `pybabel init`) and a notice.md copied
    from English, both for translating."""
    if not re.fullmatch(r"[a-z]{2,3}(_[A-Z][a-z]{3})?(_[A-Z]{2})?", lang):
        raise OptinError(f"{lang!r} is not a locale code: use a language code like sv, pt or pt_BR")
    try:
        locale = Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        raise OptinError(f"{lang!r} is not a locale that CLDR knows: use a code like sv, pt or pt_BR") from None
    path = po_path(lang, locales_dir)
    if path.exists():
        raise OptinError(f"locale {lang} already exists ({path}); run `optin i18n update` to add new strings")
    catalog = read_catalog(pot_path(locales_dir), lang)
    catalog.locale = locale
    catalog.revision_date = datetime.now(timezone.utc)
    catalog.fuzzy = False
    if lang == SOURCE_LANG:
        _fill_source(catalog)
    _write(catalog, path)
    created = [path]
    notice = notice_path(lang, locales_dir)
    if not notice.exists():
        shutil.copyfile(notice_path(SOURCE_LANG, locales_dir), notice)
        created.append(notice)
    return created


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


def schema_with_locales(schema: dict, locales_dir: Path = LOCALES_DIR) -> dict:
    """The campaign schema with its locale lists (`locales`, `default_locale`, per-locale
    `wording`, `notice` and opt-out keywords) set to the locales that exist in `locales_dir`
    (catalog + notice), so a new locale needs data only. Known locales keep the schema's order."""
    found = supported(locales_dir)
    if not found:
        return schema
    props = schema.get("properties", {})
    listed = props.get("default_locale", {}).get("enum", [])
    langs = [lang for lang in listed if lang in found] + [lang for lang in found if lang not in listed]
    if "enum" in props.get("locales", {}).get("items", {}):
        props["locales"]["items"]["enum"] = langs
    if "enum" in props.get("default_locale", {}):
        props["default_locale"]["enum"] = langs
    wording = props.get("purposes", {}).get("items", {}).get("properties", {}).get("wording", {})
    for mapping in (wording, props.get("notice", {})):
        if mapping.get("properties"):
            template = next(iter(mapping["properties"].values()))
            mapping["properties"] = {lang: dict(template) for lang in langs}
    for option in schema.get("$defs", {}).get("keyword", {}).get("oneOf", []):
        if len(option.get("patternProperties", {})) == 1:
            (rule,) = option["patternProperties"].values()
            option["patternProperties"] = {f"^({'|'.join(map(re.escape, langs))})$": rule}
    return schema
