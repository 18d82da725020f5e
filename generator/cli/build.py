"""`optin build`."""
from __future__ import annotations

from pathlib import Path

import click

from generator.cli.common import campaign_paths, echo_warnings, pass_project, progress_line


@click.command()
@click.argument("campaigns", nargs=-1)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: out_dir of optin.toml, site/); replaced only when the build succeeds.")
@click.option("--strict", is_flag=True, help="Treat warnings (missing translations, unapproved legal text, the starter's "
              "placeholders) as errors, all reported at once.")
@pass_project
def build(project, campaigns: tuple[str, ...], out_dir: Path | None, strict: bool) -> None:
    """Build campaigns into a static site.

    CAMPAIGNS are ids, files or folders (default: the project's campaigns/). A --strict build
    into the project's out_dir publishes: its notice and wording versions are archived in
    campaigns/<id>.notices/ (commit them); any other build is a draft and archives nothing."""
    from generator.pipeline.build import build as run_build

    with progress_line() as progress:
        result = run_build(project, campaign_paths(project, campaigns), out_dir, strict=strict, progress=progress)
    echo_warnings(result.warnings)
    for item in result.published:  # '<campaign> <locale> <kind> <hash12>', now in campaigns/<id>.notices/
        click.echo(f"published {item}")
    click.echo(f"built {len(result.campaigns)} campaign(s), {result.pages} pages into {_shown(result.out_dir)}/")


def _shown(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
