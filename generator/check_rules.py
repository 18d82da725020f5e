"""Static rules of `optin check`: each reads one parsed page and yields Failures.

Rule ids are stable (scripts and CI match on them); the descriptions are shown by
`optin check --list-rules` and in the README.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from . import i18n, notices, vocab
from .check import NOTICE_NAME, Failure, Node, Page, Site, is_external
from .check_i18n import channel_pattern, rule_english_text

RULES = {
    "manifest": "the campaign's optin.json manifest (or --campaigns file) is readable",
    "checkbox-checked": "no checkbox is ticked in the HTML (consent is never pre-ticked)",
    "checkbox-label": "every consent checkbox has a label naming its one channel in the page language",
    "consent-required": "no checkbox is a required field (consent is never bundled with submitting)",
    "privacy-link": "every signup page links an existing privacy notice in its own locale",
    "form-endpoint": "every form posts (POST) over https (http only to localhost) to the campaign's endpoint",
    "page-lang": "every page has <html lang>, matching its locale folder",
    "page-title": "every page has a non-empty <title>",
    "hreflang": "every page lists hreflang alternates for all campaign locales, and they exist",
    "csp": "every page has a strict Content-Security-Policy meta tag that allows its forms",
    "inline-code": "no inline scripts, inline styles, event-handler attributes or javascript: URLs",
    "third-party": "no resource (script, style, font, image, frame, CSS url/@import) from another origin",
    "notice-version": "the form's notice_version is the hash of the notice it links, whose versioned file exists",
    "english-text": "pages of a non-English locale show no English UI strings",
}
CHECKBOX_PAGES = {"signup"}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
HASH = re.compile(r"^[0-9a-f]{64}$")
ARTICLE = re.compile(r"<article\b[^>]*>(.*?)</article>", re.S | re.I)
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.I)
LANG_TAG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$")
# attributes through which a page loads something: (tag, attribute)
LOADS = {("script", "src"), ("img", "src"), ("img", "srcset"), ("iframe", "src"), ("frame", "src"),
         ("source", "src"), ("source", "srcset"), ("video", "src"), ("video", "poster"), ("audio", "src"),
         ("track", "src"), ("embed", "src"), ("object", "data"), ("input", "src"), ("image", "href"),
         ("use", "href"), ("link", "href")}
NOT_LOADING_RELS = {"canonical", "alternate", "author", "license", "help", "next", "prev", "search",
                    "bookmark", "external", "nofollow", "noopener", "noreferrer", "me"}


def _fail(page: Page, rule: str, node: Node | None, message: str) -> Failure:
    return Failure(page.rel, rule, node.describe() if node is not None else "", message)


def _checkboxes(page: Page) -> list[Node]:
    return [n for n in page.root.iter("input") if (n.get("type") or "").lower() == "checkbox"]


def _label_text(page: Page, box: Node, skip) -> str:
    parts = []
    if box.get("id"):
        parts += [lbl.text(skip) for lbl in page.root.iter("label") if lbl.get("for") == box.get("id")]
    parts += [a.text(skip) for a in box.ancestors() if a.tag == "label"]
    ids = (box.get("aria-labelledby") or "").split()
    parts += [n.text(skip) for n in page.root.iter() if n.get("id") in ids]
    parts.append(box.get("aria-label") or "")
    return " ".join(p for p in parts if p)


def rule_checkboxes(page: Page):
    for box in _checkboxes(page):
        if "checked" in box.attrs:
            yield _fail(page, "checkbox-checked", box, "checkbox is ticked in the HTML; consent must be an active choice")
        if "required" in box.attrs or (box.get("aria-required") or "").lower() == "true":
            yield _fail(page, "consent-required", box,
                        "checkbox is a required field: consent would be a condition of submitting (bundling)")
    if page.kind not in CHECKBOX_PAGES:
        return
    lang = page.lang or page.locale or "en"
    purposes = {p["id"]: p["channel"] for p in (page.manifest or {}).get("purposes", [])}
    own = lambda node: node.get("lang") is not None and node.get("lang").split("-")[0] != lang.split("-")[0]
    for box in _checkboxes(page):
        text = _label_text(page, box, own)
        if not text:
            yield _fail(page, "checkbox-label", box, "checkbox has no label")
            continue
        named = [ch for ch in vocab.CHANNELS if channel_pattern(lang, ch).search(text)]
        wanted = box.get("data-channel") or purposes.get(box.get("value") or "")
        if wanted and wanted not in named:
            name = i18n.translations(lang).ugettext(vocab.CHANNEL_NAMES.get(wanted, wanted)) \
                if wanted in vocab.CHANNEL_NAMES else wanted
            yield _fail(page, "checkbox-label", box, f"label {text!r} does not name its channel {name!r}")
        elif not named:
            yield _fail(page, "checkbox-label", box, f"label {text!r} names no channel (WhatsApp, SMS, email)")
        elif len(named) > 1:
            yield _fail(page, "checkbox-label", box,
                        f"label names {len(named)} channels ({', '.join(named)}): one checkbox per channel and purpose")


def _notice_links(page: Page) -> list[tuple[Node, object]]:
    out = []
    for a in page.root.iter("a"):
        target = page.resolve(a.get("href") or "")
        if target is not None and NOTICE_NAME.match(target.name):
            out.append((a, target))
    return out


def rule_privacy_link(page: Page):
    if page.kind != "signup":
        return
    links = _notice_links(page)
    if not links:
        yield _fail(page, "privacy-link", page.root.find("body"), "the signup page links no privacy notice")
    for a, target in links:
        notice = page.site.page(target)
        if notice is None:
            yield _fail(page, "privacy-link", a, f"linked notice {a.get('href')} does not exist in the site")
        elif _base(notice.lang or notice.locale) != _base(page.locale or page.lang):
            yield _fail(page, "privacy-link", a, f"linked notice {a.get('href')} is in "
                        f"{notice.lang or 'no language'!r}, the page in {page.locale or page.lang!r}")


def _base(lang: str | None) -> str:
    return (lang or "").split("-")[0].lower()


def notice_hash(notice: Page) -> str | None:
    articles = ARTICLE.findall(notice.source)
    return notices.content_hash(*articles) if articles else None


def rule_notice_version(page: Page):
    if page.kind != "signup":
        return
    fields = [n for n in page.root.iter("input") if n.get("name") == "notice_version"]
    if not fields:
        yield _fail(page, "notice-version", page.root.find("form"), "the form carries no notice_version")
        return
    for field in fields:
        version = (field.get("value") or "").strip()
        if not HASH.match(version):
            yield _fail(page, "notice-version", field, f"notice_version {version!r} is not a sha256 hex digest")
            continue
        versioned = page.site.page(page.resolve(f"privacy-{version[:8]}.html"))
        if versioned is None:
            yield _fail(page, "notice-version", field,
                        f"versioned notice privacy-{version[:8]}.html does not exist next to the page")
        targets = {t for _, t in _notice_links(page)} | ({page.site.root / versioned.rel} if versioned else set())
        for target in sorted(targets):
            notice = page.site.page(target)
            if notice is None:
                continue  # privacy-link reports it
            got = notice_hash(notice)
            if got is None:
                yield _fail(page, "notice-version", field, f"{notice.rel} has no <article> notice text")
            elif got != version:
                yield _fail(page, "notice-version", field,
                            f"notice_version {version[:12]} does not match {notice.rel} (its text hashes to {got[:12]})")


def _action_problem(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.netloc:
        return ""
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return ""
    if not url:
        return "form has no action: it would post to the static host"
    return f"form posts to {url!r}: only https (or http to localhost) is allowed"


def rule_forms(page: Page):
    endpoints = (page.manifest or {}).get("endpoints", {})
    expected = {"signup": "submit", "confirm": "confirm", "withdraw": "withdraw"}.get(page.kind)
    for form in page.root.iter("form"):
        action = (form.get("action") or "").strip()
        if (form.get("method") or "get").lower() != "post":
            yield _fail(page, "form-endpoint", form, "form does not use method=post: personal data would go into the URL")
        problem = _action_problem(action)
        if problem:
            yield _fail(page, "form-endpoint", form, problem)
        elif endpoints and expected and action != endpoints.get(expected):
            yield _fail(page, "form-endpoint", form,
                        f"form posts to {action!r}, the campaign's {expected} endpoint is {endpoints.get(expected)!r}")
        elif endpoints and not expected and action not in endpoints.values():
            yield _fail(page, "form-endpoint", form, f"form posts to {action!r}, which is not a campaign endpoint")
        for button in form.iter("button", "input"):
            if button.get("formaction") is not None and _action_problem(button.get("formaction")):
                yield _fail(page, "form-endpoint", button, _action_problem(button.get("formaction")))


def rule_head(page: Page):
    lang = page.lang
    if not lang:
        yield _fail(page, "page-lang", page.html, "<html> has no lang attribute")
    elif not LANG_TAG.match(lang):
        yield _fail(page, "page-lang", page.html, f"lang={lang!r} is not a language tag")
    elif page.locale and lang.split("-")[0].lower() != page.locale.split("-")[0].lower():
        yield _fail(page, "page-lang", page.html, f"lang={lang!r} on a page of locale {page.locale!r}")
    title = page.root.find("title")
    if title is None or not title.text():
        yield _fail(page, "page-title", title or page.root.find("head") or page.html, "page has no (or an empty) <title>")
    yield from _hreflang(page)


def _hreflang(page: Page):
    found = set()
    for link in page.root.iter("link"):
        if "alternate" not in (link.get("rel") or "").lower().split() or link.get("hreflang") is None:
            continue
        code = link.get("hreflang")
        found.add(code.lower())
        target = page.resolve(link.get("href") or "")
        other = page.site.page(target) if target is not None else None
        if other is None:
            yield _fail(page, "hreflang", link, f"alternate {link.get('href')!r} does not exist in the site")
        elif code.lower() != "x-default" and other.lang.lower().split("-")[0] != code.lower().split("-")[0]:
            yield _fail(page, "hreflang", link, f"alternate for {code!r} is a page in {other.lang!r}"
                        if other.lang else f"alternate for {code!r} is a page without <html lang>")
    if page.manifest and page.kind not in ("site-index", "other"):
        for lang in page.manifest.get("locales", []):
            if lang.lower() not in found:
                yield _fail(page, "hreflang", page.root.find("head"), f"no hreflang alternate for locale {lang!r}")


def _csp(page: Page) -> tuple[Node | None, dict[str, list[str]]]:
    for meta in page.root.iter("meta"):
        if (meta.get("http-equiv") or "").lower() == "content-security-policy":
            directives = {}
            for part in (meta.get("content") or "").split(";"):
                words = part.split()
                if words:
                    directives.setdefault(words[0].lower(), words[1:])
            return meta, directives
    return None, {}


def _allows(sources: list[str], url: str) -> bool:
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return "*" in sources or f"{parts.scheme}:" in sources or origin in sources or f"{origin}/" in sources


def rule_csp(page: Page):
    meta, d = _csp(page)
    if meta is None:
        yield _fail(page, "csp", page.root.find("head") or page.html, "no Content-Security-Policy meta tag")
        return
    if not any(p.tag == "head" for p in meta.ancestors()):
        yield _fail(page, "csp", meta, "the Content-Security-Policy meta tag is outside <head> (ignored)")
    for directive in ("script-src", "style-src", "default-src"):
        sources = d.get(directive, d.get("default-src")) if directive != "default-src" else d.get("default-src")
        if sources is None:
            yield _fail(page, "csp", meta, f"policy has no {directive}")
            continue
        loose = [s for s in sources if s.lower() in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:")]
        if loose:
            yield _fail(page, "csp", meta, f"{directive} allows {' '.join(loose)}")
    for form in page.root.iter("form"):
        action = form.get("action") or ""
        if not is_external(action):
            continue
        for directive in ("form-action", "connect-src"):
            sources = d.get(directive, d.get("default-src", []) if directive == "connect-src" else None)
            if sources is None or not _allows(sources, action):
                yield _fail(page, "csp", meta, f"{directive} does not allow the form's endpoint {action!r}")


def rule_inline_code(page: Page):
    for node in page.root.iter():
        if node.tag == "script" and not node.get("src") and "".join(
                c for c in node.children if isinstance(c, str)).strip() \
                and (node.get("type") or "").lower() not in ("application/json", "application/ld+json"):
            yield _fail(page, "inline-code", node, "inline <script> (blocked by the CSP)")
        elif node.tag == "style":
            yield _fail(page, "inline-code", node, "inline <style> (blocked by the CSP)")
        for name, value in node.attrs.items():
            if name.startswith("on"):
                yield _fail(page, "inline-code", node, f"event-handler attribute {name}= (blocked by the CSP)")
            elif name == "style":
                yield _fail(page, "inline-code", node, "style= attribute (blocked by the CSP)")
            elif name in ("href", "src", "action", "formaction") and value.strip().lower().startswith("javascript:"):
                yield _fail(page, "inline-code", node, f"javascript: URL in {name}=")


def _own_origin(page: Page) -> str:
    base = (page.manifest or {}).get("base_url") or ""
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


def _foreign(url: str, own: str) -> bool:
    url = url.strip()
    if not is_external(url) or url.lower().startswith(("data:", "blob:")):
        return False
    parts = urlsplit(url if "://" in url or not url.startswith("//") else "https:" + url)
    return not own or f"{parts.scheme}://{parts.netloc}" != own


def rule_third_party(page: Page):
    own = _own_origin(page)
    for node in page.root.iter():
        for tag, attr in LOADS:
            if node.tag != tag or node.get(attr) is None:
                continue
            if tag == "link" and set((node.get("rel") or "").lower().split()) <= NOT_LOADING_RELS:
                continue
            urls = [c.split()[0] for c in node.get(attr).split(",") if c.strip()] if "srcset" in attr else [node.get(attr)]
            for url in urls:
                if _foreign(url, own):
                    yield _fail(page, "third-party", node, f"loads {url} from a third-party origin")
        for match in CSS_URL.finditer(node.get("style") or ""):
            if _foreign(match.group(2) or match.group(4), own):
                yield _fail(page, "third-party", node, f"style loads {match.group(2) or match.group(4)}")


def check_styles(site: Site, files: list[str]) -> list[Failure]:
    out = []
    for rel in files:
        text = (site.root / rel).read_text(encoding="utf-8", errors="replace")
        for match in CSS_URL.finditer(text):
            url = match.group(2) or match.group(4)
            if _foreign(url, ""):
                line = text.count("\n", 0, match.start()) + 1
                out.append(Failure(rel, "third-party", f"line {line}", f"stylesheet loads {url} from a third-party origin"))
    return out


PAGE_RULES = (rule_checkboxes, rule_privacy_link, rule_notice_version, rule_forms, rule_head, rule_csp,
              rule_inline_code, rule_third_party, rule_english_text)


def check_page(page: Page) -> list[Failure]:
    return [failure for rule in PAGE_RULES for failure in rule(page)]
