"""`optin check`: compliance and quality rules over a built site.

The site is read as it will be published: every *.html file is parsed with the standard
library's html.parser into a small tree, and the rules in `check_rules` and `check_web` (static)
and `check_browser` (Chromium) each report `Failure`s with a stable rule id, the page path, the
element and a message. Campaign facts (locales, endpoints, proper nouns) come from the
`optin.json` manifest the build writes next to each campaign's pages, or from the campaign
files themselves with `--campaigns`.
"""
from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import OptinError

VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
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

class Node:
    """An element: tag, attributes (valueless ones map to ""), children (Nodes and strings)."""

    __slots__ = ("tag", "attrs", "children", "parent", "line")

    def __init__(self, tag: str, attrs: dict[str, str], parent: "Node | None", line: int):
        self.tag, self.attrs, self.parent, self.line = tag, attrs, parent, line
        self.children: list[Node | str] = []

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def iter(self, *tags: str):
        """This node's descendant elements, in document order (optionally only `tags`)."""
        for child in self.children:
            if isinstance(child, Node):
                if not tags or child.tag in tags:
                    yield child
                yield from child.iter(*tags)

    def find(self, tag: str) -> "Node | None":
        return next(self.iter(tag), None)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def text(self, skip=lambda node: False) -> str:
        """Whitespace-folded text of this subtree; `skip(node)` leaves out a child subtree."""
        parts: list[str] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                elif child.tag not in ("script", "style", "template") and not skip(child):
                    walk(child)
                    parts.append(" ")

        walk(self)
        return " ".join("".join(parts).split())

    def describe(self) -> str:
        """A short, stable selector: input#purpose-offers, link[hreflang=de], #main p."""
        if self.get("id"):
            return f"{self.tag}#{self.get('id')}"
        keys = [k for k in ("name", "for", "rel", "hreflang", "http-equiv", "type", "href", "src", "action")
                if self.get(k)]
        own = self.tag + "".join(f"[{k}={self.get(k)}]" for k in keys[:2])
        if not keys and self.get("class"):
            own += "." + ".".join(self.get("class").split())
        anchor = next((a for a in self.ancestors() if a.get("id")), None)
        return f"#{anchor.get('id')} {own}" if anchor is not None else own


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None, 0)
        self.current = self.root

    def _add(self, tag: str, attrs, descend: bool) -> None:
        node = Node(tag, {k.lower(): (v if v is not None else "") for k, v in attrs},
                    self.current, self.getpos()[0])
        self.current.children.append(node)
        if descend and tag not in VOID:
            self.current = node

    def handle_starttag(self, tag, attrs):
        self._add(tag, attrs, True)

    def handle_startendtag(self, tag, attrs):
        self._add(tag, attrs, False)

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:  # a stray end tag is ignored, like browsers do
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(source: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(source)
    builder.close()
    return builder.root


# --- the site as read from disk ------------------------------------------------------------

def is_external(url: str) -> bool:
    parts = urlsplit(url.strip())
    return bool(parts.scheme or parts.netloc)


@dataclass
class Page:
    site: "Site"
    rel: str  # path inside the site, with forward slashes
    source: str

    @cached_property
    def root(self) -> Node:
        return parse(self.source)

    @cached_property
    def html(self) -> Node:
        return self.root.find("html") or self.root

    @property
    def parts(self) -> list[str]:
        return self.rel.split("/")

    @property
    def campaign(self) -> str | None:
        return self.parts[0] if len(self.parts) >= 2 else None

    @property
    def locale(self) -> str | None:
        return self.parts[1] if len(self.parts) == 3 else None

    @property
    def kind(self) -> str:
        name = self.parts[-1]
        if len(self.parts) == 1:
            return "site-index"
        if len(self.parts) == 2:
            return "picker" if name == "index.html" else "other"
        if NOTICE_NAME.match(name):
            return "notice"
        return PAGE_KINDS.get(name, "other")

    @property
    def lang(self) -> str:
        return (self.html.get("lang") or "").strip()

    @property
    def manifest(self) -> dict | None:
        return self.site.campaigns.get(self.campaign) if self.campaign else None

    def resolve(self, href: str) -> Path | None:
        """The site file a relative link points to (folders -> index.html); None if external."""
        href = (href or "").strip()
        if not href or href.startswith("#") or is_external(href):
            return None
        path = unquote(urlsplit(href).path)
        base = self.site.root if path.startswith("/") else (self.site.root / self.rel).parent
        target = (base / path.lstrip("/")).resolve()
        return target / "index.html" if path.endswith("/") or target.is_dir() else target


@dataclass
class Site:
    root: Path
    campaigns: dict[str, dict] = field(default_factory=dict)  # id -> manifest
    problems: list[Failure] = field(default_factory=list)  # manifest problems
    _pages: dict[str, Page] = field(default_factory=dict)

    def page(self, path: Path | str) -> Page | None:
        """The parsed page at a site path (absolute or relative), or None if it is not a file."""
        path = Path(path)
        full = path if path.is_absolute() else self.root / path
        try:
            rel = full.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return None
        if rel not in self._pages:
            if not full.is_file():
                return None
            self._pages[rel] = Page(self, rel, full.read_text(encoding="utf-8", errors="replace"))
        return self._pages[rel]

    def html_files(self) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*.html")
                      if "assets" not in p.relative_to(self.root).parts[:1])

    def css_files(self) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*.css"))


def campaign_dirs(root: Path) -> list[str]:
    """Top-level folders holding a campaign's pages (a picker or locale folders)."""
    return sorted(d.name for d in root.iterdir()
                  if d.is_dir() and d.name != "assets" and any(d.glob("*/index.html")))


def load_site(root: Path, campaigns_dir: Path | None = None) -> Site:
    if not root.is_dir():
        raise OptinError(f"{root} is not a folder: build the site first (`optin build --out {root}`)")
    site = Site(root.resolve())
    if campaigns_dir is not None:
        from .build import campaign_files
        from .campaign import load_all
        from .pages import manifest
        site.campaigns = {c.id: manifest(c) for c in load_all(campaign_files([campaigns_dir]))}
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


# --- running and reporting -----------------------------------------------------------------

def select(files: list[str], patterns: tuple[str, ...] | list[str]) -> list[str]:
    return [f for f in files if not patterns or any(fnmatch.fnmatch(f, p) for p in patterns)]


def check_site(root: Path, campaigns_dir: Path | None = None, patterns: tuple[str, ...] = (),
               browser: bool = False) -> tuple[list[Failure], int]:
    """Run every rule over the site: (failures sorted by page, number of pages checked)."""
    from . import check_rules, check_web

    site = load_site(root, campaigns_dir)
    files, styles = select(site.html_files(), patterns), select(site.css_files(), patterns)
    if patterns and not files and not styles and not select([p.page for p in site.problems], patterns):
        raise OptinError(f"no page in {root} matches {', '.join(patterns)}")
    failures = list(site.problems)  # a broken manifest affects every page of its campaign
    for rel in files:
        failures += check_rules.check_page(site.page(rel))
    failures += check_web.check_styles(site, styles)
    if browser:
        from . import check_browser
        failures += check_browser.check_pages(site, files)
    return sorted(set(failures)), len(files)


def rules(browser: bool = True) -> dict[str, str]:
    from . import check_rules
    out = dict(check_rules.RULES)
    if browser:
        from .check_browser import RULES as BROWSER_RULES
        out.update(BROWSER_RULES)
    return out


def as_json(root: Path, failures: list[Failure], pages: int, browser: bool) -> str:
    return json.dumps({
        "site": str(root), "pages_checked": pages, "browser": browser, "ok": not failures,
        "rules": sorted(rules(browser)), "failures": [f.as_dict() for f in failures],
    }, indent=2, ensure_ascii=False)


def as_table(failures: list[Failure], pages: int) -> str:
    if not failures:
        return f"OK: {pages} pages pass every rule"
    head = ("PAGE", "RULE", "ELEMENT", "PROBLEM")
    rows = [(f.page, f.rule, f.element or "-", f.message) for f in failures]
    widths = [min(48, max(len(r[i]) for r in [head, *rows])) for i in range(3)]
    lines = []
    for row in [head, *rows]:
        cells = [row[i].ljust(widths[i]) for i in range(3)]
        lines.append("  ".join([*cells, row[3]]).rstrip())
    failing = len({f.page for f in failures})
    lines.append(f"{len(failures)} failure(s) on {failing} page(s) or file(s); {pages} pages checked")
    return "\n".join(lines)


__all__ = ["Failure", "Node", "Page", "Site", "parse", "load_site", "check_site", "as_json", "as_table",
           "rules"]
