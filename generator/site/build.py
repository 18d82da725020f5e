"""Writing a site: campaigns and their views -> pages in a temporary folder, then a swap.

A failed build leaves the previous output untouched: everything is written next to the output
folder first and replaces it only at the end (`swap`).
"""
from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from generator.campaign.model import Campaign
from generator.errors import BuildError
from generator.i18n.catalogs import SOURCE_LANG
from generator.project import Project
from generator.site import embed, pages, qr, themes
from generator.site.assets import Assets
from generator.site.messages import write_messages
from generator.site.render import Renderer
from generator.site.views import LocaleView
from generator.site.whatsapp import write_whatsapp_templates


def campaign_files(paths: list[Path]) -> list[Path]:
    """Expand folders to their *.yaml; keep files as given."""
    files: list[Path] = []
    for path in paths:
        files += sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) if path.is_dir() else [path]
    if not files:
        raise BuildError(f"no campaign files found in {', '.join(map(str, paths))} "
                         "(create one with `optin new NAME`)")
    return files


def translation_warnings(project: Project, langs: set[str]) -> list[str]:
    """Missing and fuzzy strings of the locales in use; broken placeholders raise."""
    locales = project.locales
    out = []
    for lang in sorted(langs | {SOURCE_LANG}):  # English: its placeholders are checked too
        rep = locales.report(lang)
        if rep.errors:
            raise BuildError("translation placeholders broken:\n  " + "\n  ".join(map(str, rep.errors)))
        if lang == SOURCE_LANG:
            continue
        if locales.notice_is_english_copy(lang):
            out.append(f"locale {lang}: {locales.notice_path(lang)} is still the English notice copied by "
                       "`optin i18n init`; translate it")
        out += [f"locale {lang}: missing translation, English shown: {m!r}" for m in rep.missing]
        out += [f"locale {lang}: fuzzy translation, English shown: {m!r}" for m in rep.fuzzy]
    return out


@contextmanager
def staging(out_dir: Path):
    """A temporary folder beside `out_dir`; removed unless `swap` moved it into place."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def swap(tmp: Path, out_dir: Path) -> None:
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old")
        if old.exists():
            shutil.rmtree(old)
        out_dir.rename(old)
        tmp.rename(out_dir)
        shutil.rmtree(old)
    else:
        tmp.rename(out_dir)


class SiteWriter:
    """Writes campaigns into a staging folder: one Renderer and one Assets (the theme's static
    files, written once) per theme. A campaign's files go under <site>/<id>/ and
    <site>/assets/<id>/ only (`campaign_folders`), so a later build can reuse them."""

    def __init__(self, project: Project, site: Path, bytecode: Path | None = None):
        self.project, self.site, self.bytecode = project, site, bytecode
        self.renderers: dict[str, Renderer] = {}
        self.assets: dict[str, Assets] = {}

    def theme(self, name: str) -> tuple[Renderer, Assets]:
        if name not in self.renderers:
            theme = themes.find(name, self.project.theme_dirs)
            self.renderers[name] = Renderer(theme, self.bytecode)
            self.assets[name] = Assets(theme.static_files(), self.site)
        return self.renderers[name], self.assets[name]

    def write_campaign(self, campaign: Campaign, views: dict[str, LocaleView],
                       earlier: dict[str, list[LocaleView]] | None) -> tuple[int, list[str], embed.Embed]:
        """Every page of one campaign and the texts of its messages (messages.json;
        whatsapp-templates.json with WhatsApp); `earlier`: its archived notice versions to
        publish next to the current one. Returns (pages, warnings, its embed settings)."""
        renderer, assets = self.theme(campaign.theme)
        locales, site = self.project.locales, self.site
        count = pages.write_campaign(campaign, views, renderer, assets, site, locales, earlier)
        warnings = write_messages(campaign, locales, site) + write_whatsapp_templates(campaign, locales, site)
        count += qr.write_campaign(campaign, renderer, assets, site, locales)
        settings = embed.settings(campaign)
        embed.write_snippets(campaign, settings, renderer, site, locales)
        return count, warnings, settings

    def write_site(self, campaigns: list[Campaign], embeds: dict[str, embed.Embed]) -> int:
        """What spans campaigns, after them: the frame policy of every campaign (_headers, as
        embed.write_site writes it) and the site index."""
        for name in dict.fromkeys(c.theme for c in campaigns):
            self.theme(name)  # its static files, also when every campaign using it was reused
        (self.site / embed.HEADERS_FILE).write_text(embed.headers_file(campaigns, embeds), encoding="utf-8")
        index_theme = self.project.setting("default_theme")
        if index_theme not in {c.theme for c in campaigns}:
            index_theme = campaigns[0].theme
        renderer, assets = self.theme(index_theme)
        return pages.write_site_index(campaigns, renderer, assets, self.site, self.project.locales)


def campaign_folders(campaign_id: str) -> list[str]:
    return [campaign_id, f"assets/{campaign_id}"]


def expected_pages(campaigns: list[Campaign]) -> int:
    return sum(len(c.locales) * (len(pages.PAGES) + 2) + 1 for c in campaigns)  # + notice version, poster


def write_pages(project: Project, campaigns: list[Campaign], views: dict[str, dict[str, LocaleView]],
                site: Path, earlier: dict[str, dict[str, list[LocaleView]]], warnings: list[str],
                progress=None) -> int:
    """Every page of every campaign (SiteWriter.write_campaign), then the site index; `warnings`
    is extended with the message warnings (an SMS too long, no templates);
    `progress(campaigns_done, campaigns, pages_done, pages_expected)` follows along."""
    writer = SiteWriter(project, site)
    count, embeds, expected = 0, {}, expected_pages(campaigns)
    for done, campaign in enumerate(campaigns, 1):
        pages_written, found, embeds[campaign.id] = writer.write_campaign(campaign, views[campaign.id],
                                                                         earlier.get(campaign.id))
        count += pages_written
        warnings += found
        if progress:
            progress(done, len(campaigns), count, expected)
    return count + writer.write_site(campaigns, embeds)
