"""The `optin` group: the global `-f/--config` option and the sub-commands, one module each."""
from __future__ import annotations

from pathlib import Path

import click

from generator import __version__
from generator.cli import build, check, i18n, init, ledger, review, serve
from generator.cli import audit, record


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="optin")
@click.option("-f", "--config", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Project file (default: optin.toml here or in a parent folder).")
@click.pass_context
def main(ctx: click.Context, config: Path | None) -> None:
    """Turn campaign YAML into a site of localised consent pages."""
    ctx.ensure_object(dict)
    ctx.obj["config"] = config


for command in (init.init, init.new, build.build, serve.serve, check.check, review.review, review.approve,
                i18n.i18n, ledger.ledger, record.record, record.dpia, audit.audit):
    main.add_command(command)
