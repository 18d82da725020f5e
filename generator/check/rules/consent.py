"""Consent rules of `optin check`: checkboxes unticked, labelled and optional, the privacy notice
linked and versioned, forms posting to the campaign's endpoints."""
from __future__ import annotations

import os
import re
from functools import lru_cache
from urllib.parse import urlsplit

from generator.campaign import vocab
from generator.check.model import NOTICE_NAME, Page, locale_tag
from generator.check.registry import fail, rule
from generator.check.rules.language import channel_pattern
from generator.check.rules.web import form_targets
from generator.check.tree import Node
from generator.site import notices

# pages whose checkboxes pick purposes: sign up, confirm some of them, withdraw some of them
CHECKBOX_PAGES = {"signup", "confirm", "withdraw"}
ALL_PURPOSES = "*"  # value of the withdraw page's "all messages" box: labelled, but names no one channel
HASH = re.compile(r"^[0-9a-f]{64}$")
# (.*?) up to the first </article>, read possessively: a notice is long
ARTICLE = re.compile(r"<article\b[^>]*>((?:[^<]++|<(?!/article>))*+)</article>", re.S | re.I)


def _checkboxes(page: Page) -> list[Node]:
    return [n for n in page.root.iter("input") if (n.get("type") or "").lower() == "checkbox"]


def _label_text(page: Page, box: Node, skip) -> str:
    parts = []
    if box.get("id"):
        parts += [lbl.text(skip) for lbl in page.root.iter("label") if lbl.get("for") == box.get("id")]
    parts += [a.text(skip) for a in box.ancestors() if a.tag == "label"]
    ids = (box.get("aria-labelledby") or "").split()
    if ids:
        parts += [n.text(skip) for n in page.root.iter() if n.get("id") in ids]
    parts.append(box.get("aria-label") or "")
    return " ".join(p for p in parts if p)


@rule({
    "checkbox-checked": "no checkbox is ticked in the HTML (consent is never pre-ticked)",
    "checkbox-label": "every purpose checkbox (signup, confirm, withdraw) has a label naming its one channel "
                      "in the page language",
    "consent-required": "no checkbox is a required field (consent is never bundled with submitting)",
})
def rule_checkboxes(page: Page):
    for box in _checkboxes(page):
        if "checked" in box.attrs:
            yield fail(page, "checkbox-checked", box, "checkbox is ticked in the HTML; consent must be an active choice")
        if "required" in box.attrs or (box.get("aria-required") or "").lower() == "true":
            yield fail(page, "consent-required", box,
                        "checkbox is a required field: consent would be a condition of submitting (bundling)")
    if page.kind not in CHECKBOX_PAGES:
        return
    lang = page.lang or page.locale or "en"
    purposes = {p["id"]: p["channel"] for p in (page.manifest or {}).get("purposes", [])}
    own = lambda node: node.get("lang") is not None and node.get("lang").split("-")[0] != lang.split("-")[0]
    for box in _checkboxes(page):
        text = _label_text(page, box, own)
        if not text:
            yield fail(page, "checkbox-label", box, "checkbox has no label")
            continue
        if (box.get("value") or "").strip() == ALL_PURPOSES and page.kind != "signup":
            continue  # on a signup page an "all purposes" box would bundle consents: it fails below
        named = [ch for ch in vocab.CHANNELS if channel_pattern(page.site.locales, lang, ch).search(text)]
        wanted = box.get("data-channel") or purposes.get(box.get("value") or "")
        if wanted and wanted not in named:
            name = page.site.locales.translations(lang).ugettext(vocab.CHANNEL_NAMES.get(wanted, wanted)) \
                if wanted in vocab.CHANNEL_NAMES else wanted
            yield fail(page, "checkbox-label", box, f"label {text!r} does not name its channel {name!r}")
        elif not named:
            yield fail(page, "checkbox-label", box, f"label {text!r} names no channel (WhatsApp, SMS, email)")
        elif len(named) > 1:
            yield fail(page, "checkbox-label", box,
                        f"label names {len(named)} channels ({', '.join(named)}): one checkbox per channel and purpose")


def _notice_links(page: Page) -> list[tuple[Node, str]]:
    return page.memo("notice-links", _find_notice_links)  # two rules ask


def _find_notice_links(page: Page) -> list[tuple[Node, str]]:
    out = []
    for a in page.root.iter("a"):
        if "alternate" in (a.get("rel") or "").split():
            continue  # the notice in another language (PDPA s.7(3) pages link BM and English)
        target = page.resolve(a.get("href") or "")
        if target is not None and NOTICE_NAME.match(os.path.basename(target)):
            out.append((a, target))
    return out


@rule({
    "privacy-link": "every signup page links an existing privacy notice in its own locale",
})
def rule_privacy_link(page: Page):
    if page.kind != "signup":
        return
    links = _notice_links(page)
    if not links:
        yield fail(page, "privacy-link", page.root.find("body"), "the signup page links no privacy notice")
    for a, target in links:
        notice = page.site.page(target)
        if notice is None:
            yield fail(page, "privacy-link", a, f"linked notice {a.get('href')} does not exist in the site")
        elif _base(notice.lang or notice.locale) != _base(page.locale or page.lang):
            yield fail(page, "privacy-link", a, f"linked notice {a.get('href')} is in "
                        f"{notice.lang or 'no language'!r}, the page in {page.locale or page.lang!r}")


def _base(lang: str | None) -> str:
    return locale_tag(lang or "").split("-")[0]


def notice_hash(notice: Page) -> str | None:
    return _source_hash(notice.source)


@lru_cache(maxsize=16)  # a notice and its versioned copy are the same text: hashed once
def _source_hash(source: str) -> str | None:
    articles = ARTICLE.findall(source)
    return notices.content_hash(*articles) if articles else None


@rule({
    "notice-version": "the form's notice_version is the hash of the notice it links, whose versioned file exists",
})
def rule_notice_version(page: Page):
    if page.kind != "signup":
        return
    fields = [n for n in page.root.iter("input") if n.get("name") == "notice_version"]
    if not fields:
        yield fail(page, "notice-version", page.root.find("form"), "the form carries no notice_version")
        return
    for field in fields:
        version = (field.get("value") or "").strip()
        if not HASH.match(version):
            yield fail(page, "notice-version", field, f"notice_version {version!r} is not a sha256 hex digest")
            continue
        versioned = page.site.page(page.resolve(f"privacy-{version[:8]}.html"))
        if versioned is None:
            yield fail(page, "notice-version", field,
                        f"versioned notice privacy-{version[:8]}.html does not exist next to the page")
        targets = {t for _, t in _notice_links(page)}
        if versioned:
            targets.add(os.path.join(page.site.root, versioned.rel))
        for target in sorted(targets):
            notice = page.site.page(target)
            if notice is None:
                continue  # privacy-link reports it
            got = notice_hash(notice)
            if got is None:
                yield fail(page, "notice-version", field, f"{notice.rel} has no <article> notice text")
            elif got != version:
                yield fail(page, "notice-version", field,
                            f"notice_version {version[:12]} does not match {notice.rel} (its text hashes to {got[:12]})")


def _action_problem(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.netloc:
        return ""
    if parts.scheme == "http" and parts.hostname in vocab.LOCAL_HOSTS:
        return ""
    if not url:
        return "form has no action: it would post to the static host"
    return f"form posts to {url!r}: only https (or http to localhost) is allowed"


@rule({
    "form-endpoint": "every form and button formaction posts (POST) over https (http only to localhost) to the "
                     "campaign's endpoint",
})
def rule_forms(page: Page):
    """Each form's action and each submit button's formaction: https, and the campaign's endpoint."""
    endpoints = (page.manifest or {}).get("endpoints", {})
    expected = {"signup": "submit", "confirm": "confirm", "withdraw": "withdraw"}.get(page.kind)
    for node in page.root.iter("form", "button", "input"):
        method = (node.get("method") or "get") if node.tag == "form" else node.get("formmethod")
        if method is not None and method.strip().lower() != "post":
            yield fail(page, "form-endpoint", node, f"{'form' if node.tag == 'form' else 'button'} does not "
                        f"use {'method' if node.tag == 'form' else 'formmethod'}=post: personal data would go into the URL")
    for node, action in form_targets(page):
        what = "form" if node.tag == "form" else f"<{node.tag} formaction>"
        problem = _action_problem(action)
        if problem:
            yield fail(page, "form-endpoint", node, problem.replace("form", what, 1))
        elif endpoints and expected and action != endpoints.get(expected):
            yield fail(page, "form-endpoint", node,
                        f"{what} posts to {action!r}, the campaign's {expected} endpoint is {endpoints.get(expected)!r}")
        elif endpoints and not expected and action not in endpoints.values():
            yield fail(page, "form-endpoint", node, f"{what} posts to {action!r}, which is not a campaign endpoint")
