"""One Jinja2 environment per theme: autoescape on, jinja2.ext.i18n with Jinja's own new-style
gettext (variables autoescaped, `%` handled as Jinja documents it).

Templates are compiled once (Jinja caches them on the environment, and a build's compiled code
in the build cache, keyed by each template's source); the locale's translations are installed
before each render, so one environment serves every locale.
"""
from __future__ import annotations

from pathlib import Path

from babel.support import Translations
from jinja2 import ChoiceLoader, Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined

from generator.site.themes import Theme


class Renderer:
    """Renders a theme's templates (a child theme's first, then its parents')."""

    def __init__(self, theme: Theme, bytecode: Path | None = None):
        self.theme = theme
        if bytecode is not None:
            bytecode.mkdir(parents=True, exist_ok=True)
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(d)) for d in theme.template_dirs]),
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # one Renderer per build: no need to stat each template per page
            bytecode_cache=FileSystemBytecodeCache(str(bytecode)) if bytecode is not None else None,
        )
        self.env.policies["ext.i18n.trimmed"] = True  # matches babel.cfg extraction
        # Locale folders follow gettext (pt_BR); HTML lang/hreflang want BCP 47 (pt-BR).
        self.env.filters["bcp47"] = lambda code: str(code).replace("_", "-")
        self.env.install_null_translations(newstyle=True)
        self._installed: Translations | None = None

    def compile_all(self) -> None:
        """Every template compiled now (before worker processes fork, so none compiles again)."""
        for name in self.env.list_templates(extensions=["html", "txt", "xml", "svg", "json"]):
            self.env.get_template(name)

    def render(self, template: str, translations: Translations, **context) -> str:
        if translations is not self._installed:
            self.env.install_gettext_translations(translations, newstyle=True)
            self._installed = translations
        return self.env.get_template(template).render(**context)
