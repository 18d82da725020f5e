"""Running the rules over a site."""
from __future__ import annotations

import fnmatch
import gc
from contextlib import contextmanager
from pathlib import Path

from generator.check.browser import RULES as BROWSER_RULES
from generator.check.model import Failure, load_site
from generator.check.registry import RULES
from generator.check.rules import check_page, check_styles
from generator.errors import OptinError
from generator.project import Project


def select(files: list[str], patterns: tuple[str, ...] | list[str]) -> list[str]:
    return [f for f in files if not patterns or any(fnmatch.fnmatch(f, p) for p in patterns)]


def check_site(root: Path, project: Project, campaigns_dir: Path | None = None, patterns: tuple[str, ...] = (),
               browser: bool = False, runner=None, progress=None) -> tuple[list[Failure], int]:
    """Run every rule over the site: (failures sorted by page, number of pages checked).
    `runner(job, count)`, when given, runs job(0..count-1) (e.g. on several cores) and yields
    (index, result), result None where the job failed (it is run again here, to raise).
    `progress(stage, done, total)` follows the pages: stage "checking", then "browser"."""
    site = load_site(root, project, campaigns_dir)
    files, styles = select(site.html_files(), patterns), select(site.css_files(), patterns)
    if patterns and not files and not styles and not select([p.page for p in site.problems], patterns):
        raise OptinError(f"no page in {root} matches {', '.join(patterns)}")
    failures = list(site.problems)  # a broken manifest affects every page of its campaign
    def job(index: int) -> list[Failure]:
        return check_page(site.page(files[index]))

    with _fewer_collections():
        for index, found in (runner or serial)(job, len(files)):
            failures += job(index) if found is None else found
            if progress:
                progress("checking", index + 1, len(files))
    failures += check_styles(site, styles)
    if browser:
        from generator.check import browser as check_browser
        failures += check_browser.check_pages(
            site, files, progress=(lambda done, total: progress("browser", done, total)) if progress else None)
    return sorted(set(failures)), len(files)


@contextmanager
def _fewer_collections():
    """Page trees are cycles (parents, the element list), a few hundred objects per page: the
    collector's default pace (every 700 objects, the whole heap now and then) was a quarter of
    a big site's check. What is loaded before (modules, the site) is left out of its scans."""
    threshold, ours = gc.get_threshold(), not gc.get_freeze_count()
    if ours:
        gc.freeze()
    gc.set_threshold(10_000, *threshold[1:])  # forked workers inherit it
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if ours:
            gc.unfreeze()


def serial(job, count: int):
    """The runner of check_site that checks the pages one after the other, in this process."""
    return ((index, job(index)) for index in range(count))


def rules(browser: bool = True) -> dict[str, str]:
    """Rule id -> what it checks; the browser's rules only with `browser`."""
    out = {k: v for k, v in RULES.items() if k not in BROWSER_RULES}
    if browser:
        out.update(BROWSER_RULES)
    return out
