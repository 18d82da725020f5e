"""`optin serve` (build the site and run it with the reference receiver on 127.0.0.1) and
`optin ledger export` (proof of consent from the SQLite ledger)."""
from __future__ import annotations

import logging
import shutil
import signal
import socket
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

import click
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from . import CAMPAIGNS_DIR
from .build import build
from .campaign import Endpoints
from .errors import OptinError
from .receiver import export as ledger_export
from .receiver.app import Receiver, now_utc
from .receiver.contacts import contact_key
from .receiver.flows import iso
from .receiver.ledger import Ledger, expire_stale
from .receiver.local import LocalSite
from .receiver.ratelimit import Limits

HOST = "127.0.0.1"
DEFAULT_LEDGER = Path("optin-ledger.sqlite")


class _Server(ThreadedWSGIServer):
    daemon_threads = True


class _LoggingHandler(WSGIRequestHandler):
    pass


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # the outbox is what a marketer wants to see
        pass


class _Slot:
    """The WSGI app is known only after the build, which needs the port: bind first."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


class LocalServer:
    """Build `paths` with every form pointed at this server, then serve site + receiver.
    `start()` runs it in a thread (tests); `serve_forever()` blocks (the CLI)."""

    def __init__(self, paths: list[Path], out_dir: Path | None = None, port: int = 0,
                 ledger: Path = DEFAULT_LEDGER, token_hours: float = 48, limits: Limits | None = None,
                 clock=now_utc, on_message=None, log_requests: bool = False):
        slot = _Slot()
        self._thread: threading.Thread | None = None
        self._tmp: Path | None = None
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((HOST, port))
            sock.listen(1024)  # a burst of sign-ups waits in the backlog instead of failing
            self.server = _Server(HOST, sock.getsockname()[1], slot, fd=sock.fileno(),
                                  handler=_LoggingHandler if log_requests else _QuietHandler)
        except OSError as exc:
            raise OptinError(f"cannot listen on {HOST}:{port}: {exc.strerror} (try another --port, "
                             "or 0 for any free one)") from None
        finally:
            sock.close()  # the server holds its own duplicate
        self.url = f"http://{HOST}:{self.server.server_address[1]}"
        self._tmp = None if out_dir else Path(tempfile.mkdtemp(prefix="optin-serve-"))
        self.site_dir = Path(out_dir or self._tmp / "site")
        api = f"{self.url}/api"
        try:
            self.build = build(paths, self.site_dir,
                               endpoints=Endpoints(f"{api}/submit", f"{api}/confirm", f"{api}/withdraw"))
            self.ledger = Ledger(ledger)
        except BaseException:
            self.close()
            raise
        self.receiver = Receiver(self.build.campaigns, self.ledger, site_url=self.url,
                                 token_ttl=timedelta(hours=token_hours), limits=limits, clock=clock,
                                 on_message=on_message)
        slot.app = LocalSite(self.site_dir, self.receiver)

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def start(self) -> "LocalServer":
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread:
            self.server.shutdown()
            self._thread.join(5)
        self.server.server_close()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _print_message(message) -> None:
    click.echo(click.style(f"\n--- outbox: {message.channel} to {message.recipient} "
                           f"({message.campaign}, {message.locale}) ---", bold=True))
    click.echo(message.body)


@click.command()
@click.argument("campaigns", nargs=-1, type=click.Path(path_type=Path))
@click.option("--port", default=8000, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--ledger", "ledger_path", type=click.Path(path_type=Path), default=DEFAULT_LEDGER,
              show_default=True, help="SQLite consent ledger (created if missing, kept across runs).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Build the local site here (default: a temporary folder; never site/).")
@click.option("--token-hours", default=48.0, show_default=True, type=click.FloatRange(min=0.01),
              help="How long confirmation links and codes stay valid.")
@click.option("--verbose", is_flag=True, help="Log every HTTP request.")
def serve(campaigns: tuple[Path, ...], port: int, ledger_path: Path, out_dir: Path | None,
          token_hours: float, verbose: bool) -> None:
    """Build CAMPAIGNS and try the whole opt-in flow locally: site, receiver and outbox on 127.0.0.1."""
    logging.getLogger("werkzeug").setLevel(logging.INFO if verbose else logging.WARNING)
    server = LocalServer(list(campaigns) or [CAMPAIGNS_DIR], out_dir, port, ledger_path, token_hours,
                         on_message=_print_message, log_requests=verbose)
    for warning in server.build.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Serving {len(server.build.campaigns)} campaign(s) at {server.url}/")
    for campaign in server.build.campaigns:
        click.echo(f"  {server.url}/{campaign.id}/")
    click.echo(f"Outbox: {server.url}/_outbox   Ledger: {ledger_path}   Stop: Ctrl+C")
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl+C
    try:
        server.serve_forever()  # returns on Ctrl+C or SIGTERM (werkzeug swallows the interrupt)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    click.echo("stopped")


@click.group()
def ledger() -> None:
    """Read the consent ledger written by the receiver."""


@ledger.command("export")
@click.option("--ledger", "ledger_path", type=click.Path(path_type=Path), default=DEFAULT_LEDGER,
              show_default=True, help="SQLite consent ledger.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--campaign", help="Only this campaign id.")
@click.option("--contact", help="Only this phone number (E.164, e.g. +4791234567) or email address.")
def export(ledger_path: Path, fmt: str, campaign: str | None, contact: str | None) -> None:
    """Print every consent event (requested, given, refused, withdrawn, expired) as proof."""
    if not ledger_path.is_file():
        raise OptinError(f"no ledger at {ledger_path} (run `optin serve` first, or pass --ledger)")
    phone = email = None
    if contact:
        key = contact_key(contact)
        if key is None:
            raise OptinError(f"--contact {contact!r} is neither an email address nor a phone number "
                             "with country code (+47…)")
        phone, email = (key[1], None) if key[0] == "phone" else (None, key[1])
    store = Ledger(ledger_path)
    with store.transaction() as db:  # record tokens that ran out since the receiver last looked
        expire_stale(db, iso(now_utc()))
    items = ledger_export.rows(store, campaign, phone, email)
    click.echo(ledger_export.as_jsonl(items) if fmt == "jsonl" else ledger_export.as_csv(items), nl=False)
