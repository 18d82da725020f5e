"""`optin serve`'s server: the site built with every form pointed at a local receiver, served
together with it (and a local outbox) on 127.0.0.1."""
from __future__ import annotations

import shutil
import socket
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from generator.pipeline.build import build
from generator.project import Project
from generator.campaign.model import Endpoints
from generator.errors import OptinError
from generator.receiver.app import Receiver, now_utc
from generator.receiver.ledger import Ledger
from generator.receiver.local import LocalSite
from generator.receiver.ratelimit import Limits

HOST = "127.0.0.1"


class _Server(ThreadedWSGIServer):
    daemon_threads = True


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

    def __init__(self, project: Project, paths: list[Path] | None = None, out_dir: Path | None = None, port: int = 0,
                 ledger: Path | None = None, token_hours: float = 48, limits: Limits | None = None,
                 clock=now_utc, on_message=None, log_requests: bool = False, senders=None):
        """`senders` (generator.receiver.senders.Senders) deliver the messages; by default
        every channel writes to the outbox, shown at /_outbox."""
        slot = _Slot()
        self._thread: threading.Thread | None = None
        self._tmp: Path | None = None
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((HOST, port))
            sock.listen(1024)  # a burst of sign-ups waits in the backlog instead of failing
            self.server = _Server(HOST, sock.getsockname()[1], slot, fd=sock.fileno(),
                                  handler=WSGIRequestHandler if log_requests else _QuietHandler)
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
            self.build = build(project, paths, self.site_dir,
                               endpoints=Endpoints(f"{api}/submit", f"{api}/confirm", f"{api}/withdraw"))
            self.ledger = Ledger.of_project(project, ledger)
        except BaseException:
            self.close()
            raise
        self.receiver = Receiver(self.build.campaigns, self.ledger, project.locales, site_url=self.url,
                                 token_ttl=timedelta(hours=token_hours), limits=limits, clock=clock,
                                 on_message=on_message, senders=senders)
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
