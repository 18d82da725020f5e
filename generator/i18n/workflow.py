"""The translators' workflow: thin wrappers around Babel's extraction and catalog API
(`pybabel extract`, `update`, `init`), writing catalogs atomically."""
from __future__ import annotations

import copy
import io
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import write_po

from generator import __version__
from generator.errors import OptinError
from generator.files import write_atomic
from generator.i18n import catalogs
from generator.i18n.catalogs import SOURCE_LANG

KEYWORDS = ("_", "N_")  # on top of Babel's defaults (gettext, ngettext, ...); N_ marks vocab.py
WIDTH = 76  # the line width `pybabel` uses, so its output and ours do not fight


def extract(root: Path, mapping: Path | None = None) -> Catalog:
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


def write(catalog: Catalog, path: Path, **options) -> bool:
    """Write a catalog atomically (a half-written .po would break the next build); a file that
    would not change is left alone (its mtime too). Returns whether it was written."""
    buf = io.BytesIO()
    write_po(buf, catalog, width=WIDTH, **options)
    if path.is_file() and path.read_bytes() == buf.getvalue():
        return False
    write_atomic(path, buf.getvalue())
    return True


@dataclass(frozen=True)
class Updated:
    """One catalog after `update`: whether its file changed, what came and what went."""

    path: Path
    lang: str
    changed: bool
    added: int  # strings new to this catalog
    obsolete: int  # kept as #~ (0 with drop_obsolete)

    def summary(self, missing: int, fuzzy: int) -> str:
        """One line; `missing`/`fuzzy`: what the pages of this locale still show in English."""
        return (f"{self.lang}: {'updated' if self.changed else 'unchanged'}"
                + (f" ({self.added} new)" if self.added else "")
                + f"; {missing} missing, {fuzzy} fuzzy, {self.obsolete} obsolete")


def write_template(catalog: Catalog, locales_dir: Path) -> Path:
    path = catalogs.pot_path(locales_dir)
    write(catalog, path, sort_output=True)
    return path


def _fill_source(catalog: Catalog) -> None:
    """English is the source language: its msgstr is the msgid (never fuzzy)."""
    for message in catalog:
        if message.id:
            message.string = message.id
            message.flags.discard("fuzzy")


def update(locales_dir: Path, template: Catalog, drop_obsolete: bool = False) -> list[Updated]:
    """Merge the template into every catalog of `locales_dir` (Babel's Catalog.update, as
    `pybabel update`): new strings appear untranslated (or fuzzy when close to an old one),
    removed ones become obsolete (#~), or are dropped with `drop_obsolete`. A catalog the merge
    leaves as it was is not rewritten."""
    out = []
    for path in sorted(locales_dir.glob("*/LC_MESSAGES/messages.po")):
        lang = path.parent.parent.name
        catalog = catalogs.read_catalog(path, lang)
        before = {catalogs.key(m.id) for m in catalog if m.id}
        catalog.update(copy.deepcopy(template))  # update() adopts the template's message objects
        if lang == SOURCE_LANG:
            _fill_source(catalog)
        changed = write(catalog, path, ignore_obsolete=drop_obsolete)
        out.append(Updated(
            path, lang, changed, added=sum(1 for m in catalog if m.id and catalogs.key(m.id) not in before),
            obsolete=0 if drop_obsolete else len(catalog.obsolete)))
    return out


def check_code(lang: str) -> Locale:
    if not re.fullmatch(r"[a-z]{2,3}(_[A-Z][a-z]{3})?(_[A-Z]{2})?", lang):
        raise OptinError(f"{lang!r} is not a locale code: use a language code like sv, pt or pt_BR")
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        raise OptinError(f"{lang!r} is not a locale that CLDR knows: use a code like sv, pt or pt_BR") from None


def init(lang: str, locales_dir: Path, template_path: Path, english_notice: Path) -> list[Path]:
    """Add a locale to `locales_dir`: its catalog from the template (like `pybabel init`) and a
    notice.md copied from English, both for translating."""
    locale = check_code(lang)
    path = catalogs.po_path(locales_dir, lang)
    if path.exists():
        raise OptinError(f"locale {lang} already exists ({path}); run `optin i18n update` to add new strings")
    catalog = catalogs.read_catalog(template_path, lang)
    catalog.locale = locale
    catalog.revision_date = datetime.now(timezone.utc)
    catalog.fuzzy = False
    if lang == SOURCE_LANG:
        _fill_source(catalog)
    write(catalog, path)
    created = [path]
    notice = locales_dir / lang / "notice.md"
    if not notice.exists():
        shutil.copyfile(english_notice, notice)
        created.append(notice)
    return created
