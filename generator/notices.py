"""Privacy notices: Markdown per locale with Jinja placeholders, rendered once per campaign and
locale; GDPR Art. 13 / PDPA s.7 completeness checked on the rendered result; content hashes."""
from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import markdown
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup

from . import LOCALES_DIR
from .errors import BuildError

# Each required item is a section whose heading carries this id ({#id} in the Markdown).
REQUIRED_SECTIONS = {
    "controller": "controller identity and contact (Art. 13(1)(a))",
    "purposes": "purposes and legal basis (Art. 13(1)(c))",
    "recipients": "recipients or categories of recipients (Art. 13(1)(e))",
    "transfers": "transfers outside the EEA and the safeguard (Art. 13(1)(f))",
    "retention": "retention period (Art. 13(2)(a))",
    "rights": "data subject rights (Art. 13(2)(b))",
    "withdraw": "right to withdraw consent and how (Art. 13(2)(c))",
    "complaint": "right to complain to the supervisory authority (Art. 13(2)(d))",
    "requirement": "whether providing the data is required (Art. 13(2)(e))",
    "automated": "automated decision-making (Art. 13(2)(f))",
}
TAG = re.compile(r"<[^>]+>")
SECTION = re.compile(r'<h2 id="([\w-]+)">(.*?)(?=<h2 |\Z)', re.S)


def normalise(fragment: str) -> str:
    """Text of an HTML fragment: tags dropped, entities decoded, whitespace folded, NFC."""
    text = html.unescape(TAG.sub(" ", fragment))
    return unicodedata.normalize("NFC", " ".join(text.split()))


def content_hash(*fragments: str) -> str:
    """sha256 of the normalised text: the version that travels with every consent record."""
    return hashlib.sha256("\n".join(normalise(f) for f in fragments).encode()).hexdigest()


@lru_cache(maxsize=None)
def _env(locales_dir: Path) -> Environment:
    return Environment(loader=FileSystemLoader(str(locales_dir)), autoescape=True,
                       undefined=StrictUndefined, keep_trailing_newline=True)


def _markdown(text: str) -> str:
    return markdown.markdown(text, extensions=["attr_list", "sane_lists"], output_format="html")


@dataclass(frozen=True)
class Notice:
    lang: str
    html: Markup


def render(lang: str, context: dict, extra: str = "", locales_dir: Path = LOCALES_DIR) -> Notice:
    """Render locales/<lang>/notice.md with the campaign context, then Markdown -> HTML."""
    name = f"{lang}/notice.md"
    if not (locales_dir / name).is_file():
        raise BuildError(f"locale {lang}: notice {locales_dir / name} is missing "
                         "(each locale needs a notice.md next to its LC_MESSAGES)")
    try:
        source = _env(locales_dir).get_template(name).render(**context)
    except TemplateError as exc:
        raise BuildError(f"locale {lang}: notice {locales_dir / name}: {exc}") from None
    if extra:
        source += "\n\n" + html.escape(extra, quote=False)
    return Notice(lang, Markup(_markdown(source)))


def missing_items(notice_html: str, must_mention: dict[str, list[str]]) -> list[str]:
    """Required items absent from the rendered notice: a missing section, an empty one, or a
    section that does not mention a value it must (e.g. the authority's name)."""
    sections = {m.group(1): normalise(m.group(2)) for m in SECTION.finditer(notice_html)}
    missing = []
    for key, label in REQUIRED_SECTIONS.items():
        text = sections.get(key)
        if text is None:
            missing.append(f"{label}: no section with id #{key}")
            continue
        for value in must_mention.get(key, []):
            if normalise(value) not in text:
                missing.append(f"{label}: does not mention {value!r}")
    return missing
