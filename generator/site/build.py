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
from generator.site import pages, themes
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


def write_pages(project: Project, campaigns: list[Campaign], views: dict[str, dict[str, LocaleView]],
                site: Path, earlier: dict[str, dict[str, list[LocaleView]]], warnings: list[str]) -> int:
    """Every page of every campaign (each with its theme) and the texts of its messages
    (messages.json; whatsapp-templates.json with WhatsApp), then the site index. `earlier`
    gives each campaign's archived notice versions to publish next to the current one;
    `warnings` is extended with the message warnings (an SMS too long, no templates)."""
    renderers: dict[str, Renderer] = {}
    assets: dict[str, Assets] = {}
    count = 0
    for campaign in campaigns:
        if campaign.theme not in renderers:
            theme = themes.find(campaign.theme, project.theme_dirs)
            renderers[campaign.theme] = Renderer(theme)
            assets[campaign.theme] = Assets(theme.static_files(), site)
        count += pages.write_campaign(campaign, views[campaign.id], renderers[campaign.theme],
                                      assets[campaign.theme], site, project.locales, earlier.get(campaign.id))
        warnings += write_messages(campaign, project.locales, site)
        warnings += write_whatsapp_templates(campaign, project.locales, site)
    index_theme = project.setting("default_theme")
    if index_theme not in renderers:
        index_theme = next(iter(renderers))
    return count + pages.write_site_index(campaigns, renderers[index_theme], assets[index_theme], site,
                                          project.locales)
