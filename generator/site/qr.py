"""QR codes and printable posters: per campaign and locale, the signup page's public address as
a QR code (qr.svg, qr.png) and an A4 poster page (poster.html: brand, call to action, the
code, the address in text), next to the signup page.

A QR code must hold the public address, so it needs the campaign's `base_url`; a campaign
without one gets none, and the build's base_url advice says so (campaign/advice.py; a
relative path in a QR code leads nowhere).
"""
from __future__ import annotations

import io
from pathlib import Path

import segno

from generator.campaign.model import Campaign
from generator.i18n.formatting import language_name
from generator.i18n.locales import Locales
from generator.site import landing, qr_png
from generator.site.assets import Assets
from generator.site.pages import csp
from generator.site.render import Renderer

POSTER = "poster.html"
QR_SVG, QR_PNG = "qr.svg", "qr.png"
PNG_SCALE = 12  # pixels per module: about 600 px for a signup address, sharp at 10 cm in print


def signup_url(campaign: Campaign, lang: str) -> str:
    """The public address of the signup page of `lang` (the campaign must have base_url)."""
    return f"{campaign.base_url}/{campaign.id}/{lang}/"


def qr_code(url: str) -> segno.QRCode:
    # level M survives a crease or a smudge on a printed poster; never a Micro QR (phones skip them)
    return segno.make(url, error="m", micro=False)


def qr_files(url: str, code: segno.QRCode | None = None) -> dict[str, bytes]:
    """qr.svg (dark on white, so it stays readable on a dark screen) and qr.png of `url`."""
    code = code or qr_code(url)
    buf = io.BytesIO()
    code.save(buf, kind="svg", scale=1, xmldecl=False, light="#fff", dark="#000", border=4)
    return {QR_SVG: buf.getvalue(), QR_PNG: qr_png.png(code.matrix, PNG_SCALE, 4)}  # segno's bytes, faster


def write_campaign(campaign: Campaign, renderer: Renderer, assets: Assets, site: Path, locales: Locales) -> int:
    """qr.svg, qr.png and poster.html in every locale folder; returns the pages written (0
    without base_url)."""
    if not campaign.base_url:
        return 0
    root = "../../"
    brand = assets.add_campaign(campaign)
    common = {"campaign": campaign, "root": root, "csp": csp([]), "js": assets.url("optin.js", root),
              "css": [assets.url("style.css", root), assets.url(brand["brand_css"], root),
                      assets.url("poster.css", root)],
              "asset": lambda name: assets.url(name, root)}
    for lang in campaign.locales:
        url = signup_url(campaign, lang)
        folder = site / campaign.id / lang
        folder.mkdir(parents=True, exist_ok=True)
        code = qr_code(url)
        for name, data in qr_files(url, code).items():
            (folder / name).write_bytes(data)
        size = code.symbol_size(border=4)[0]
        html = renderer.render(
            POSTER, locales.translations(lang), **common, lang=lang, page=POSTER, signup_url=url,
            qr=QR_SVG, qr_modules=size, landing=landing.view(campaign.page, lang),
            alternates=[{"lang": other, "name": language_name(other), "href": f"../{other}/{POSTER}",
                         "current": other == lang} for other in campaign.locales],
            logo=assets.url(brand["logo"], root) if "logo" in brand else "",
        )
        (folder / POSTER).write_text(html, encoding="utf-8")
    return len(campaign.locales)
