"""`optin build`'s explicit phases, in order:

1. load: read and validate every campaign (all problems at once);
2. translations: missing strings warn, broken placeholders fail;
3. views: each campaign resolved per locale (labels, summary, notice, versions);
4. write: pages into a temporary folder beside the output;
5. legal: rendered texts compared with the approval lock (`--strict` fails on a difference);
6. swap: the temporary folder replaces the output, only now;
7. archive: new notice and wording versions kept next to their campaign.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generator.campaign.advice import publish_warnings
from generator.campaign.model import Campaign, Endpoints, load_all
from generator.errors import BuildError
from generator.legal import approval, archive
from generator.project import Project
from generator.site.build import campaign_files, staging, swap, translation_warnings, write_pages
from generator.site.views import LocaleView, resolve_all


@dataclass
class BuildResult:
    out_dir: Path
    campaigns: list[Campaign]
    views: dict[str, dict[str, LocaleView]] = field(default_factory=dict)
    pages: int = 0
    warnings: list[str] = field(default_factory=list)


def build(project: Project, paths: list[Path] | None = None, out_dir: Path | None = None, strict: bool = False,
          endpoints: Endpoints | None = None) -> BuildResult:
    """Build the campaigns in `paths` (default: the project's campaigns folder) into `out_dir`
    (default: the project's). `endpoints` overrides the campaigns' (`optin serve` points the
    forms at the local receiver)."""
    campaigns = load_all(campaign_files(paths or [project.campaigns_dir]), project)
    if endpoints:
        campaigns = [c.with_endpoints(endpoints) for c in campaigns]
    out_dir = (out_dir or project.out_dir).resolve()
    result = BuildResult(out_dir, campaigns)
    result.warnings = translation_warnings(project, {lang for c in campaigns for lang in c.locales})
    if strict and result.warnings:
        raise BuildError("--strict: " + "\n  ".join(["translations incomplete:", *result.warnings]))
    result.warnings += [w for c in campaigns for w in publish_warnings(c)]  # advice; --strict lets it pass
    result.views = {c.id: resolve_all(c, project.locales) for c in campaigns}
    earlier = {c.id: archive.earlier_versions(c, result.views[c.id]) for c in campaigns}  # old records link them
    with staging(out_dir) as tmp:
        result.pages = write_pages(project, campaigns, result.views, tmp, earlier, result.warnings)
        legal = [m for c in campaigns for m in approval.check(c, result.views[c.id])]
        if strict and legal:
            raise BuildError("--strict: " + "\n  ".join(["legal texts differ from the approved versions:", *legal]))
        result.warnings += legal
        swap(tmp, out_dir)
    for campaign in campaigns:
        result.warnings += archive.record(campaign, result.views[campaign.id])
    return result
