"""The signup page as a landing page: the campaign's `page:` (headline, intro, incentive, hero
image), per locale. Marketing copy, not consent wording: it is not part of the approved legal
texts and never replaces them.

The intro is Markdown without raw HTML; its links may only be https or relative. The hero image
is a file inside the project (no third-party hosting: an image from elsewhere would tell that
host who opens the page), with alt text per locale; its size is read here so the page can
reserve its space.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from generator.campaign import images, safety
from generator.errors import Problem
from generator.urls import scheme

TEXT_KEYS = ("headline", "intro", "incentive")
# raw HTML in Markdown: a tag, a closing tag, a comment or a declaration (<https://…> autolinks are links)
_RAW_HTML = re.compile(r"<(?:[A-Za-z][A-Za-z0-9-]*(?=[\s/>])|/[A-Za-z]|!|\?)")
_LINKS = (re.compile(r"\]\(\s*<?([^)\s>]*)"),             # [text](url)
          re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M),  # [ref]: url
          re.compile(r"<([A-Za-z][A-Za-z0-9+.-]*:[^>\s]*)>"))  # <scheme:…>


@dataclass(frozen=True)
class Hero:
    path: Path
    alt: dict[str, str]  # locale -> alt text ("" marks a decorative image)
    width: int
    height: int


@dataclass(frozen=True)
class Page:
    headline: dict[str, str] = field(default_factory=dict)  # locale -> text
    intro: dict[str, str] = field(default_factory=dict)  # locale -> Markdown
    incentive: dict[str, str] = field(default_factory=dict)
    hero: Hero | None = None


def allowed_link(url: str) -> bool:
    """https, or relative to the page (a path, #anchor or ?query): nothing that leaves https."""
    url = url.strip()
    if url.startswith("//"):
        return False
    found = scheme(url)
    return found == "https" or (not found and ":" not in url.split("/", 1)[0])


def build(data: dict | None, root: Path) -> Page:
    """The validated `page:` mapping as a Page (hero path resolved against the project root)."""
    data = data or {}
    hero = data.get("hero")
    built_hero = None
    if hero:
        path = (root / hero["src"]).resolve()
        width, height = images.size(path) or (0, 0)
        built_hero = Hero(path, dict(hero.get("alt", {})), width, height)
    return Page(*(dict(data.get(k, {})) for k in TEXT_KEYS), hero=built_hero)


def attach(campaign, data: dict, root: Path):
    """`campaign` (a model.Campaign) with its `page:` copy; the hero path is project-relative."""
    return replace(campaign, page=build(data.get("page"), root))


def _locale_keys(mapping: dict, locales: list[str], file: str, line: int | None, key: str) -> list[Problem]:
    out = []
    for loc in mapping:
        if loc not in locales:
            out.append(Problem(file, line, f"{key}.{loc}", f"{loc!r} is not a locale of this campaign",
                               f"use the campaign's locales ({', '.join(locales)}) or add {loc!r} to locales"))
    missing = [loc for loc in locales if loc not in mapping]
    if missing:
        out.append(Problem(file, line, key, f"missing for {', '.join(map(repr, missing))}",
                           "give a text for every locale of the campaign (each page is in one language)"))
    return out


def _intro(text: str, file: str, line: int | None, key: str) -> list[Problem]:
    out = []
    if _RAW_HTML.search(text):
        out.append(Problem(file, line, key, "contains raw HTML",
                           "write Markdown only: **bold**, *italic*, [a link](https://…), lists"))
    for pattern in _LINKS:
        for url in pattern.findall(text):
            if not allowed_link(url):
                out.append(Problem(file, line, key, f"link {url!r} is not https or relative",
                                   "links in the intro may only be https://… or a page of this site"))
    return out


def _hero(hero: dict, root: Path, locales: list[str], file: str, line) -> list[Problem]:
    out = []
    src = hero.get("src")
    if isinstance(src, str) and src:
        if scheme(src) or src.startswith("//"):
            return [Problem(file, line(("page", "hero", "src")), "page.hero.src", f"{src!r} is hosted elsewhere",
                            "put the image file in the project and give its path (no third-party hosting: "
                            "the host would learn who opens the page)")]
        path = (root / src).resolve()
        if Path(src).is_absolute() or not path.is_relative_to(root.resolve()):
            out.append(Problem(file, line(("page", "hero", "src")), "page.hero.src",
                               f"{src!r} is outside the project", f"use a path inside {root}, relative to it"))
        elif not path.is_file():
            out.append(Problem(file, line(("page", "hero", "src")), "page.hero.src", f"image file {src!r} does not exist",
                               f"the path is relative to the project folder ({root})"))
        elif path.suffix.lower() not in images.SUFFIXES or images.size(path) is None:
            out.append(Problem(file, line(("page", "hero", "src")), "page.hero.src",
                               f"{src!r} is not a PNG, JPEG, GIF, WebP or SVG image whose size can be read",
                               "use one of those formats (an SVG needs width and height or a viewBox)"))
        elif path.suffix.lower() == ".svg" and safety.svg_problem(path.read_bytes()):
            out.append(Problem(file, line(("page", "hero", "src")), "page.hero.src",
                               f"{src!r} cannot be published: {safety.svg_problem(path.read_bytes())}",
                               "remove scripts, event handlers and references to other files from the SVG"))
    alt = hero.get("alt")
    if isinstance(alt, dict):
        out += _locale_keys(alt, locales, file, line(("page", "hero", "alt")), "page.hero.alt")
    return out


def check(data: dict, root: Path, known_locales: set[str], file: str, line) -> list[Problem]:
    """Rules of `page:` a schema cannot say: every campaign locale has its texts, the intro is
    safe Markdown, the hero image is a readable file inside the project. Parts of the wrong
    shape are skipped (the schema reports those)."""
    page = data.get("page")
    if not isinstance(page, dict):
        return []
    listed = data.get("locales")
    locales = [loc for loc in listed if isinstance(loc, str) and loc in known_locales] \
        if isinstance(listed, list) else []
    out: list[Problem] = []
    for key in TEXT_KEYS:
        mapping = page.get(key)
        if not isinstance(mapping, dict):
            continue
        where = line(("page", key))
        out += _locale_keys(mapping, locales, file, where, f"page.{key}")
        if key == "intro":
            for loc, text in mapping.items():
                if isinstance(text, str):
                    out += _intro(text, file, line(("page", key, loc)) or where, f"page.intro.{loc}")
    if isinstance(page.get("hero"), dict):
        out += _hero(page["hero"], root, locales, file, line)
    return out
