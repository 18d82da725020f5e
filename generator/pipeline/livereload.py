"""Live reload for `optin serve`: watch the inputs (campaign files, locales, themes, optin.toml),
rebuild on a change and tell the open pages to reload.

Only `optin serve` uses this: the HTML it serves gets one same-origin script
(/_livereload.js) and `'self'` in its meta CSP's connect-src, added while serving, so the
strict CSP holds (no inline code) and `optin build` output never contains either. The script
long-polls /_livereload; a failed rebuild keeps the last good site and the pages show the error.
"""
from __future__ import annotations

import html
import json
import re
import threading
from importlib import resources
from pathlib import Path

from markupsafe import Markup, escape
from werkzeug.wrappers import Request, Response

from generator.campaign.vocab import N_
from generator.i18n.catalogs import SOURCE_LANG

POLL_PATH = "/_livereload"
SCRIPT_PATH = "/_livereload.js"
POLL_SECONDS = 25.0  # a long poll answers at the latest after this (the script asks again)
# Shown above a failed rebuild's error on every open page (the error itself is the build's, in English).
FAILED_TITLE = N_("optin serve: the last rebuild failed; this page shows the last good build.")
CSP_META = re.compile(r"""(<meta\s+http-equiv=["']Content-Security-Policy["']\s+content=")([^"]*)(")""", re.IGNORECASE)
SCRIPT_TAG = Markup('<script src="{}" data-version="{}" defer></script>\n')


class Reloads:
    """Where the served site is: the version of the last good build and the last rebuild's
    error (empty after a success). Long polls wait here for either to change."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.version = 1
        self.error = ""
        self.errors = 0  # failed rebuilds so far: tells a poll a new error from the one it showed
        self.closed = False

    def succeeded(self) -> None:
        with self._changed:
            self.version += 1
            self.error = ""
            self._changed.notify_all()

    def failed(self, message: str) -> None:
        with self._changed:
            self.error = message
            self.errors += 1
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def wait(self, version: int, errors: int | None, timeout: float) -> dict:
        """The state as soon as it differs from what the page knows (`errors` None: at once)."""
        with self._changed:
            if errors is not None:
                self._changed.wait_for(lambda: self.closed or self.version != version or self.errors != errors,
                                       timeout)
            return {"version": self.version, "error": self.error, "errors": self.errors}


def _with_self(policy: str) -> str:
    """The policy with 'self' allowed in connect-src (the poll goes to the serving origin)."""
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    for i, directive in enumerate(directives):
        name, *sources = directive.split()
        if name.lower() == "connect-src":
            sources = [s for s in sources if s != "'none'"]
            directives[i] = " ".join([name, *(sources if "'self'" in sources else ["'self'", *sources])])
            break
    else:
        directives.append("connect-src 'self'")
    return "; ".join(directives)


def inject(page: str, version: int) -> str:
    """A served page with the reload script before </head> (after the CSP meta that governs it)."""
    page = CSP_META.sub(lambda m: m.group(1) + str(escape(_with_self(html.unescape(m.group(2))))) + m.group(3),
                        page, count=1)
    return page.replace("</head>", str(SCRIPT_TAG.format(SCRIPT_PATH, version)) + "</head>", 1)


class LiveReloadApp:
    """WSGI: /_livereload and /_livereload.js here, every other request to `app()` (the current
    site + receiver), HTML answers with the script injected."""

    def __init__(self, app, reloads: Reloads, translate):
        """`app()` returns the current WSGI app (it changes on each rebuild); `translate(lang,
        message)` translates the failure title."""
        self.app, self.reloads, self.translate = app, reloads, translate

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "/")
        if path == SCRIPT_PATH:
            script = resources.files("generator.pipeline").joinpath("livereload.js").read_bytes()
            response = Response(script, mimetype="text/javascript")
        elif path == POLL_PATH:
            response = self.poll(Request(environ))
        else:
            version = self.reloads.version  # before the file is read: a page never claims a newer build
            response = Response.from_app(self.app(), environ)
            if response.status_code == 200 and response.mimetype == "text/html" and environ.get("REQUEST_METHOD") == "GET":
                response.set_data(inject(response.get_data(as_text=True), version))
                for header in ("ETag", "Last-Modified"):
                    response.headers.pop(header, None)
        response.headers["Cache-Control"] = "no-store"
        return response(environ, start_response)

    def poll(self, request: Request) -> Response:
        def number(name: str) -> int | None:
            value = request.args.get(name, "")
            return int(value) if value.isdigit() else None

        timeout = min(number("timeout") or POLL_SECONDS, POLL_SECONDS)
        state = self.reloads.wait(number("version") or 0, number("errors"), timeout)
        if state["error"]:
            state["title"] = self.translate(request.args.get("lang", SOURCE_LANG), FAILED_TITLE)
        return Response(json.dumps(state, ensure_ascii=False), mimetype="application/json")


def _ignored(path: Path, ignore: list[Path]) -> bool:
    """Under an ignored folder or the build's staging folders beside it (.<name>.tmp-*,
    .<name>.old), or in a notice archive (<id>.notices/, written by builds)."""
    for folder in ignore:
        if path == folder or folder in path.parents:
            return True
        sibling = path.relative_to(folder.parent).parts[0] if folder.parent in path.parents else ""
        if sibling.startswith(f".{folder.name}.tmp-") or sibling == f".{folder.name}.old":
            return True
    return any(part.endswith(".notices") for part in path.parts)


class Watcher:
    """A thread running watchfiles over `folders`; `on_change(paths)` after each burst of changes
    (not for anything under `ignore`: the served site, the notice archives)."""

    def __init__(self, folders: list[Path], ignore: list[Path], on_change):
        from watchfiles import DefaultFilter

        self.folders = _outermost(folders)
        self.ignore = [p.resolve() for p in ignore]
        self.on_change = on_change
        self._stop = threading.Event()
        default = DefaultFilter()
        self._filter = lambda change, path: default(change, path) and not _ignored(Path(path), self.ignore)
        self._thread = threading.Thread(target=self._run, name="optin-serve-watch", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def _run(self) -> None:
        from watchfiles import watch

        for changes in watch(*self.folders, watch_filter=self._filter, stop_event=self._stop, debounce=300,
                             step=50, rust_timeout=500, raise_interrupt=False):
            paths = sorted({Path(p) for _, p in changes})
            self.on_change([p for p in paths if p.exists()] or paths)  # not an editor's temporary file

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)


def _outermost(folders: list[Path]) -> list[Path]:
    """Existing folders (or files), resolved, none inside another."""
    found = sorted({p.resolve() for p in folders if p.exists()}, key=lambda p: len(p.parts))
    out: list[Path] = []
    for path in found:
        if not any(path == o or o in path.parents for o in out):
            out.append(path)
    return out
