"""`optin check`: argument handling and exit codes; the rules are in check/."""
from __future__ import annotations

from pathlib import Path

import click

from generator.cli.common import PROGRESS_MIN_PAGES, pass_project, status_line


@click.command()
@click.argument("site_dir", default=None, required=False, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Human table, or JSON for scripts and CI.")
@click.option("--browser", is_flag=True,
              help="Also open every page in Chromium: axe-core, console errors, CSP violations, network "
                   "(needs `pip install 'optin[browser]'`).")
@click.option("--campaigns", "campaigns_dir", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Check against these campaign files instead of the site's <campaign>/optin.json manifests.")
@click.option("--page", "patterns", multiple=True, metavar="GLOB",
              help="Only check pages whose path in the site matches GLOB (repeatable), e.g. 'nordlys-sko/nb/*'.")
@click.option("--list-rules", is_flag=True, help="List the rule ids and what each checks, then exit.")
@pass_project
def check(project, site_dir: Path | None, fmt: str, browser: bool, campaigns_dir: Path | None,
          patterns: tuple[str, ...], list_rules: bool) -> None:
    """Check a built site before publishing it.

    Consent, privacy, security and language rules on every page of SITE_DIR (default: the
    project's site/). Exit code 0 when every rule passes, 1 when any fails, 2 on bad input
    (e.g. no such folder)."""
    from generator.check.report import as_json, as_table
    from generator.check.run import check_site, rules

    if list_rules:
        for rule_id, text in rules().items():
            click.echo(f"{rule_id:18} {text}")
        return
    site_dir = site_dir or project.out_dir
    with status_line() as show:
        def progress(stage: str, done: int, total: int) -> None:
            if total >= PROGRESS_MIN_PAGES:
                show(f"{stage}: page {done}/{total}")
        failures, pages = check_site(site_dir, project, campaigns_dir, patterns, browser=browser,
                                     runner=_on_every_core, progress=progress if show else None)
    if fmt == "json":
        click.echo(as_json(site_dir, failures, pages, browser))
    else:
        click.echo(as_table(failures, pages))
    if failures:
        raise SystemExit(1)


PAGES_PER_JOB = 25  # a worker process is worth its fork from a few hundred pages on


def _on_every_core(job, count: int):
    """The page checks on every core for a big site (in page order), in this process otherwise."""
    from generator.check.run import serial
    from generator.pipeline import parallel

    processes = parallel.workers(count // PAGES_PER_JOB)
    return serial(job, count) if processes == 1 else parallel.ordered(job, count, processes)
