"""QR codes and printable posters: per campaign and locale, the signup page's public address as
a QR code (qr.svg, qr.png) and an A4 poster page (poster.html: brand, call to action, the
code, the address in text), next to the signup page.

A QR code must hold the public address, so it needs the campaign's `base_url`; a campaign
without one gets none, and the build's base_url advice says so (campaign/advice.py; a
relative path in a QR code leads nowhere).
"""
from __future__ import annotations

import re
from pathlib import Path

from generator.campaign.model import Campaign
from generator.i18n.formatting import language_name
from generator.i18n.locales import Locales
from generator.site import landing
from generator.site.assets import Assets
from generator.site.pages import csp
from generator.site.render import Renderer
from generator.urls import campaign_page

POSTER = "poster.html"
QR_SVG, QR_PNG = "qr.svg", "qr.png"
PNG_SCALE = 12  # pixels per module: about 600 px for a signup address, sharp at 10 cm in print


def signup_url(campaign: Campaign, lang: str) -> str:
    """The public address of the signup page of `lang` (the campaign must have base_url)."""
    return campaign_page(campaign.base_url, campaign.id, lang)


BORDER = 4  # modules of quiet zone around the code, as the standard asks
DARK_RUN = re.compile(rb"\x01+")
WIDTH = re.compile(rb'width="(\d+)"')
_cache: dict = {"lookup": None}  # set by use_cache: finished codes from the previous build


def qr_code(url: str):
    """segno's code of `url`: what qr_files' bytes are (tests compare the two)."""
    import segno

    # level M survives a crease or a smudge on a printed poster; never a Micro QR (phones skip them)
    return segno.make(url, error="m", micro=False)


def svg(matrix, border: int = BORDER) -> bytes:
    """segno's SVG of the matrix (scale 1, white quiet zone, black modules, no XML declaration),
    the same bytes: one path of horizontal runs of dark modules, each relative to the last."""
    size = len(matrix) + 2 * border
    moves, x, down = [], -border, border + .5  # the first move is from the corner to a row's middle
    for row in matrix:
        for run in DARK_RUN.finditer(row):
            start, end = run.span()
            moves.append("m%d %sh%d" % (start - x, down, end - start))
            x, down = end, 0
        down += 1
    moves[0] = "M" + moves[0][1:]
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" class="segno">'
            '<path fill="#fff" d="M0 0h%dv%dh-%dz"/><path class="qrline" stroke="#000" d="%s"/></svg>\n'
            % (size, size, size, size, size, "".join(moves))).encode()


def use_cache(lookup) -> None:
    """`lookup(url)`: {qr.svg: …, qr.png: …} of `url` as an earlier build wrote them, or None
    (the build cache finds them in the previous output: a campaign rendered again with the
    same base_url keeps its codes)."""
    _cache["lookup"] = lookup


def encoded(url: str) -> tuple[dict[str, bytes], int]:
    """({qr.svg: …, qr.png: …}, symbol width in modules with the quiet zone) of `url`."""
    lookup = _cache["lookup"]
    found = lookup(url) if lookup is not None else None
    if found is not None:
        return found, int(WIDTH.search(found[QR_SVG]).group(1))
    from generator.site import qr_matrix, qr_png  # only for a new address: segno is a slow import

    matrix, _version = qr_matrix.encode(url)
    return {QR_SVG: svg(matrix), QR_PNG: qr_png.png(matrix, PNG_SCALE, BORDER)}, len(matrix) + 2 * BORDER


def qr_files(url: str) -> dict[str, bytes]:
    """qr.svg (dark on white, so it stays readable on a dark screen) and qr.png of `url`."""
    return encoded(url)[0]


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
        found, size = encoded(url)
        for name, data in found.items():
            (folder / name).write_bytes(data)
        html = renderer.render(
            POSTER, locales.translations(lang), **common, lang=lang, page=POSTER, signup_url=url,
            qr=QR_SVG, qr_modules=size, landing=landing.view(campaign.page, lang),
            alternates=[{"lang": other, "name": language_name(other), "href": f"../{other}/{POSTER}",
                         "current": other == lang} for other in campaign.locales],
            logo=assets.url(brand["logo"], root) if "logo" in brand else "",
        )
        (folder / POSTER).write_text(html, encoding="utf-8")
    return len(campaign.locales)
