"""Page types: a template plus a small context function. Adding a page touches PAGES and a
template. Links are relative, so the site works from any folder of any static host."""
from __future__ import annotations

import json
from pathlib import Path

from generator.i18n.formatting import language_name
from generator.i18n.locales import Locales
from generator.site import landing, vcard
from generator.site.assets import Assets
from generator.campaign.model import Campaign
from generator.site.render import Renderer
from generator.site.views import LocaleView
from generator.urls import campaign_page

# output file -> template, for every campaign and locale
PAGES = {
    "index.html": "signup.html",
    "privacy.html": "privacy.html",
    "thanks.html": "thanks.html",
    "confirm.html": "confirm.html",
    "withdraw.html": "withdraw.html",
}
SITE_LANG = "en"


def csp(origins: list[str]) -> str:
    """Strict policy: own scripts/styles/images only; network only to the endpoints; forms only
    to the endpoints, plus 'self' when there are any: Chromium applies form-action to the
    endpoint's 303 redirect back to this site's thanks page (the no-JavaScript flow)."""
    allowed = " ".join(origins) if origins else "'none'"
    forms = " ".join(["'self'", *origins]) if origins else "'none'"
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            f"connect-src {allowed}; form-action {forms}; base-uri 'none'")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def page_url(campaign: Campaign, lang: str, page: str) -> str:
    """Absolute URL when the campaign has base_url; else a site-root path."""
    return campaign_page(campaign.base_url, campaign.id, lang, page)


def write_campaign(campaign: Campaign, views: dict[str, LocaleView], renderer: Renderer, assets: Assets,
                   site: Path, locales: Locales, earlier: dict[str, list[LocaleView]] | None = None) -> int:
    """Every page of every locale; `earlier` adds each archived notice version as
    privacy-<hash8>.html, marked as superseded (notice_archive)."""
    brand = assets.add_campaign(campaign)
    root = "../../"
    common = {
        "campaign": campaign, "root": root, "csp": csp(campaign.endpoints.origins()),
        "css": [assets.url("style.css", root), assets.url(brand["brand_css"], root)],
        "js": assets.url("optin.js", root),
        "logo": assets.url(brand["logo"], root) if "logo" in brand else "",
        "asset": lambda name: assets.url(name, root),  # any theme static file: {{ asset('x.js') }}
        "save_number": vcard.offer(campaign),  # the WhatsApp number and its contact card, or None
    }
    count = 0
    for lang, view in views.items():
        t = locales.translations(lang)
        jobs = [(out, template, view) for out, template in {**PAGES, view.notice_file: "privacy.html"}.items()]
        jobs += [(old.notice_file, "privacy.html", old) for old in (earlier or {}).get(lang, [])]
        shown = landing.view(campaign.page, lang, assets.url(brand["hero"], root) if "hero" in brand else "")
        rendered: dict[tuple, str] = {}  # privacy.html and privacy-<current>.html are one page
        for out_name, template, page_view in jobs:
            canonical_page = "privacy.html" if out_name.startswith("privacy-") else out_name
            done = (template, canonical_page, id(page_view))
            if done in rendered:
                _write(site / campaign.id / lang / out_name, rendered[done])
                count += 1
                continue
            alternates = [
                {"lang": other, "name": language_name(other), "href": f"../{other}/{canonical_page}",
                 "current": other == lang}
                for other in campaign.locales
            ]
            html = renderer.render(
                template, t, **common, lang=lang, view=page_view, page=canonical_page, alternates=alternates,
                superseded=page_view.notice_version != view.notice_version,
                canonical=page_url(campaign, lang, canonical_page) if campaign.base_url else "",
                success_url=page_url(campaign, lang, "thanks.html"),
                confirmed_url=page_url(campaign, lang, "confirm.html"),
                withdrawn_url=page_url(campaign, lang, "withdraw.html"),
                landing=shown,
            )
            rendered[done] = html
            _write(site / campaign.id / lang / out_name, html)
            count += 1
    picker = [{"lang": lang, "name": language_name(lang), "href": f"{lang}/"} for lang in campaign.locales]
    up = "../"
    html = renderer.render(
        "picker.html", locales.translations(campaign.default_locale),
        **{**common, "root": up, "csp": csp([]), "js": assets.url("optin.js", up),
           "css": [assets.url("style.css", up), assets.url(brand["brand_css"], up)],
           "logo": assets.url(brand["logo"], up) if "logo" in brand else "",
           "asset": lambda name: assets.url(name, up)},
        lang=campaign.default_locale, locales=picker,
        alternates=[{"lang": p["lang"], "href": p["href"]} for p in picker], hide_switcher=True,
        canonical=f"{campaign.base_url}/{campaign.id}/" if campaign.base_url else "",
    )
    _write(site / campaign.id / "index.html", html)
    write_manifest(campaign, site)
    vcard.write(campaign, site)
    return count + 1


def manifest(campaign: Campaign) -> dict:
    """Machine-readable facts `optin check` verifies the built pages against: locales, the
    endpoints the forms must post to, purposes and the campaign's proper nouns (kept as they are
    in every language). Written to site/<campaign>/optin.json; nothing in it is secret."""
    c = campaign.controller
    nouns = [campaign.brand_name, c.name, c.address, c.email, campaign.authority.name]
    nouns += [contact.name for contact in (c.dpo, c.representative) if contact]
    nouns += [provider.name for provider in (*campaign.hosts.values(), *campaign.providers.values())]
    e = campaign.endpoints
    return {
        "campaign": campaign.id, "locales": list(campaign.locales), "base_url": campaign.base_url,
        "endpoints": {"submit": e.submit, "confirm": e.confirm, "withdraw": e.withdraw},
        "purposes": [{"id": p.id, "channel": p.channel} for p in campaign.purposes],
        "proper_nouns": sorted(set(nouns)),
    }


def write_manifest(campaign: Campaign, site: Path) -> None:
    _write(site / campaign.id / "optin.json",
           json.dumps(manifest(campaign), indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def write_site_index(campaigns: list[Campaign], renderer: Renderer, assets: Assets, site: Path,
                     locales: Locales) -> int:
    html = renderer.render("site_index.html", locales.translations(SITE_LANG), lang=SITE_LANG, root="",
                           campaigns=sorted(campaigns, key=lambda c: c.id), csp=csp([]),
                           css=[assets.url("style.css", ""), assets.url(assets.add_default_brand(), "")],
                           js=assets.url("optin.js", ""),
                           asset=lambda name: assets.url(name, ""))
    _write(site / "index.html", html)
    return 1
