"""One Jinja2 environment per theme: autoescape on, jinja2.ext.i18n with Jinja's own new-style
gettext (variables autoescaped, `%` handled as Jinja documents it).

Templates are compiled once (Jinja caches them on the environment, and a build's compiled code
in the build cache, keyed by each template's source); the locale's translations are installed
before each render, so one environment serves every locale. `_()` and `gettext` are Jinja's own
(jinja2.ext) with two shortcuts that change no result: the translation is called directly, and a
string without variables is formatted once per locale (pages ask for the same ones thousands of
times).
"""
from __future__ import annotations

from pathlib import Path

from babel.support import Translations
from jinja2 import ChoiceLoader, Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, pass_context
from markupsafe import Markup

from generator.site.themes import Theme


class Renderer:
    """Renders a theme's templates (a child theme's first, then its parents')."""

    def __init__(self, theme: Theme, bytecode: Path | None = None):
        self.theme = theme
        if bytecode is not None:
            bytecode.mkdir(parents=True, exist_ok=True)
        self.env = _Environment(
            loader=ChoiceLoader([FileSystemLoader(str(d)) for d in theme.template_dirs]),
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # one Renderer per build: no need to stat each template per page
            cache_size=-1,  # a plain dict: Jinja's LRU cache costs a list scan per template lookup
            bytecode_cache=FileSystemBytecodeCache(str(bytecode)) if bytecode is not None else None,
        )
        self.env.policies["ext.i18n.trimmed"] = True  # matches babel.cfg extraction
        # Locale folders follow gettext (pt_BR); HTML lang/hreflang want BCP 47 (pt-BR).
        self.env.filters["bcp47"] = lambda code: str(code).replace("_", "-")
        self.env.install_null_translations(newstyle=True)
        self.env.globals["_"] = _gettext_alias
        self._installed: Translations | None = None
        self._gettexts: dict[int, tuple[Translations, object]] = {}

    def compile_all(self) -> None:
        """Every template compiled now (before worker processes fork, so none compiles again)."""
        for name in self.env.list_templates(extensions=["html", "txt", "xml", "svg", "json"]):
            self.env.get_template(name)

    def render(self, template: str, translations: Translations, **context) -> str:
        if translations is not self._installed:
            self.env.install_gettext_translations(translations, newstyle=True)
            if id(translations) not in self._gettexts:
                self._gettexts[id(translations)] = (translations, _new_gettext(translations))
            self.env.globals["gettext"] = self._gettexts[id(translations)][1]
            self._installed = translations
        return self.env.get_template(template).render(**context)


class _Environment(Environment):
    """Templates looked up once per name: pages extend and include the same few thousands of
    times, and with auto_reload off and an unbounded cache Jinja would return the same object."""

    def __init__(self, **options):
        super().__init__(**options)
        self._found: dict[tuple, object] = {}

    def get_template(self, name, parent=None, globals=None):
        if globals is not None or not isinstance(name, str):
            return super().get_template(name, parent, globals)
        key = (name, parent)
        if key not in self._found:
            self._found[key] = super().get_template(name, parent)
        return self._found[key]


def _new_gettext(translations: Translations):
    """jinja2.ext's new-style gettext of `translations`, its variable-free results kept."""
    func = getattr(translations, "ugettext", None) or translations.gettext
    plain: dict[str, Markup] = {}

    @pass_context
    def gettext(__context, __string: str, **variables):
        if not __context.eval_ctx.autoescape:
            return func(__string) % variables
        if variables:
            return Markup(func(__string)) % variables
        found = plain.get(__string)
        if found is None:
            found = plain[__string] = Markup(func(__string)) % variables
        return found

    gettext.optin_fast = True
    return gettext


@pass_context
def _gettext_alias(__context, *args, **kwargs):
    """jinja2.ext's `_`: the `gettext` in scope, called as Context.call would call it."""
    found = __context.resolve("gettext")
    if getattr(found, "optin_fast", False):
        return found(__context, *args, **kwargs)
    return __context.call(found, *args, **kwargs)
