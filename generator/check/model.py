"""The site as `optin check` reads it: every *.html file parsed into a tree (check/tree.py), the
campaign facts (locales, endpoints, proper nouns) from the `optin.json` manifest the build writes
next to each campaign's pages, or from the campaign files themselves with `--campaigns`, and the
project's locales for the language rules.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from generator.check.tree import Node, parse
from generator.errors import OptinError
from generator.campaign.model import load_all
from generator.i18n.locales import Locales
from generator.project import Project
from generator.site.build import campaign_files
from generator.site.pages import manifest

NOTICE_NAME = re.compile(r"privacy(-[0-9a-f]+)?\.html$")
PAGE_KINDS = {"index.html": "signup", "thanks.html": "thanks", "confirm.html": "confirm",
              "withdraw.html": "withdraw"}


@dataclass(frozen=True, order=True)
class Failure:
    page: str
    rule: str
    element: str
    message: str

    def as_dict(self) -> dict:
        return {"rule": self.rule, "page": self.page, "element": self.element, "message": self.message}


# --- a small HTML tree ---------------------------------------------------------------------


def locale_tag(locale: str) -> str:
    """A locale folder name (gettext style, pt_BR) as the BCP 47 tag pages use, lower-cased."""
    return locale.replace("_", "-").lower()


@lru_cache(maxsize=8192)  # pages repeat their links: asked ~10 times per page
def is_external(url: str) -> bool:
    parts = urlsplit(url.strip())
    return bool(parts.scheme or parts.netloc)


HTML_TAG = re.compile(r"<html\b[^>]*>", re.I)
TREES_KEPT = 64  # parsed pages kept at once: neighbours link each other; a big site stays small


@dataclass
class Page:
    site: "Site"
    rel: str  # path inside the site, with forward slashes
    source: str

    @property
    def root(self) -> Node:
        return self.site.tree(self)

    @property
    def html(self) -> Node:
        return self.root.find("html") or self.root

    @property
    def parts(self) -> list[str]:
        return self.rel.split("/")

    @cached_property
    def campaign(self) -> str | None:
        return self.parts[0] if len(self.parts) >= 2 else None

    @cached_property
    def locale(self) -> str | None:
        return self.parts[1] if len(self.parts) == 3 else None

    @cached_property
    def kind(self) -> str:
        name = self.parts[-1]
        if len(self.parts) == 1:
            return "site-index"
        if len(self.parts) == 2:
            return "picker" if name == "index.html" else "other"
        if NOTICE_NAME.match(name):
            return "notice"
        return PAGE_KINDS.get(name, "other")

    @cached_property
    def lang(self) -> str:
        # only the <html> start tag is parsed: other pages' languages are asked for often
        tag = HTML_TAG.search(self.source)
        html = parse(tag.group(0)).find("html") if tag else None
        return (html.get("lang") or "").strip() if html is not None else ""

    @property
    def manifest(self) -> dict | None:
        return self.site.campaigns.get(self.campaign) if self.campaign else None

    def memo(self, key: str, compute, tree_only: bool = False):
        """compute(page), kept with the page's tree: what several rules derive from a page.
        Pages with the same source share a tree: `tree_only` when compute reads only the tree."""
        memo = self.root.memo
        if not tree_only:
            key = (self.rel, key)
        if key not in memo:
            memo[key] = compute(self)
        return memo[key]

    def resolve(self, href: str) -> str | None:
        """The site file a relative link points to, as an absolute path (folders -> index.html);
        None if external. Strings, not Paths: a big site resolves ~10 links per page."""
        href = (href or "").strip()
        if not href or href.startswith("#") or is_external(href):
            return None
        return self.site.target(os.path.dirname(self.rel), href)


@dataclass
class Site:
    root: Path
    locales: Locales
    campaigns: dict[str, dict] = field(default_factory=dict)  # id -> manifest
    problems: list[Failure] = field(default_factory=list)  # manifest problems
    _pages: dict[str, Page] = field(default_factory=dict)
    _trees: dict[str, Node] = field(default_factory=dict)  # source -> tree, most recently used last
    _targets: dict[tuple[str, str], str] = field(default_factory=dict)  # (folder, href) -> file
    _rels: dict[Path | str, str | None] = field(default_factory=dict)  # page(path) -> rel

    @cached_property
    def _root(self) -> str:
        return os.fspath(self.root)

    def target(self, folder: str, href: str) -> str:
        """The file a (non-external) link from a page in `folder` points to; see Page.resolve."""
        key = (folder, href)
        found = self._targets.get(key)
        if found is None:
            path = unquote(urlsplit(href).path)
            base = self._root if path.startswith("/") else os.path.join(self._root, folder)
            found = os.path.normpath(os.path.join(base, path.lstrip("/")))  # the site's files, not symlinks' targets
            if path.endswith("/") or os.path.isdir(found):
                found = os.path.join(found, "index.html")
            self._targets[key] = found
        return found

    def tree(self, page: Page) -> Node:
        # by source: a notice and its versioned copy are the same page, parsed once
        root = self._trees.pop(page.source, None) or parse(page.source)
        self._trees[page.source] = root
        if len(self._trees) > TREES_KEPT:
            del self._trees[next(iter(self._trees))]
        return root

    def page(self, path: Path | str) -> Page | None:
        """The page at a site path (absolute or relative), or None if it is not a file."""
        rel = self._rels.get(path, "")
        if rel == "":
            rel = self._rels[path] = self._rel(path)
        if rel is None:
            return None
        page = self._pages.get(rel)
        if page is None:
            full = os.path.join(self._root, rel)
            if not os.path.isfile(full):
                return None
            with open(full, encoding="utf-8", errors="replace") as file:
                page = self._pages[rel] = Page(self, rel, file.read())
        return page

    def _rel(self, path: Path | str) -> str | None:
        """A path's place in the site, with forward slashes; None if outside."""
        full = os.path.normpath(os.path.join(self._root, path))  # an absolute `path` stays itself
        if full == self._root:
            return "."
        inside = self._root.rstrip(os.sep) + os.sep
        return full[len(inside):].replace(os.sep, "/") if full.startswith(inside) else None

    def html_files(self) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*.html")
                      if "assets" not in p.relative_to(self.root).parts[:1])

    def css_files(self) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*.css"))


def campaign_dirs(root: Path) -> list[str]:
    """Top-level folders holding a campaign's pages (a picker or locale folders)."""
    return sorted(d.name for d in root.iterdir()
                  if d.is_dir() and d.name != "assets" and any(d.glob("*/index.html")))


def load_site(root: Path, project: Project, campaigns_dir: Path | None = None) -> Site:
    if not root.is_dir():
        raise OptinError(f"{root} is not a folder: build the site first (`optin build --out {root}`)")
    site = Site(root.resolve(), project.locales)
    if campaigns_dir is not None:
        site.campaigns = {c.id: manifest(c) for c in load_all(campaign_files([campaigns_dir]), project)}
    for name in campaign_dirs(root):
        if campaigns_dir is not None:
            if name not in site.campaigns:
                site.problems.append(Failure(name, "manifest", "", f"no campaign with id {name!r} in {campaigns_dir}"))
            continue
        path = root / name / "optin.json"
        try:
            site.campaigns[name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            site.problems.append(Failure(f"{name}/optin.json", "manifest", "",
                                         f"cannot read the campaign manifest ({exc.__class__.__name__}): "
                                         "rebuild with `optin build`, or pass --campaigns"))
    return site
