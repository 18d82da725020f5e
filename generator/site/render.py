"""One Jinja2 environment per theme: autoescape on, jinja2.ext.i18n with Jinja's own new-style
gettext (variables autoescaped, `%` handled as Jinja documents it).

Templates are compiled once (Jinja caches them on the environment); the locale's translations
are installed before each render, so one environment serves every locale.
"""
from __future__ import annotations

from babel.support import Translations
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from generator.site.themes import Theme


class Renderer:
    """Renders a theme's templates (a child theme's first, then its parents')."""

    def __init__(self, theme: Theme):
        self.theme = theme
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(d)) for d in theme.template_dirs]),
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # one Renderer per build: no need to stat each template per page
        )
        self.env.policies["ext.i18n.trimmed"] = True  # matches babel.cfg extraction
        # Locale folders follow gettext (pt_BR); HTML lang/hreflang want BCP 47 (pt-BR).
        self.env.filters["bcp47"] = lambda code: str(code).replace("_", "-")
        self.env.install_null_translations(newstyle=True)
        self._installed: Translations | None = None

    def render(self, template: str, translations: Translations, **context) -> str:
        if translations is not self._installed:
            self.env.install_gettext_translations(translations, newstyle=True)
            self._installed = translations
        return self.env.get_template(template).render(**context)
