"""Static assets with fingerprinted names (site/assets/style.1a2b3c4d.css), so hosts can cache
them forever; brand colours become a small per-campaign stylesheet (CSP allows no inline style)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from generator.campaign import safety
from generator.campaign.model import Campaign
from generator.errors import BuildError
from generator.campaign import colors

# Dark scheme (prefers-color-scheme: dark): a near-black background tinted with the brand, light
# text, and the brand's colours lightened just enough to keep WCAG 2.2 AA contrast on it.
DARK_BASE, DARK_TEXT, LIGHT_ERROR = "#121212", "#ececec", "#b00020"


def _fingerprint(name: str, data: bytes) -> str:
    stem, dot, suffix = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:8]
    return f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"


class Assets:
    """Copies a theme's static files into <site>/assets once; maps logical names to URLs."""

    def __init__(self, static_files: dict[str, Path], site_dir: Path):
        self.dir = site_dir / "assets"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.names: dict[str, str] = {}
        self._campaigns: dict[str, tuple[object, dict[str, str]]] = {}  # pages and QR posters ask alike
        for name, file in static_files.items():  # a theme's, its parent's under it (Theme.static_files)
            self.add(name, file.read_bytes())

    def add(self, name: str, data: bytes) -> str:
        final = _fingerprint(name, data)
        target = self.dir / final
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.names[name] = final
        return final

    def url(self, name: str, root: str) -> str:
        return f"{root}assets/{self.names[name]}"

    def add_default_brand(self) -> str:
        """The default colours (light and dark) for pages of no campaign, e.g. the site index."""
        if "brand.css" not in self.names:
            self.add("brand.css", brand_css(colors.DEFAULTS).encode())
        return "brand.css"

    def add_campaign(self, campaign: Campaign) -> dict[str, str]:
        """Brand stylesheet (light and dark), logo and hero image for one campaign; returns
        logical names."""
        done = self._campaigns.get(campaign.id)
        if done is not None and done[0] is campaign:
            return dict(done[1])
        names = self._add_campaign(campaign)
        self._campaigns[campaign.id] = (campaign, names)
        return dict(names)

    def _add_campaign(self, campaign: Campaign) -> dict[str, str]:
        css = brand_css(campaign.colors)
        names = {"brand_css": f"{campaign.id}/brand.css"}
        self.add(names["brand_css"], css.encode())
        if campaign.logo:
            data = campaign.logo.read_bytes()
            kind = safety.image_type(data)  # checked when the campaign loaded; the file may change
            problem = "not a PNG, JPEG, WebP or SVG image" if not kind else (
                safety.svg_problem(data) if kind == "svg" else "")
            if problem or len(data) > safety.MAX_LOGO_BYTES:
                raise BuildError(f"campaign {campaign.id}: logo {campaign.logo}: "
                                 f"{problem or 'larger than the limit'} (it changed while building; build again)")
            names["logo"] = f"{campaign.id}/logo.{kind}"  # named by its content, not its file name
            self.add(names["logo"], data)
        hero = campaign.page.hero
        if hero is not None:
            names["hero"] = f"{campaign.id}/hero{hero.path.suffix.lower()}"
            self.add(names["hero"], hero.path.read_bytes())
        return names


def _mix(a: str, b: str, share: float) -> str:
    """`a` with `share` (0..1) of `b` mixed in, per sRGB channel."""
    pa, pb = ([int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in (a, b))
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(pa, pb))


def readable_on(colour: str, *backgrounds: str, towards: str = colors.WHITE) -> str:
    """`colour`, moved towards `towards` in small steps until it reaches 4.5:1 on every background."""
    for step in range(101):
        candidate = _mix(colour, towards, step / 100)
        if all(colors.contrast(candidate, bg) >= colors.MIN_RATIO for bg in backgrounds):
            return candidate
    return towards


def dark_palette(c: dict[str, str]) -> dict[str, str]:
    """The custom properties of the dark scheme, every text pair at 4.5:1 or more: links and
    buttons in the lightened primary (button text in the background colour), errors readable on
    the page and on the error box."""
    background = _mix(DARK_BASE, c["primary"], 0.06)
    surface = _mix(background, colors.WHITE, 0.06)
    error_bg = _mix(background, LIGHT_ERROR, 0.18)
    return {
        "background": background, "surface": surface,
        "text": readable_on(DARK_TEXT, background, surface, error_bg),
        "primary": readable_on(c["primary"], background, surface),
        "on-primary": background,
        "error": readable_on(LIGHT_ERROR, background, surface, error_bg),
        "error-bg": error_bg, "focus": "#f5f5f5", "line": readable_on("#767676", background),
    }


def brand_css(c: dict[str, str]) -> str:
    """The campaign's colours as custom properties; the dark block applies on screens only, so a
    printed notice stays dark on white."""
    # --logo-plate keeps the light background: a logo drawn for it stays legible in the dark scheme
    light = f"--primary:{c['primary']};--text:{c['text']};--background:{c['background']};--logo-plate:{c['background']};"
    dark = "".join(f"--{k}:{v};" for k, v in dark_palette(c).items())
    return (f":root{{{light}}}\n"
            f"@media screen and (prefers-color-scheme: dark){{:root{{color-scheme:dark;{dark}}}}}\n")
