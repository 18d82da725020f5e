"""One Jinja2 environment per build: autoescape on, jinja2.ext.i18n with new-style gettext.

Templates are compiled once (Jinja caches them on the environment); the locale's gettext is
passed in the render context, so one environment serves every locale.
"""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from markupsafe import Markup
from babel.support import Translations

from . import THEMES_DIR
from .errors import BuildError


def _new_style(translations: Translations) -> dict:
    """gettext/ngettext that autoescape their %(name)s variables, like Jinja's newstyle mode."""

    @pass_context
    def gettext(ctx, message: str, **variables):
        text = translations.ugettext(message)
        if ctx.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables if variables else text

    @pass_context
    def ngettext(ctx, singular: str, plural: str, num: int, **variables):
        variables.setdefault("num", num)
        text = translations.ungettext(singular, plural, num)
        if ctx.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return {"gettext": gettext, "ngettext": ngettext, "_": gettext}


class Renderer:
    """Renders theme templates; `gettext_for(translations)` gives the context for a locale."""

    def __init__(self, theme: str = "default", themes_dir: Path = THEMES_DIR):
        folder = themes_dir / theme / "templates"
        if not folder.is_dir():
            known = ", ".join(sorted(p.name for p in themes_dir.iterdir() if p.is_dir()))
            raise BuildError(f"theme {theme!r} not found in {themes_dir} (themes: {known})")
        self.static_dir = themes_dir / theme / "static"
        self.env = Environment(
            loader=FileSystemLoader(str(folder)),
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.policies["ext.i18n.trimmed"] = True  # matches babel.cfg extraction
        # Locale folders follow gettext (pt_BR); HTML lang/hreflang want BCP 47 (pt-BR).
        self.env.filters["bcp47"] = lambda code: str(code).replace("_", "-")
        self.env.install_null_translations(newstyle=True)
        self._locale_ctx: dict[int, dict] = {}

    def gettext_for(self, translations: Translations) -> dict:
        key = id(translations)
        if key not in self._locale_ctx:
            self._locale_ctx[key] = _new_style(translations)
        return self._locale_ctx[key]

    def render(self, template: str, translations: Translations, **context) -> str:
        return self.env.get_template(template).render(**self.gettext_for(translations), **context)
