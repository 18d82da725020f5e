"""Embedding the signup form on another site: a copy-paste iframe snippet per signup page
(<campaign>/<locale>/embed.txt) and who may frame the pages, as HTTP headers (site/_headers).

Browsers ignore `frame-ancestors` in a <meta> CSP, and the pages' CSP is a meta tag (a static
site has no headers of its own). So the frame policy goes into `_headers`, the file Netlify and
Cloudflare Pages read; other hosts need the same two headers in their configuration
(docs/marketer.md, "Embedding the form"). Without `embed:` in the campaign no site may frame
its pages (`frame-ancestors 'none'`, plus `X-Frame-Options: DENY` for old browsers).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.campaign.model import Campaign
from generator.campaign.source import read_path
from generator.i18n.locales import Locales
from generator.site.render import Renderer
from generator.urls import campaign_page, origin

HEADERS_FILE = "_headers"
SNIPPET_FILE = "embed.txt"
SNIPPET_TEMPLATE = "embed_snippet.html"
DEFAULT_HEIGHT = 900
# What the framed page needs: its form (and the no-JavaScript post), its script, its own origin
# for the fetch to the receiver (CORS), and the privacy notice opening in a normal new tab.
SANDBOX = "allow-forms allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox"


@dataclass(frozen=True)
class Embed:
    origins: tuple[str, ...] = ()
    height: int = DEFAULT_HEIGHT


def settings(campaign: Campaign) -> Embed:
    """The campaign's `embed:` (checked against the schema when the campaign loaded)."""
    source, _problems = read_path(campaign.source)
    data = (source.data if source is not None else {}).get("embed") or {}
    return Embed(tuple(origin(o) for o in data.get("origins", [])), int(data.get("height", DEFAULT_HEIGHT)))


def frame_ancestors(embed: Embed) -> str:
    return "frame-ancestors " + (" ".join(embed.origins) if embed.origins else "'none'")


def headers_file(campaigns: list[Campaign], embeds: dict[str, Embed]) -> str:
    """_headers (Netlify / Cloudflare Pages syntax): each campaign's folder with its frame
    policy, the site index never framed. Rules never overlap: a host merges overlapping ones,
    and two CSP headers would both apply (the stricter wins)."""
    lines = ["# Written by optin build: HTTP headers for Netlify and Cloudflare Pages (other hosts:",
             "# docs/marketer.md, \"Embedding the form\"). Browsers take frame-ancestors only from a",
             "# header, never from the pages' <meta> Content-Security-Policy.", ""]
    deny = ["  Content-Security-Policy: frame-ancestors 'none'", "  X-Frame-Options: DENY"]
    for path in ("/", "/index.html"):
        lines += [path, *deny]
    for campaign in sorted(campaigns, key=lambda c: c.id):
        embed = embeds[campaign.id]
        lines += [f"/{campaign.id}/*", f"  Content-Security-Policy: {frame_ancestors(embed)}"]
        if not embed.origins:
            lines.append("  X-Frame-Options: DENY")
    return "\n".join(lines) + "\n"


def write_snippets(campaign: Campaign, embed: Embed, renderer: Renderer, site: Path, locales: Locales) -> None:
    """<campaign>/<locale>/embed.txt: the iframe for the signup page's public address (needs
    base_url; the build's base_url advice says so otherwise)."""
    if not campaign.base_url:
        return
    for lang in campaign.locales:
        snippet = renderer.render(SNIPPET_TEMPLATE, locales.translations(lang), campaign=campaign, lang=lang,
                                  signup_url=campaign_page(campaign.base_url, campaign.id, lang), height=embed.height,
                                  sandbox=SANDBOX, allowed=embed.origins)
        (site / campaign.id / lang / SNIPPET_FILE).write_text(snippet.strip() + "\n", encoding="utf-8")


def write_site(campaigns: list[Campaign], renderer_of, site: Path, locales: Locales) -> None:
    """Every campaign's snippets (`renderer_of(campaign)` gives its theme's renderer) and _headers."""
    embeds = {c.id: settings(c) for c in campaigns}
    for campaign in campaigns:
        write_snippets(campaign, embeds[campaign.id], renderer_of(campaign), site, locales)
    (site / HEADERS_FILE).write_text(headers_file(campaigns, embeds), encoding="utf-8")
