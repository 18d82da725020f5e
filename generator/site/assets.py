"""Static assets with fingerprinted names (site/assets/style.1a2b3c4d.css), so hosts can cache
them forever; brand colours become a small per-campaign stylesheet (CSP allows no inline style)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from generator.campaign.model import Campaign


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

    def add_campaign(self, campaign: Campaign) -> dict[str, str]:
        """Brand stylesheet and logo for one campaign; returns logical names."""
        c = campaign.colors
        css = (f":root{{--primary:{c['primary']};--text:{c['text']};--background:{c['background']};}}\n")
        names = {"brand_css": f"{campaign.id}/brand.css"}
        self.add(names["brand_css"], css.encode())
        if campaign.logo:
            names["logo"] = f"{campaign.id}/logo{campaign.logo.suffix.lower()}"
            self.add(names["logo"], campaign.logo.read_bytes())
        return names
