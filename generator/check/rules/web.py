"""Web-security rules of `optin check` (split from check_rules): the page's Content-Security-Policy,
inline code, and references to third-party origins. Each rule reads one parsed page and yields
Failures; `check_styles` reads the site's stylesheets.
"""
from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from generator.check.model import Failure, Page, Site, is_external
from generator.check.registry import fail, rule
from generator.check.tree import Node
from generator.site.safety import is_event_handler, is_script_url
from generator.urls import origin, scheme

CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.I)
IMAGE_SET = re.compile(r"image-set\(([^)]*)\)", re.I)
CSS_STRING = re.compile(r"""(['"])([^'"]+)\1""")
REFRESH = re.compile(r"""^\s*\d*(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?(['"]?)(.*?)\1\s*$""", re.I | re.S)
# attributes through which a page loads something: (tag, attribute). SVG references (href and
# xlink:href on anything but a link, area, base or <link>) are handled in `_references`.
LOADS = {("script", "src"), ("img", "src"), ("img", "srcset"), ("iframe", "src"), ("frame", "src"),
         ("source", "src"), ("source", "srcset"), ("video", "src"), ("video", "poster"), ("audio", "src"),
         ("track", "src"), ("embed", "src"), ("object", "data"), ("input", "src"), ("link", "href"),
         ("link", "imagesrcset"), ("a", "ping"), ("area", "ping"), ("html", "manifest"),
         ("body", "background"), ("table", "background"), ("td", "background"), ("th", "background")}
LOADED = {tag: {n for t, n in LOADS if t == tag} for tag, _ in LOADS}  # tag -> its attributes in LOADS
HYPERLINKS = {"a", "area", "link", "base"}
NOT_LOADING_RELS = {"canonical", "alternate", "author", "license", "help", "next", "prev", "search",
                    "bookmark", "external", "nofollow", "noopener", "noreferrer", "me"}
# CSP: fetch directives (each may allow only the site itself; connect-src also the endpoints)
FETCH = ("default-src", "script-src", "script-src-elem", "script-src-attr", "style-src", "style-src-elem",
         "style-src-attr", "img-src", "font-src", "media-src", "object-src", "frame-src", "child-src",
         "worker-src", "manifest-src", "prefetch-src", "connect-src")
SAFE_SOURCES = {"'self'", "'none'", "'report-sample'"}
HASH_OR_NONCE = re.compile(r"^'(nonce-[A-Za-z0-9+/_=-]+|sha(256|384|512)-[A-Za-z0-9+/_=-]+)'$")
GOVERNED = {"script", "link", "style", "base", "img", "iframe", "object", "embed"}


def own_origin(page: Page) -> str:
    return origin((page.manifest or {}).get("base_url") or "")


def endpoint_origins(page: Page) -> set[str]:
    return {origin(u) for u in (page.manifest or {}).get("endpoints", {}).values() if origin(u)}


def css_urls(css: str):
    """Every URL a piece of CSS loads: url(...), @import "...", image-set("...")."""
    for match in CSS_URL.finditer(css):
        yield match.start(), match.group(2) or match.group(4)
    for match in IMAGE_SET.finditer(css):
        for string in CSS_STRING.finditer(match.group(1)):
            yield match.start(), string.group(2)


# --- Content-Security-Policy -----------------------------------------------------------------

def csp(page: Page) -> tuple[Node | None, dict[str, list[str]]]:
    for meta in page.root.iter("meta"):
        if (meta.get("http-equiv") or "").lower() == "content-security-policy":
            directives: dict[str, list[str]] = {}
            for part in (meta.get("content") or "").split(";"):
                words = part.split()
                if words:
                    directives.setdefault(words[0].lower(), words[1:])  # a repeated directive is ignored
            return meta, directives
    return None, {}


def _source(source: str) -> str:
    """A CSP source expression as an origin when it is a plain host (a host without a scheme
    takes the page's, https), else lower-cased as is."""
    low = source.lower().rstrip("/")
    if low.startswith("'") or low.endswith(":") or "*" in low:
        return low
    return low if "://" in low else "https://" + low


def _allows(sources: list[str], url: str) -> bool:
    parts = urlsplit(url)
    low = [_source(s) for s in sources]
    return "*" in low or f"{parts.scheme}:" in low or origin(url) in low


def _loose(sources: list[str], allowed: set[str]) -> list[str]:
    return [s for s in sources if s.lower() not in SAFE_SOURCES and not HASH_OR_NONCE.match(s)
            and _source(s) not in allowed]


def form_targets(page: Page) -> list[tuple[Node, str]]:
    """Where the page's forms post: each form's action and each button's formaction."""
    return page.memo("form-targets", _form_targets)  # two rules ask


def _form_targets(page: Page) -> list[tuple[Node, str]]:
    out = [(form, (form.get("action") or "").strip()) for form in page.root.iter("form")]
    out += [(node, node.get("formaction").strip()) for node in page.root.iter("button", "input")
            if node.get("formaction") is not None]
    return out


@rule({
    "csp": "every page has a strict Content-Security-Policy meta tag before what it governs: only the site and "
           "the endpoints, base-uri, form-action, object-src 'none'",
})
def rule_csp(page: Page):
    meta, d = csp(page)
    if meta is None:
        yield fail(page, "csp", page.root.find("head") or page.html, "no Content-Security-Policy meta tag")
        return
    if not any(p.tag == "head" for p in meta.ancestors()):
        yield fail(page, "csp", meta, "the Content-Security-Policy meta tag is outside <head> (ignored)")
    for node in page.root.iter():
        if node is meta:
            break
        if node.tag in GOVERNED and not (node.tag == "link" and _not_loading(node)):
            yield fail(page, "csp", node, "comes before the Content-Security-Policy meta tag, which does not apply to it")
    own = {o for o in (own_origin(page),) if o}
    endpoints = endpoint_origins(page)
    for directive in ("default-src", "script-src", "style-src"):
        if directive not in d and "default-src" not in d:
            yield fail(page, "csp", meta, f"policy has no {directive}")
    for directive in FETCH:
        if directive not in d:
            continue
        loose = _loose(d[directive], own | (endpoints if directive == "connect-src" else set()))
        if loose:
            yield fail(page, "csp", meta, f"{directive} allows {' '.join(loose)}: only the site itself"
                        + (" and the campaign's endpoints" if directive == "connect-src" else ""))
    objects = d.get("object-src", d.get("default-src"))
    if objects is not None and [s.lower() for s in objects] != ["'none'"]:
        yield fail(page, "csp", meta, "object-src (or default-src) is not 'none': plugins could run code")
    for directive, what in (("base-uri", "a <base> element could move every relative URL elsewhere"),
                            ("form-action", "forms could post anywhere")):
        if directive not in d:  # neither falls back to default-src
            yield fail(page, "csp", meta, f"policy has no {directive}: {what}")
            continue
        loose = _loose(d[directive], own | (endpoints if directive == "form-action" else set()))
        if loose:
            yield fail(page, "csp", meta, f"{directive} allows {' '.join(loose)}")
    for node, action in form_targets(page):
        if not is_external(action):
            continue
        for directive in ("form-action", "connect-src"):
            sources = d.get(directive, d.get("default-src", []) if directive == "connect-src" else None)
            if sources is not None and not _allows(sources, action):
                yield fail(page, "csp", meta, f"{directive} does not allow the form's endpoint {action!r}")


# --- inline code -------------------------------------------------------------------------------

URL_NAMES = frozenset(("href", "xlink:href", "src", "action", "formaction"))
_script_url = lru_cache(maxsize=8192)(is_script_url)  # the same links on every page


@rule({
    "inline-code": "no inline scripts, inline styles, event-handler attributes or javascript: URLs",
})
def rule_inline_code(page: Page):
    for node in page.root.iter():
        if node.tag == "script" and not node.get("src") and "".join(
                c for c in node.children if isinstance(c, str)).strip() \
                and (node.get("type") or "").lower() not in ("application/json", "application/ld+json"):
            yield fail(page, "inline-code", node, "inline <script> (blocked by the CSP)")
        elif node.tag == "style":
            yield fail(page, "inline-code", node, "inline <style> (blocked by the CSP)")
        for name, value in node.attrs.items():
            # only o/O lower-case to "o": the first letter rules out most attributes cheaply
            if name[:1] in ("o", "O") and is_event_handler(name):
                yield fail(page, "inline-code", node, f"event-handler attribute {name}= (blocked by the CSP)")
            elif name == "style":
                yield fail(page, "inline-code", node, "style= attribute (blocked by the CSP)")
            elif name in URL_NAMES and _script_url(value):
                yield fail(page, "inline-code", node, f"{scheme(value)}: URL in {name}=")


# --- third-party origins -------------------------------------------------------------------------

@lru_cache(maxsize=8192)  # the same assets and links on every page
def _foreign(url: str, own: str) -> bool:
    url = url.strip()
    if not is_external(url) or url.lower().startswith(("data:", "blob:", "about:")):
        return False
    return not own or origin(url if not url.startswith("//") else "https:" + url) != own


def _not_loading(link: Node) -> bool:
    return set((link.get("rel") or "").lower().split()) <= NOT_LOADING_RELS


def _references(node: Node):
    """(attribute, url) for every URL through which this element loads something or moves the page."""
    loads = LOADED.get(node.tag, ())
    for name, value in node.attrs.items():
        if name in loads:
            if node.tag == "link" and _not_loading(node):
                continue
            if "srcset" in name:
                urls = [c.split()[0] for c in value.split(",") if c.strip()]
            else:
                urls = value.split() if name == "ping" else [value]
            yield from ((name, u) for u in urls)
        elif name in ("href", "xlink:href") and node.tag not in HYPERLINKS:
            yield name, value  # SVG <image>, <use>, <feImage>, <script>, gradients...
    if node.tag == "base" and node.get("href") is not None:
        yield "href", node.get("href")
    if node.tag == "meta" and (node.get("http-equiv") or "").lower() == "refresh":
        match = REFRESH.match(node.get("content") or "")
        if match and match.group(2):
            yield "content", match.group(2)


@rule({
    "third-party": "no resource (script, style, font, image, frame, SVG, CSS url/@import/image-set), <base> or "
                   "refresh from/to another origin",
})
def rule_third_party(page: Page):
    own = own_origin(page)
    for node in page.root.iter():
        attrs, tag = node.attrs, node.tag
        if not attrs and tag != "style":
            continue  # nothing to load from
        # what `_references` needs to find anything: most elements have none of it
        loads = LOADED.get(tag)
        if (loads is not None and not loads.isdisjoint(attrs)) or tag in ("base", "meta") \
                or (("href" in attrs or "xlink:href" in attrs) and tag not in HYPERLINKS):
            refs = _references(node)
        else:
            refs = ()
        for name, url in refs:
            if not _foreign(url, own):
                continue
            if node.tag == "base":
                message = f"<base href={url}> makes every relative URL (scripts, styles) load from a third-party origin"
            elif node.tag == "meta":
                message = f"refreshes to {url} on a third-party origin"
            else:
                message = f"loads {url} from a third-party origin ({name}=)"
            yield fail(page, "third-party", node, message)
        css = attrs.get("style") or ""
        if tag == "style":
            css += " " + "".join(c for c in node.children if isinstance(c, str))
        for _, url in css_urls(css) if css else ():
            if _foreign(url, own):
                yield fail(page, "third-party", node, f"style loads {url} from a third-party origin")


def check_styles(site: Site, files: list[str]) -> list[Failure]:
    out = []
    for rel in files:
        text = (site.root / rel).read_text(encoding="utf-8", errors="replace")
        for start, url in css_urls(text):
            if _foreign(url, ""):
                line = text.count("\n", 0, start) + 1
                out.append(Failure(rel, "third-party", f"line {line}", f"stylesheet loads {url} from a third-party origin"))
    return out
