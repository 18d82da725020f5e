"""`optin build`'s explicit phases, in order:

1. load: read and validate every campaign (all problems at once);
2. translations: missing strings warn, broken placeholders fail;
3-4. per campaign (pipeline/jobs.py; on every core for many campaigns): its views (labels,
   summary, notice, versions) resolved per locale, then its pages, written into a temporary
   folder beside the output; a campaign unchanged since the last build is not rendered again,
   its files stay where they are in the previous output (site/cache.py);
5. legal: rendered texts (pages, messages, templates) compared with the approval lock
   (`--strict` fails on a difference); versions.json lists the versions the receiver accepts;
6. swap: the temporary folder replaces the output, only now (then the build cache is saved);
   when campaigns were reused, what was rendered replaces the rest of the output, entry by
   entry (site/output.py);
7. archive, only when this build publishes (`--strict` into the project's own out_dir): new
   notice and wording versions kept next to their campaign, listed in published.json.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from generator.campaign import starter
from generator.campaign.advice import publish_warnings
from generator.campaign.model import Campaign, Endpoints, load_all
from generator.errors import BuildError
from generator.i18n import catalogs
from generator.legal import archive
from generator.pipeline import jobs
from generator.project import Project
from generator.site.build import campaign_files, staging, swap, translation_warnings
from generator.site import notice_cache
from generator.site.cache import BuildCache
from generator.site.output import commit
from generator.site.views import LocaleView


@dataclass
class BuildResult:
    out_dir: Path
    campaigns: list[Campaign]
    views: dict[str, dict[str, LocaleView]] = field(default_factory=dict)
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    texts: dict[str, dict] = field(default_factory=dict)  # campaign -> locale -> key -> LegalText
    versions: dict[str, dict] = field(default_factory=dict)  # campaign -> locale -> {notice, wording}_version
    publishing: bool = False  # a --strict build into the project's out_dir: its versions are archived
    published: list[str] = field(default_factory=list)  # '<campaign> <locale> <kind> <hash12>' newly archived


def build(project: Project, paths: list[Path] | None = None, out_dir: Path | None = None, strict: bool = False,
          endpoints: Endpoints | None = None, progress=None, cache: bool = True) -> BuildResult:
    """Build the campaigns in `paths` (default: the project's campaigns folder) into `out_dir`
    (default: the project's). `endpoints` overrides the campaigns' (`optin serve` points the
    forms at the local receiver); `progress` follows the pages written (site.build.write_pages).
    Only a strict build into the project's own out_dir publishes (archives its versions);
    anything else is a draft. `cache`: reuse what the previous build into out_dir rendered of
    unchanged campaigns (site/cache.py)."""
    out_dir = (out_dir or project.out_dir).resolve()
    publishing = strict and not endpoints and out_dir == project.out_dir.resolve()
    build_cache = BuildCache(out_dir, jobs.shared_key(project, strict, endpoints, publishing) if cache else "", cache,
                             jobs.qr_salt() if cache else "")
    catalogs.use_store(build_cache.memo.setdefault("catalogs", {}) if cache else None)
    loaded, reused, files = {}, set(), campaign_files(paths or [project.campaigns_dir])
    campaigns = load_all(files, project, jobs.loader(build_cache, loaded, reused, project, files))
    if endpoints:
        campaigns = [c.with_endpoints(endpoints) for c in campaigns]
    result = BuildResult(out_dir, campaigns, publishing=publishing)
    result.warnings = _translation_warnings(project, build_cache, {lang for c in campaigns for lang in c.locales})
    refusals = [("translations incomplete:", list(result.warnings))]  # --strict: every reason at once
    placeholders = [w for c in campaigns for w in starter.placeholder_warnings(c)]
    refusals.append(("the starter's placeholders are still there:", placeholders))
    result.warnings += placeholders + [w for c in campaigns for w in publish_warnings(c)]  # advice passes --strict
    with staging(out_dir) as tmp:  # views, pages, legal texts and versions.json, campaign by campaign
        done = jobs.render_all(project, campaigns, tmp, build_cache, loaded, reused, progress)
        result.views, result.texts, result.versions = done.views, done.texts, done.versions
        result.pages, legal = done.pages, done.legal
        result.warnings += done.warnings
        refusals.append(("legal texts differ from the approved versions:", legal))
        if strict and any(items for _, items in refusals):
            raise BuildError(strict_message(refusals))
        result.warnings += legal
        if build_cache.kept:
            commit(tmp, out_dir, build_cache.kept)
        else:
            swap(tmp, out_dir)
    notice_cache.trim_store()
    build_cache.save()
    for campaign in campaigns if result.publishing else []:
        new, warnings = archive.record(campaign, result.views[campaign.id])
        result.published += [f"{campaign.id} {item}" for item in new]
        result.warnings += warnings
    return result


def _translation_warnings(project: Project, build_cache: BuildCache, langs: set[str]) -> list[str]:
    """translation_warnings, kept in the build cache: its key covers every locale file."""
    memo = build_cache.memo.setdefault("translations", {})
    name = ",".join(sorted(langs))
    if name not in memo:
        memo[name] = translation_warnings(project, langs)  # raises on broken placeholders: nothing kept
    return list(memo[name])


def strict_message(refusals: list[tuple[str, list[str]]]) -> str:
    """Every reason a strict build refused to publish, each under its heading."""
    lines = [line for title, items in refusals if items for line in (f"  {title}", *(f"    {i}" for i in items))]
    count = sum(1 for _, items in refusals if items)
    return f"--strict: {count} reason{'s' if count != 1 else ''} not to publish:\n" + "\n".join(lines)


def draft(project: Project, paths: list[Path] | None = None) -> BuildResult:
    """A build into a temporary folder, removed again: the legal texts exactly as a build renders
    them, for `optin review` and `optin approve` (nothing is published or archived)."""
    with tempfile.TemporaryDirectory(prefix="optin-draft-") as tmp:
        return build(project, paths, Path(tmp) / "site", cache=False)
