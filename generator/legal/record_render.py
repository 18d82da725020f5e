"""The record of processing (and the DPIA screening) as Markdown and HTML, from templates/.

Campaign values are text in both: the HTML environment autoescapes; the Markdown one escapes
every value it prints (markdown_text), so a name cannot make a link, a table cell or a tag.
The HTML document is self-contained: no scripts, no requests, its one <style> allowed by hash.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

CSS = """
body{font:15px/1.45 system-ui,sans-serif;color:#1a1a1a;background:#fff;margin:0 auto;max-width:70rem;padding:0 1.5rem}
h1{font-size:1.5rem;margin:1rem 0 .3rem}
h2{font-size:1.25rem;margin:2.2rem 0 .5rem;border-bottom:2px solid #1a1a1a}
h3{font-size:1.05rem;margin:1.4rem 0 .4rem}
h4{font-size:1rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #888;padding:.25rem .5rem;text-align:left;vertical-align:top}
code{font-size:.85em}
.todo li{list-style:"\\2610  "}
.meta{color:#333}
""".strip()
SPECIAL = re.compile(r"([\\*_\[\]|])")
CODE_SPAN = re.compile(r"(`[^`]+`)")


def markdown_text(value):
    """Finalize of the Markdown environment: a value prints as text (Markdown's special
    characters escaped, < and > as entities, line breaks folded); Markup passes as it is."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return "" if value is None else value
    out = []
    for i, part in enumerate(CODE_SPAN.split(" ".join(value.split()))):
        if i % 2:  # a `code span` (our own texts mark commands and keys so): literal, but a table's | splits
            out.append(part.replace("|", "\\|"))
        else:
            out.append(SPECIAL.sub(r"\\\1", part.replace("<", "&lt;").replace(">", "&gt;")))
    return "".join(out)


def code(value) -> Markup:
    """A value as a Markdown code span (a backtick inside gets a longer fence)."""
    value = " ".join(str(value).split())
    fence = "``" if "`" in value else "`"
    return Markup(f"{fence} {value} {fence}" if fence == "``" else f"`{value}`")


TICKS = re.compile(r"`([^`]+)`")


def prose(value) -> Markup:
    """HTML: a text escaped, then its `code spans` (our own texts use them) as <code>."""
    return Markup(TICKS.sub(r"<code>\1</code>", str(Markup.escape(value))))


def _common(env: Environment, code_filter) -> Environment:
    env.filters["code"] = code_filter
    env.filters["codes"] = lambda items: Markup(", ").join(code_filter(i) for i in items)
    env.filters["yesno"] = lambda v: "yes" if v else "no"
    env.filters["join_or_none"] = lambda items, none="none": ", ".join(map(str, items)) if items else none
    return env


@cache
def markdown_env() -> Environment:
    env = Environment(loader=PackageLoader("generator.legal", "templates"), autoescape=False,
                      undefined=StrictUndefined, finalize=markdown_text, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["prose"] = lambda value: Markup(markdown_text(value))
    return _common(env, code)


@cache
def html_env() -> Environment:
    env = Environment(loader=PackageLoader("generator.legal", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["prose"] = prose
    return _common(env, lambda value: Markup("<code>%s</code>") % value)


def style_csp() -> str:
    digest = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"


def markdown(record: dict) -> str:
    return markdown_env().get_template("record.md").render(r=record)


def html(record: dict) -> str:
    return html_env().get_template("record.html").render(r=record, css=Markup(CSS), csp=style_csp())


def as_json(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def render(record: dict, fmt: str) -> str:
    return {"json": as_json, "md": markdown, "html": html}[fmt](record)
