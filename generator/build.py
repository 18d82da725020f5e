"""Build orchestrator: load -> resolve -> render -> write into a temp dir, then swap.

A failed build leaves the previous output untouched.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import approval, i18n, notice_archive, pages
from .assets import Assets
from .campaign import Campaign, Endpoints, load_all, publish_warnings
from .errors import BuildError
from .render import Renderer
from .resolve import LocaleView, resolve


@dataclass
class BuildResult:
    out_dir: Path
    campaigns: list[Campaign]
    views: dict[str, dict[str, LocaleView]] = field(default_factory=dict)
    pages: int = 0
    warnings: list[str] = field(default_factory=list)


def campaign_files(paths: list[Path]) -> list[Path]:
    """Expand folders to their *.yaml; keep files as given."""
    files: list[Path] = []
    for path in paths:
        files += sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) if path.is_dir() else [path]
    if not files:
        raise BuildError(f"no campaign files found in {', '.join(map(str, paths))} "
                         "(create one with `optin new NAME`)")
    return files


def _swap(tmp: Path, out_dir: Path) -> None:
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old")
        if old.exists():
            shutil.rmtree(old)
        out_dir.rename(old)
        tmp.rename(out_dir)
        shutil.rmtree(old)
    else:
        tmp.rename(out_dir)


def _translation_warnings(langs: set[str]) -> list[str]:
    out = []
    for lang in sorted(langs | {i18n.SOURCE_LANG}):  # English: its placeholders are checked too
        rep = i18n.report(lang)
        if rep.errors:
            raise BuildError("translation placeholders broken:\n  " + "\n  ".join(map(str, rep.errors)))
        if lang == i18n.SOURCE_LANG:
            continue
        if i18n.notice_is_english_copy(lang):
            out.append(f"locale {lang}: {i18n.notice_path(lang)} is still the English notice copied by "
                       "`optin i18n init`; translate it")
        out += [f"locale {lang}: missing translation, English shown: {m!r}" for m in rep.missing]
        out += [f"locale {lang}: fuzzy translation, English shown: {m!r}" for m in rep.fuzzy]
    return out


def build(paths: list[Path], out_dir: Path, strict: bool = False,
          endpoints: Endpoints | None = None) -> BuildResult:
    """Build every campaign in `paths` into `out_dir`. `endpoints` overrides the campaigns'
    (used by `optin serve` to point the forms at the local receiver)."""
    campaigns = load_all(campaign_files(paths))
    if endpoints:
        campaigns = [c.with_endpoints(endpoints) for c in campaigns]
    result = BuildResult(out_dir, campaigns)
    result.warnings = _translation_warnings({lang for c in campaigns for lang in c.locales})
    if strict and result.warnings:
        raise BuildError("--strict: " + "\n  ".join(["translations incomplete:", *result.warnings]))
    result.warnings += [w for c in campaigns for w in publish_warnings(c)]  # advice; --strict lets it pass
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        renderers: dict[str, Renderer] = {}
        assets: dict[str, Assets] = {}
        for campaign in campaigns:
            if campaign.theme not in renderers:
                renderers[campaign.theme] = Renderer(campaign.theme)
                assets[campaign.theme] = Assets(renderers[campaign.theme].static_dir, tmp)
            renderer = renderers[campaign.theme]
            views = {lang: resolve(campaign, lang, renderer) for lang in campaign.locales}
            result.views[campaign.id] = views
            earlier = notice_archive.earlier_versions(campaign, views)  # old consent records link them
            result.pages += pages.write_campaign(campaign, views, renderer, assets[campaign.theme], tmp, earlier)
        first = renderers.get("default") or next(iter(renderers.values()))
        result.pages += pages.write_site_index(campaigns, first, assets.get("default") or next(iter(assets.values())), tmp)
        legal = [m for c in campaigns for m in approval.check(c, result.views[c.id])]  # issue 4
        if strict and legal:
            raise BuildError("--strict: " + "\n  ".join(["legal texts differ from the approved versions:", *legal]))
        result.warnings += legal
        _swap(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for campaign in campaigns:  # archive new notice versions next to the campaign (issue 4)
        result.warnings += notice_archive.record(campaign, result.views[campaign.id])
    return result
