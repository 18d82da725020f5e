"""The theme renderer's `_()` and `gettext` (site/render.py, with a per-locale memo) give what
Jinja's own new-style gettext gives: escaping, `%%`, variables, loops, autoescape off, and a
locale switch between renders."""
from __future__ import annotations

import io

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from generator.site.render import Renderer
from generator.site.themes import Theme

TEMPLATE = """{{ _("Plain") }}|{{ _("100%% sure") }}|{{ _("Hi %(name)s", name=who) }}|{{ gettext("Plain") }}
{% for x in items %}{{ _("Item %(n)s", n=x) }}{{ _("Plain") }}{% endfor %}
{% trans %}Block <b>{{ who }}</b>{% endtrans %}|{{ ngettext("%(num)s thing", "%(num)s things", 2) }}
{% autoescape false %}{{ _("Markup <i>%(name)s</i>", name=who) }}{{ _("Plain") }}{% endautoescape %}
"""
STRINGS = {"Plain": "Enkel <&>", "100%% sure": "100%% sikker", "Hi %(name)s": "Hei %(name)s",
           "Item %(n)s": "Ting %(n)s", "Block <b>%(who)s</b>": "Blokk <b>%(who)s</b>",
           "Markup <i>%(name)s</i>": "Merke <i>%(name)s</i>"}


def translations(lang: str, strings: dict[str, str]) -> Translations:
    catalog = Catalog(locale=lang)
    for msgid, msgstr in strings.items():
        catalog.add(msgid, msgstr)
    catalog.add(("%(num)s thing", "%(num)s things"), ("%(num)s ting", "%(num)s tinger"))
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


def test_the_same_text_as_jinjas_gettext(tmp_path):
    (tmp_path / "t" / "templates").mkdir(parents=True)
    (tmp_path / "t" / "templates" / "page.html").write_text(TEMPLATE, encoding="utf-8")
    renderer = Renderer(Theme("t", (tmp_path / "t",)))
    stock = Environment(loader=FileSystemLoader(str(tmp_path / "t" / "templates")), autoescape=True,
                        extensions=["jinja2.ext.i18n"], undefined=StrictUndefined, trim_blocks=True,
                        lstrip_blocks=True)
    stock.policies["ext.i18n.trimmed"] = True
    context = {"who": "<Ola & Kari>", "items": [1, "<2>"]}
    nb, de = translations("nb", STRINGS), translations("de", {k: f"DE {v}" for k, v in STRINGS.items()})
    seen = []
    for locale in (nb, de, nb, nb):  # switching back uses the memo of the first nb render
        stock.install_gettext_translations(locale, newstyle=True)
        expected = stock.get_template("page.html").render(**context)
        assert renderer.render("page.html", locale, **context) == expected
        seen.append(expected)
    # translations are the catalog's own HTML; variables are escaped; %% is one %
    assert "Enkel <&>" in seen[0] and "100% sikker" in seen[0] and "Hei &lt;Ola &amp; Kari&gt;" in seen[0]
    assert "Merke <i><Ola & Kari></i>" in seen[0]  # autoescape off
    assert seen[0] != seen[1]
