"""`optin serve`: build the site and run it with the reference receiver on 127.0.0.1."""
from __future__ import annotations

import logging
import signal
from pathlib import Path

import click

from generator.cli.common import campaign_paths, echo_warnings, pass_project


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _print_message(message) -> None:
    click.echo(click.style(f"\n--- outbox: {message.channel} to {message.recipient} "
                           f"({message.campaign}, {message.locale}) ---", bold=True))
    click.echo(message.body)


@click.command()
@click.argument("campaigns", nargs=-1)
@click.option("--port", default=8000, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--ledger", "ledger_path", default=None, metavar="PATH|URL",
              help="Consent ledger: a SQLite file or a postgresql:// URL (default: the project's, optin-ledger.sqlite; "
                   "created if missing, kept across runs).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Build the local site here (default: a temporary folder; never site/).")
@click.option("--token-hours", default=48.0, show_default=True, type=click.FloatRange(min=0.01),
              help="How long confirmation links and codes stay valid.")
@click.option("--verbose", is_flag=True, help="Log every HTTP request.")
@pass_project
def serve(project, campaigns: tuple[str, ...], port: int, ledger_path: str | None, out_dir: Path | None,
          token_hours: float, verbose: bool) -> None:
    """Try the whole opt-in flow locally: site, receiver and outbox on 127.0.0.1."""
    from generator.pipeline.serve import LocalServer

    logging.getLogger("werkzeug").setLevel(logging.INFO if verbose else logging.WARNING)
    server = LocalServer(project, campaign_paths(project, campaigns), out_dir, port, ledger_path, token_hours,
                         on_message=_print_message, log_requests=verbose)
    echo_warnings(server.build.warnings)
    click.echo(f"Serving {len(server.build.campaigns)} campaign(s) at {server.url}/")
    for campaign in server.build.campaigns:
        click.echo(f"  {server.url}/{campaign.id}/")
    click.echo(f"Outbox: {server.url}/_outbox   Ledger: {server.ledger}   Stop: Ctrl+C")
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl+C
    try:
        server.serve_forever()  # returns on Ctrl+C or SIGTERM (werkzeug swallows the interrupt)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    click.echo("stopped")
