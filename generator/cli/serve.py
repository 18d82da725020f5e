"""`optin serve`: build the site and run it with the reference receiver on 127.0.0.1, rebuilding
(and reloading the open pages) when a campaign, catalog, notice or theme file changes."""
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


class _Rebuilds:
    """Prints each rebuild: its error, or the warnings the last build did not have."""

    def __init__(self, warnings: list[str]):
        self.warnings = list(warnings)

    def __call__(self, result, error, changed) -> None:
        names = ", ".join(p.name for p in changed[:3]) + (f" (+{len(changed) - 3})" if len(changed) > 3 else "")
        if error:
            click.echo(click.style(f"\nrebuild failed after a change to {names}; still serving the last good "
                                   "site (the open pages show the error):", fg="red", bold=True), err=True)
            click.echo(error, err=True)
            return
        echo_warnings([w for w in result.warnings if w not in self.warnings])
        same = sum(1 for w in result.warnings if w in self.warnings)
        self.warnings = list(result.warnings)
        click.echo(f"rebuilt {result.pages} pages after a change to {names}; open pages reload"
                   + (f" ({same} warning(s) as before)" if same else ""))


@click.command()
@click.argument("campaigns", nargs=-1)
@click.option("--port", default=8000, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--ledger", "ledger_path", default=None, metavar="PATH|URL",
              help="Consent ledger: a SQLite file or a postgresql:// URL (default: the project's, optin-ledger.sqlite; "
                   "created if missing, kept across runs).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Build the local site here (default: a temporary folder; never site/).")
@click.option("--token-hours", default=48.0, show_default=True, type=click.FloatRange(min=0.01),
              help="How long confirmation links stay valid (codes: 30 minutes).")
@click.option("--verbose", is_flag=True, help="Log every HTTP request.")
@click.option("--no-reload", is_flag=True,
              help="Do not watch campaigns, locales and themes (default: rebuild on a change and reload open pages).")
@pass_project
def serve(project, campaigns: tuple[str, ...], port: int, ledger_path: str | None, out_dir: Path | None,
          token_hours: float, verbose: bool, no_reload: bool) -> None:
    """Try the opt-in flow locally, with live reload.

    Builds the site with every form pointed at a local receiver and serves site, receiver and
    outbox on 127.0.0.1. Editing a campaign file, a catalog, a notice or a theme file rebuilds
    it and the open pages reload; a failed rebuild keeps the last good site and shows the error."""
    from generator.pipeline.serve import LocalServer

    logging.getLogger("werkzeug").setLevel(logging.INFO if verbose else logging.WARNING)
    rebuilds = _Rebuilds([])
    server = LocalServer(project, campaign_paths(project, campaigns), out_dir, port, ledger_path, token_hours,
                         on_message=_print_message, log_requests=verbose, watch=not no_reload,
                         on_rebuild=rebuilds)
    rebuilds.warnings = list(server.build.warnings)
    echo_warnings(server.build.warnings)
    click.echo(f"Serving {len(server.build.campaigns)} campaign(s) at {server.url}/")
    for campaign in server.build.campaigns:
        click.echo(f"  {server.url}/{campaign.id}/")
    click.echo(f"Outbox: {server.url}/_outbox   Ledger: {server.ledger}   Stop: Ctrl+C")
    if server.watcher:
        click.echo("Watching campaigns, locales and themes: a change rebuilds and reloads the open pages")
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl+C
    try:
        server.serve_forever()  # returns on Ctrl+C or SIGTERM (werkzeug swallows the interrupt)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    click.echo("stopped")
