"""`optin serve`'s server: the site built with every form pointed at a local receiver, served
together with it (and a local outbox) on 127.0.0.1; with `watch`, rebuilt on every change of
its inputs, the open pages reloading by themselves (livereload.py)."""
from __future__ import annotations

import dataclasses
import shutil
import socket
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from generator.pipeline import livereload
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
                 clock=now_utc, on_message=None, log_requests: bool = False, senders=None,
                 watch: bool = False, on_rebuild=None):
        """`senders` (generator.receiver.senders.Senders) deliver the messages; by default
        every channel writes to the outbox, shown at /_outbox. `watch`: rebuild when an input
        changes; `on_rebuild(result, error, changed)` is told each outcome (the CLI prints it)."""
        slot = self._slot = _Slot()
        self.watcher: livereload.Watcher | None = None
        self.reloads = livereload.Reloads()
        self._rebuilding = threading.Lock()
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
        self.project, self._paths = project, paths
        self._receiver_options = dict(token_ttl=timedelta(hours=token_hours), limits=limits, clock=clock,
                                      on_message=on_message, senders=senders,
                                      preview=True)  # the local outbox shows the messages as sent
        try:
            self.build = self._build(project)
            self.ledger = Ledger.of_project(project, ledger)
        except BaseException:
            self.close()
            raise
        self._serve(project)
        if watch:
            self.on_rebuild = on_rebuild or (lambda result, error, changed: None)
            slot.app = livereload.LiveReloadApp(lambda: self.site, self.reloads, self._translate)
            self.watcher = livereload.Watcher(self.watched(), [self.site_dir], self._changed).start()

    def _build(self, project: Project):
        api = f"{self.url}/api"
        return build(project, self._paths, self.site_dir,
                     endpoints=Endpoints(f"{api}/submit", f"{api}/confirm", f"{api}/withdraw"))

    def _serve(self, project: Project) -> None:
        """Site + receiver for the current build (the receiver keeps the ledger)."""
        self.receiver = Receiver(self.build.campaigns, self.ledger, project.locales, site_url=self.url,
                                 theme_dirs=project.theme_dirs, **self._receiver_options)
        for campaign in self.build.campaigns:  # the versions these pages show, not rendered again
            self.receiver.flows.versions.seed(campaign, self.build.versions[campaign.id])
        self.site = LocalSite(self.site_dir, self.receiver)
        if not isinstance(self._slot.app, livereload.LiveReloadApp):
            self._slot.app = self.site

    def watched(self) -> list[Path]:
        """The inputs: campaign files and their folders (logos, images), the project's locales
        and themes, optin.toml; the built-in ones too in a source checkout (not site-packages)."""
        p = self.project
        folders = [path if path.is_dir() else path.parent for path in (self._paths or [p.campaigns_dir])]
        folders = [f for f in folders if f.resolve() != p.root.resolve()] + [
            path for path in (self._paths or []) if path.is_file()]
        folders += [p.locales_dir, p.themes_dir, *([p.config_file] if p.config_file else [])]
        folders += [d for d in (p.builtin_locales_dir, p.builtin_themes_dir)
                    if not {"site-packages", "dist-packages"} & set(d.resolve().parts)]
        return folders

    def rebuild(self, changed: list[Path] | None = None):
        """Build again with a fresh project (optin.toml, catalogs and notices read anew); on
        success serve the new site, on failure keep the last good one. Returns the result or raises."""
        with self._rebuilding:
            p = self.project
            project = Project.load(p.config_file) if p.config_file else dataclasses.replace(p)
            self.build = self._build(project)
            self.project = project
            self._serve(project)
            self.reloads.succeeded()
            return self.build

    def _changed(self, changed: list[Path]) -> None:
        try:
            result = self.rebuild(changed)
        except OptinError as exc:
            self.reloads.failed(exc.format_message())
            self.on_rebuild(None, exc.format_message(), changed)
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the watcher; page and terminal show it
            self.reloads.failed(f"{type(exc).__name__}: {exc}")
            self.on_rebuild(None, f"{type(exc).__name__}: {exc}", changed)
        else:
            self.on_rebuild(result, None, changed)

    def _translate(self, lang: str, message: str) -> str:
        locales = self.project.locales
        return locales.translations(lang).gettext(message) if lang in locales.available() else message

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def start(self) -> "LocalServer":
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self.watcher:
            self.watcher.close()
        self.reloads.close()
        if self._thread:
            self.server.shutdown()
            self._thread.join(5)
        self.server.server_close()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
