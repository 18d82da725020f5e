"""The look of the receiver's own pages (no-JavaScript error, withdraw link, local outbox): the
campaign's theme and brand colours, as on its site pages.

The stylesheet is the one the site build links (the theme's style.css, the brand stylesheet of
site/assets.py with its dark scheme, then the stylesheets a child theme adds, e.g. compact.css)
plus receiver.css. It is inlined in one <style> and allowed by its sha256 in the page's CSP: no
route to serve it, no request for it, and never 'unsafe-inline'."""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from markupsafe import Markup

from generator.campaign import colors
from generator.campaign.model import Campaign
from generator.errors import BuildError
from generator.project import package_data
from generator.site import themes
from generator.site.assets import brand_css

DEFAULT_THEME = "default"
# The error page may show inside the iframe of an embedded form (compact theme): no frame-ancestors.
ERROR_CSP = "default-src 'none'; form-action 'none'; base-uri 'none'"


@dataclass(frozen=True)
class Look:
    css: Markup  # the exact text of the page's <style> element
    brand: str = ""  # the campaign's brand name ("" when no campaign is known)
    home: str = ""  # its signup page ("" when unknown: the brand is shown without a link)

    @property
    def style_src(self) -> str:
        digest = base64.b64encode(hashlib.sha256(str(self.css).encode("utf-8")).digest()).decode("ascii")
        return f"'sha256-{digest}'"

    def csp(self, policy: str) -> str:
        """`policy` (which has no style-src) plus this page's stylesheet, by its hash."""
        return f"{policy}; style-src {self.style_src}"


def _theme_css(theme: themes.Theme) -> list[str]:
    """style.css, then what the child themes add over the root theme, parent before child (the
    stylesheets their templates link in the theme_head block)."""
    files = theme.static_files()
    root = theme.folders[-1] / "static"
    added = []
    for folder in reversed(theme.folders[:-1]):
        static = folder / "static"
        added += [p.name for p in sorted(static.glob("*.css")) if not (root / p.name).is_file()]
    return [files[name].read_text(encoding="utf-8") for name in ["style.css", *dict.fromkeys(added)] if name in files]


def stylesheet(theme: themes.Theme, palette: dict[str, str]) -> Markup:
    parts = _theme_css(theme)
    parts[1:1] = [brand_css(palette)]  # after style.css, as the site links it
    parts.append(resources.files(__package__).joinpath("templates", "receiver.css").read_text(encoding="utf-8"))
    # Trusted files (the project's themes, validated hex colours), yet the text must never end
    # its <style> element; in CSS "<\/" reads as "</".
    return Markup("\n".join(parts).replace("</", "<\\/"))


class Looks:
    """One stylesheet per theme and palette, read once; `theme_dirs` as Project.theme_dirs
    (default: the built-in themes)."""

    def __init__(self, theme_dirs: list[Path] | None = None):
        self.theme_dirs = list(theme_dirs or [package_data("themes")])
        self._css: dict[tuple, Markup] = {}

    def _find(self, name: str) -> themes.Theme:
        try:
            return themes.find(name, self.theme_dirs)
        except BuildError:  # the build reports a missing theme; a page must still be served
            return themes.find(DEFAULT_THEME, self.theme_dirs + [package_data("themes")])

    def of(self, campaign: Campaign | None, home: str = "") -> Look:
        """The campaign's look, with a brand link to `home`; without a campaign the default
        theme in its own colours (its dark scheme included)."""
        name, palette = (campaign.theme, campaign.colors) if campaign else (DEFAULT_THEME, colors.DEFAULTS)
        key = (name, tuple(sorted(palette.items())))
        if key not in self._css:
            self._css[key] = stylesheet(self._find(name), palette)
        if campaign is None:
            return Look(self._css[key])
        return Look(self._css[key], campaign.brand_name, home)
