"""The locales a project can use: its own `locales/` over the built-in ones shipped with optin.

A project's `locales/<lang>/` adds a locale or overrides single strings and the notice of a
built-in one. Lookups go per message: a string the project's catalog lacks comes from the
built-in catalog, so upgrading optin brings new strings to overridden locales too.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from babel.support import NullTranslations, Translations

from generator.i18n import catalogs
from generator.text import strip_tags
from generator.i18n.catalogs import SOURCE_LANG, CatalogReport

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog


class Locales:
    """Locale folders, most specific first (e.g. the project's, then the built-in one)."""

    def __init__(self, *dirs: Path):
        self.dirs = tuple(d for d in dirs if d is not None)
        self._translations: dict[str, Translations] = {}

    def catalog_paths(self, lang: str) -> list[Path]:
        return [p for p in (catalogs.po_path(d, lang) for d in self.dirs) if p.is_file()]

    def template_path(self) -> Path:
        """messages.pot: the first folder that has one (projects normally use the built-in)."""
        for d in self.dirs:
            if catalogs.pot_path(d).is_file():
                return catalogs.pot_path(d)
        return catalogs.pot_path(self.dirs[-1])

    @cached_property
    def template(self) -> Catalog:
        return catalogs.read_catalog(self.template_path())

    def available(self) -> list[str]:
        """Locales that have a catalog in any folder."""
        return sorted({p.parent.parent.name for d in self.dirs for p in d.glob("*/LC_MESSAGES/messages.po")})

    def notice_path(self, lang: str) -> Path:
        """The locale's notice.md: the project's when it has one, else the built-in."""
        for d in self.dirs:
            if (d / lang / "notice.md").is_file():
                return d / lang / "notice.md"
        return self.dirs[0] / lang / "notice.md"

    def notice_is_english_copy(self, lang: str) -> bool:
        """True while a locale's notice.md is still the English text `init` copied into it."""
        path, english = self.notice_path(lang), self.notice_path(SOURCE_LANG)
        return (lang != SOURCE_LANG and path.is_file() and english.is_file()
                and path.read_bytes() == english.read_bytes())

    def supported(self) -> list[str]:
        """Locales a campaign may use: a catalog and a notice (in any folder). A locale is data:
        adding one needs no code change."""
        return [lang for lang in self.available() if self.notice_path(lang).is_file()]

    def layers(self, lang: str) -> list[tuple[Path, Catalog]]:
        return [(path, catalogs.read_catalog(path, lang)) for path in self.catalog_paths(lang)]

    def translations(self, lang: str) -> Translations:
        """Per-message fallback through the folders, then the English msgid."""
        if lang not in self._translations:
            chain: Translations | NullTranslations = NullTranslations()
            for path in reversed(self.catalog_paths(lang)):
                layer = catalogs.compiled_file(path, lang)
                layer.add_fallback(chain)
                chain = layer
            self._translations[lang] = chain
        return self._translations[lang]

    def report(self, lang: str, template: Catalog | None = None) -> CatalogReport:
        return catalogs.report(lang, template if template is not None else self.template, self.layers(lang))

    def english_ui_strings(self, min_words: int = 2) -> list[str]:
        """English UI texts (from the en catalogs) long enough to be recognisable on a page: a
        non-English page containing one of them shows untranslated English. Placeholders split a
        message into fragments; only fragments of `min_words` words or more are kept."""
        out: set[str] = set()
        for _, catalog in self.layers(SOURCE_LANG):
            for message in catalog:
                for text in catalogs.strs(message) if message.id else []:
                    plain = strip_tags(text)
                    for fragment in catalogs.PLACEHOLDER.split(plain)[::2]:
                        fragment = " ".join(fragment.split()).strip(" .,:;")
                        if len(fragment.split()) >= min_words:
                            out.add(fragment)
        return sorted(out)
