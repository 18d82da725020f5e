"""The `optin` command line. Argument handling and exit codes only; the work is elsewhere."""
from __future__ import annotations

from pathlib import Path

import click

from . import CAMPAIGNS_DIR, __version__
from .build import build as build_site
from .starter import write_starter

SITE_DIR = Path("site")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="optin")
def main() -> None:
    """Turn campaign YAML files into a localised static site of consent (opt-in) pages."""


@main.command()
@click.argument("campaigns", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=SITE_DIR, show_default=True,
              help="Output folder (replaced only when the build succeeds).")
@click.option("--strict", is_flag=True, help="Treat warnings (missing translations, unapproved legal text) as errors.")
def build(campaigns: tuple[Path, ...], out_dir: Path, strict: bool) -> None:
    """Build CAMPAIGNS (files or folders; default: campaigns/) into a static site."""
    result = build_site(list(campaigns) or [CAMPAIGNS_DIR], out_dir, strict=strict)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"built {len(result.campaigns)} campaign(s), {result.pages} pages into {out_dir}/")


@main.command()
@click.argument("name")
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=CAMPAIGNS_DIR, show_default=True,
              help="Folder to write the campaign file into.")
def new(name: str, folder: Path) -> None:
    """Write a commented starter campaign to campaigns/NAME.yaml."""
    path = write_starter(name, folder)
    click.echo(f"wrote {path}; edit it, then run `optin build {path}`")


def _register() -> None:
    """Sub-commands that live in their own modules."""
    from .check_cli import check
    from .i18n_cli import i18n
    from .review_cli import approve, review
    from .serve_cli import ledger, serve

    for command in (i18n, serve, ledger, check, review, approve):
        main.add_command(command)


_register()

