"""`optin build`."""
from __future__ import annotations

from pathlib import Path

import click

from generator.cli.common import campaign_paths, echo_warnings, pass_project


@click.command()
@click.argument("campaigns", nargs=-1)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: out_dir of optin.toml, site/); replaced only when the build succeeds.")
@click.option("--strict", is_flag=True, help="Treat warnings (missing translations, unapproved legal text) as errors.")
@pass_project
def build(project, campaigns: tuple[str, ...], out_dir: Path | None, strict: bool) -> None:
    """Build campaigns into a static site.

    CAMPAIGNS are ids, files or folders (default: the project's campaigns/)."""
    from generator.pipeline.build import build as run_build

    result = run_build(project, campaign_paths(project, campaigns), out_dir, strict=strict)
    echo_warnings(result.warnings)
    click.echo(f"built {len(result.campaigns)} campaign(s), {result.pages} pages into {_shown(result.out_dir)}/")


def _shown(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
