"""Privacy notices: Markdown per locale with Jinja placeholders, rendered once per campaign and
locale; GDPR Art. 13 / PDPA s.7 completeness checked on the rendered result; content hashes.

A required item is either a section (`## Heading { #id }`) or, inside a section, a block marked
with a class (`{ .item-name }` on the last line of a paragraph or list item). Markers survive
translation (words differ per language, classes do not), so the check works in every locale.
"""
from __future__ import annotations

import hashlib
import html
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale
from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup, escape

from generator.errors import BuildError, CampaignError, Problem
from generator.text import strip_tags
from generator.i18n.locales import Locales
from generator.site import notice_cache, safety
from generator.site.requirements import (  # noqa: F401 - re-exported: the checks' one definition
    PDPA_RIGHTS, REQUIRED_ITEMS, REQUIRED_SECTIONS, required_items)
from generator.urls import origin

SECTION = re.compile(r'<h2 id="([\w-]+)">(.*?)(?=<h2 |\Z)', re.S)
ITEM = re.compile(r'<(\w+)\b[^>]*\bclass="(?:[^"]*\s)?item-([\w-]+)(?:\s[^"]*)?"[^>]*>(.*?)</\1>', re.S)
ID_ATTR = re.compile(r'(<h[1-6]\b[^>]*\bid=")([\w-]+)(")')


def normalise(fragment: str) -> str:
    """Text of an HTML fragment: tags dropped, entities decoded, whitespace folded, NFC."""
    text = strip_tags(fragment)
    return unicodedata.normalize("NFC", " ".join(text.split()))


def content_hash(*fragments: str) -> str:
    """sha256 of the normalised text: the version that travels with every consent record."""
    return hashlib.sha256("\n".join(normalise(f) for f in fragments).encode()).hexdigest()


class NoticeHtml(Markup):
    """Rendered notice HTML. `with_id_prefix('en-')` gives the same notice with prefixed heading
    ids, so a page showing two notices (ms + en) has no duplicate ids."""

    __slots__ = ()

    def with_id_prefix(self, prefix: str) -> Markup:
        return Markup(ID_ATTR.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}{m.group(3)}", str(self)))


# Python-Markdown's backslash escapes (Markdown.ESCAPED_CHARS) less ">", which autoescape turns
# into &gt; (as it does < and &): "\*" renders "*", in text and in link targets alike.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!])")


def as_text(value):
    """Finalize of the notice environment: a campaign value enters the Markdown as text, never
    as Markdown (a brand `Bakery *Star*` shows its stars; a name cannot make a link, an image or
    an attribute list). Line breaks fold to spaces so a value cannot start a block."""
    if isinstance(value, str) and not isinstance(value, Markup):
        text = " ".join(value.splitlines())
        recorder = notice_cache.recorder()  # a tokenising render: the value waits outside the Markdown
        token = recorder.token(text) if recorder is not None else None
        return token if token is not None else MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return value


@lru_cache(maxsize=None)
def _env(dirs: tuple[Path, ...]) -> Environment:
    """Notices: a project's locales/<lang>/notice.md before the built-in one."""
    return Environment(loader=FileSystemLoader([str(d) for d in dirs]), autoescape=True,
                       undefined=StrictUndefined, keep_trailing_newline=True, finalize=as_text)


@lru_cache(maxsize=None)
def _wording_env(dirs: tuple[Path, ...]) -> Environment:
    """Legal wording templates next to the notices (summary.html), with gettext."""
    env = Environment(loader=FileSystemLoader([str(d) for d in dirs]), autoescape=True,
                      undefined=StrictUndefined, extensions=["jinja2.ext.i18n"],
                      trim_blocks=True, lstrip_blocks=True)
    env.policies["ext.i18n.trimmed"] = True  # matches babel.cfg extraction
    env.filters["bcp47"] = lambda code: str(code).replace("_", "-")
    return env


def use_bytecode_cache(locales: Locales, folder: Path) -> None:
    """Keep the notices' and wording templates' compiled code in `folder` (the build cache):
    a rebuild does not compile them again."""
    folder.mkdir(parents=True, exist_ok=True)
    for env in (_env(locales.dirs), _wording_env(locales.dirs)):
        env.bytecode_cache = FileSystemBytecodeCache(str(folder))


_render_lock = threading.Lock()


def render_wording(name: str, locales: Locales, lang: str, **context) -> Markup:
    """Render a legal wording template (e.g. summary.html) in `lang`."""
    env = _wording_env(locales.dirs)
    with _render_lock:  # the installed translations are environment-wide
        env.install_gettext_translations(locales.translations(lang), newstyle=True)
        return Markup(env.get_template(name).render(lang=lang, **context))


def _markdown(text: str) -> str:
    return notice_cache.markdown_html(text)[0]


def _to_html(env: Environment, name: str, lang: str, path: Path, context: dict, extra: str) -> str:
    """The notice's HTML, refused when unsafe. Through notice_cache (Markdown once per notice
    structure, the same bytes) when it can stand for the direct render, else rendered in full."""
    suffix = "\n\n" + html.escape(extra, quote=False) if extra else ""
    try:
        template = env.get_template(name)
        if notice_cache.tokenisable(env, name):
            with notice_cache.recording() as recorder:
                source = template.render(country_name=country_namer(lang), **context)
            found = notice_cache.entry(source + suffix, len(recorder.values))
            if found is not None and notice_cache.fits(found, recorder.values):
                escaped = [str(escape(v)) for v in recorder.values]
                out = notice_cache.fill(found, escaped)
                own = origin(getattr(context.get("campaign"), "base_url", "") or "")
                if notice_cache.unsafe(found, escaped, own):
                    _refuse_unsafe(out, lang, path, context, extra)
                return out
        source = template.render(country_name=country_namer(lang), **context)
    except TemplateError as exc:
        raise BuildError(f"locale {lang}: notice {path}: {exc}") from None
    out = _markdown(source + suffix)
    _refuse_unsafe(out, lang, path, context, extra)
    return out


def country_namer(lang: str):
    territories = Locale.parse(lang).territories

    def country_name(code: str) -> str:
        """'US' -> 'USA' (nb), 'Amerika Syarikat' (ms): CLDR names, not codes."""
        return territories.get(code.upper(), code)

    return country_name


@dataclass(frozen=True)
class Notice:
    lang: str
    html: NoticeHtml


def render(lang: str, context: dict, locales: Locales, extra: str = "") -> Notice:
    """Render <locales>/<lang>/notice.md with the campaign context, then Markdown -> HTML.

    When the context carries a campaign, the rendered result is checked right here: a notice
    lacking a required item raises BuildError naming campaign, locale and item."""
    name = f"{lang}/notice.md"
    path = locales.notice_path(lang)
    if not path.is_file():
        raise BuildError(f"locale {lang}: notice {path} is missing "
                         "(each locale needs a notice.md next to its LC_MESSAGES)")
    notice = Notice(lang, NoticeHtml(_to_html(_env(locales.dirs), name, lang, path, context, extra)))
    if "campaign" in context:
        missing = missing_items(notice.html, required_mentions(context),
                                withdraw_url=context.get("withdraw_url", ""), required=required_items(context))
        if context.get("gdpr") and not context.get("eea") and "gdpr" not in sections(notice.html):
            missing.append("the GDPR layer for people in the EEA (Art. 3(2), 27, 77): no section with id #gdpr")
        if missing:
            raise BuildError(f"campaign {context['campaign'].id}, locale {lang}: the privacy notice "
                             f"({_shown(path)}) lacks required items:\n  " + "\n  ".join(missing))
    return notice


def _line(text: str, needle: str) -> int | None:
    at = text.lower().find(needle.lower()) if needle else -1
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _refuse_unsafe(fragment: str, lang: str, path: Path, context: dict, extra: str) -> None:
    """The rendered notice may carry no script or data link, event handler, style, embedded
    document or image from another origin (site/safety.py, the checker's definitions): refused
    here, naming the campaign's `notice.<lang>` or the locale's notice.md and the line."""
    campaign = context.get("campaign")
    findings = safety.scan(fragment, origin(getattr(campaign, "base_url", "") or ""))
    if not findings:
        return
    ours, theirs = [], []
    for finding in findings:
        (ours if extra and finding.needle.lower() in extra.lower() else theirs).append(finding)
    if ours and campaign is not None:
        file = Path(campaign.source)
        text = file.read_text(encoding="utf-8", errors="replace") if file.is_file() else ""
        key_line = _line(text, "\nnotice:")
        raise CampaignError([Problem(str(file), _line(text, f.needle) or (key_line + 1 if key_line else None),
                                     f"notice.{lang}", f"the notice text would publish {f.message}",
                                     "write plain Markdown: text, https/mailto links, images from the site")
                             for f in ours])
    text = path.read_text(encoding="utf-8", errors="replace")
    raise BuildError("\n".join(str(Problem(str(_shown(path)), _line(text, f.needle), "",
                                            f"the notice would publish {f.message}",
                                            "remove it: notices are text, links and the site's own images"))
                                for f in (theirs or ours)))


def _shown(path: Path) -> Path:
    """A path as the user typed it: relative to the working folder when inside it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def required_mentions(context: dict) -> dict[str, list[str]]:
    """Values from the campaign each section must name, taken from the notice's own context."""
    c = context["controller"]
    contacts = [x for x in (c.dpo, c.representative) if x]
    recipients = context.get("recipients", [])
    return {
        "controller": [c.name, c.address, c.email] + [v for x in contacts for v in (x.name, x.email)],
        "purposes": [p.topic for p in context.get("purposes", ())],
        "recipients": [r["name"] for r in context.get("hosts", []) + recipients],
        "transfers": [v for r in context.get("transfers", []) + context.get("gdpr_transfers", [])
                      for v in (r["name"], r["basis"])],
        "retention": [p.retention for p in context.get("purposes", ())],
        "withdraw": list(context.get("keywords", [])),
        "complaint": [context.get("authority_name", context["authority"].name), context["authority"].url],
    }


def items(section_html: str) -> dict[str, str]:
    """Marked items in a section: name -> normalised text (the first block with that marker)."""
    out: dict[str, str] = {}
    for m in ITEM.finditer(section_html):
        out.setdefault(m.group(2), normalise(m.group(3)))
    return out


def sections(notice_html: str) -> dict[str, str]:
    """Section id -> its HTML (heading included), for every `## Heading { #id }`."""
    return {m.group(1): m.group(0) for m in SECTION.finditer(notice_html)}


def missing_items(notice_html: str, must_mention: dict[str, list[str]], withdraw_url: str = "",
                  required: dict[str, dict[str, str]] | None = None) -> list[str]:
    """Required items absent from the rendered notice: a missing or empty section, a marked item
    that is missing or empty, a section that does not mention a value it must (e.g. the
    authority's name), or a withdraw instruction without a link to the withdraw page."""
    found = sections(notice_html)
    missing = []
    for key, label in REQUIRED_SECTIONS.items():
        section = found.get(key)
        if section is None:
            missing.append(f"{label}: no section with id #{key}")
            continue
        heading, _, body = section.partition("</h2>")
        if not normalise(body):
            missing.append(f"{label}: section #{key} is empty")
            continue
        text = normalise(section)
        marked = items(section)
        for item, what in (REQUIRED_ITEMS if required is None else required).get(key, {}).items():
            if not marked.get(item):
                missing.append(f"{label}: {what} is missing (a block marked {{ .item-{item} }} "
                               f"with text, in section #{key})")
        for value in must_mention.get(key, []):
            if value and " ".join(unicodedata.normalize("NFC", value).split()) not in text:  # text, not HTML
                missing.append(f"{label}: does not mention {value!r}")
        if key == "withdraw" and withdraw_url and marked.get("withdraw-how") is not None:
            how = next((m.group(0) for m in ITEM.finditer(section) if m.group(2) == "withdraw-how"), "")
            if f'href="{withdraw_url}"' not in how:
                missing.append(f"{label}: the withdraw instruction has no link to {withdraw_url}")
    return missing
