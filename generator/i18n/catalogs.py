"""Gettext catalogs read straight from the .po files (no committed .mo).

A missing or fuzzy translation falls back (to the built-in catalog, then to the English msgid);
placeholder mismatches between msgid and msgstr are always errors.
"""
from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from typing import TYPE_CHECKING

from babel.support import Translations

if TYPE_CHECKING:  # babel.messages is imported when a .po is read: a rebuild may read none
    from babel.messages.catalog import Catalog

from generator.errors import Problem

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
SOURCE_LANG = "en"  # msgids are English; the en catalog's msgstr always equals its msgid


def po_path(locales_dir: Path, lang: str) -> Path:
    return locales_dir / lang / "LC_MESSAGES" / "messages.po"


def pot_path(locales_dir: Path) -> Path:
    return locales_dir / "messages.pot"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    from babel.messages.pofile import read_po

    with open(path, "rb") as fh:
        return read_po(fh, locale=locale, abort_invalid=False)


def compiled(catalog: Catalog) -> Translations:
    """Babel Translations built in memory (fuzzy entries left out, so they fall back)."""
    return Translations(fp=io.BytesIO(_mo(catalog)), domain="messages")


def _mo(catalog: Catalog) -> bytes:
    from babel.messages.mofile import write_mo

    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


_compiled: dict[tuple, bytes] = {}  # (path, locale, size, mtime, ctime, inode) -> .mo bytes of that .po


def use_store(store: dict | None) -> None:
    """Keep compiled catalogs in `store` (a build cache's, saved with it: the next process
    parses no .po that did not change); None: this process only."""
    global _compiled
    _compiled = {} if store is None else store


def compiled_file(path: Path, locale: str) -> Translations:
    """compiled(read_catalog(path, locale)), the .po parsed again only when it changed (parsing
    all of a locale's catalogs costs more than rebuilding one campaign)."""
    st = path.stat()
    stamp = (str(path), locale, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)  # ctime: no setting it back
    data = _compiled.get(stamp)
    if data is None:
        data = _mo(read_catalog(path, locale))
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > 2_000_000_000:  # past the clock's tick: the stamp tells
            _compiled[stamp] = data
    return Translations(fp=io.BytesIO(data), domain="messages")


@dataclass
class CatalogReport:
    """What a locale's catalog lacks, relative to the template (messages.pot)."""

    lang: str
    translated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)


def ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]


def strs(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def key(msgid) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def placeholder_problems(catalog: Catalog, path: Path) -> list[Problem]:
    """msgstr must use exactly the msgid's %(name)s placeholders."""
    out = []
    for message in catalog:
        if not message.id or not any(strs(message)):
            continue
        wanted = set().union(*(PLACEHOLDER.findall(i) for i in ids(message)))
        for text in strs(message):
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
                out.append(Problem(str(path), message.lineno, f"msgid {ids(message)[0]!r}",
                                   f"placeholders differ from the msgid: {detail}",
                                   "use the same %(name)s placeholders as the msgid"))
    return out


def report(lang: str, template: Catalog, layers: list[tuple[Path, Catalog]]) -> CatalogReport:
    """Compare a locale with the template. `layers` are (path, catalog) pairs, most specific
    first (a project's catalog, then the built-in one): a string counts as translated when any
    layer translates it, as the build's per-message fallback shows it."""
    rep = CatalogReport(lang)
    for path, catalog in layers:
        rep.errors += placeholder_problems(catalog, path)
    wanted = {m.id for m in template if m.id}
    for msgid in sorted(wanted, key=str):
        found = [c.get(msgid) for _, c in layers]
        found = [m for m in found if m is not None and all(strs(m))]
        if not found:
            rep.missing.append(key(msgid))
        elif all(m.fuzzy for m in found):
            rep.fuzzy.append(key(msgid))
        else:
            rep.translated.append(key(msgid))
    if layers:
        own = layers[0][1]
        rep.obsolete = [key(m.id) for m in own.obsolete.values()]
        rep.obsolete += [key(m.id) for m in own if m.id and m.id not in wanted]
    return rep
