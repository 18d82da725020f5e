"""Browser rules of `optin check --browser`: every page opened in Chromium (Playwright, Debian's
chromium, one browser for the whole run) from a static server on 127.0.0.1.

Requests to the site go through; requests to the campaign's endpoints are answered with an
empty 204 (nothing leaves the machine); anything else is a `network` failure and is answered the
same way. CSP violations are collected from `securitypolicyviolation` events, so the page's own
policy is enforced exactly as in production (no bypass).
"""
from __future__ import annotations

import functools
import os
import shutil
import threading
from contextlib import contextmanager
from dataclasses import replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from generator.check.model import Failure, Site
from generator.check.registry import describe
from generator.errors import OptinError
from generator.urls import origin

RULES = {
    "axe": "axe-core reports no accessibility violations (WCAG 2.2 AA and best practices)",
    "console-error": "the page logs no console errors and throws no uncaught exceptions",
    "csp-violation": "the browser reports no Content-Security-Policy violation",
    "network": "the page requests nothing outside the site and the campaign's endpoints",
}
describe(RULES)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Runs before any page script (CDP init scripts are not subject to the page's CSP).
CSP_LISTENER = """
window.__optinCsp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__optinCsp.push({directive: e.effectiveDirective || e.violatedDirective,
    blocked: e.blockedURI || "", source: e.sourceFile || "", line: e.lineNumber || 0,
    sample: e.sample || ""});
});
"""
AXE_OPTIONS = {"resultTypes": ["violations"]}


def chromium_path() -> str:
    for candidate in (os.environ.get("OPTIN_CHROMIUM"), "/usr/lib/chromium/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    raise OptinError("--browser needs Chromium: install Debian's chromium (`apt-get install chromium`, "
                     "scripts/test.sh does it) or set OPTIN_CHROMIUM to its path")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serve(folder: Path):
    """The folder over http on 127.0.0.1 (a free port), for as long as the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _rel(url: str, base: str) -> str:
    return url[len(base) + 1:] if url.startswith(base + "/") else url


class _Session:
    """One browser page reused for every site page; listeners fill the per-page lists."""

    def __init__(self, context, base: str, site: Site):
        from axe_playwright_python.sync_playwright import Axe

        self.base, self.site, self.axe = base, site, Axe()
        self.allowed: set[str] = set()
        self.console: list[tuple[str, str]] = []
        self.foreign: list[str] = []
        context.route("**/*", self._route)
        context.add_init_script(CSP_LISTENER)
        self.page = context.new_page()
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.console.append((f"uncaught exception: {exc}", "")))

    def _route(self, route) -> None:
        url = route.request.url
        target = origin(url)
        if target == self.base:
            route.continue_()
            return
        if target not in self.allowed:
            self.foreign.append(url)
        route.fulfill(status=204, body="")

    def _on_console(self, message) -> None:
        if message.type != "error" or "Content Security Policy" in message.text:
            return  # CSP violations are reported from their events, with the directive
        loc = message.location or {}
        where = f"{_rel(loc.get('url', ''), self.base)}:{loc.get('lineNumber', 0)}" if loc.get("url") else ""
        self.console.append((message.text, where))

    def open(self, rel: str) -> str:
        url = f"{self.base}/{rel}"
        self.page.goto(url, wait_until="load")
        if self.page.url.split("#")[0] != url:  # the language picker redirects: stay on it
            self.page.goto(url + "#choose", wait_until="load")
        return url

    def check(self, rel: str) -> list[Failure]:
        page = self.site.page(rel)
        manifests = [page.manifest] if page is not None and page.manifest else list(self.site.campaigns.values())
        self.allowed = {origin(u) for m in manifests for u in m.get("endpoints", {}).values()}
        self.console, self.foreign = [], []
        self.open(rel)
        out = []
        for event in self.page.evaluate("window.__optinCsp || []"):
            where = f"{_rel(event['source'], self.base)}:{event['line']}" if event["source"] else ""
            blocked = event["blocked"] or "inline code"
            out.append(Failure(rel, "csp-violation", where,
                               f"{event['directive']} blocked {blocked}" + (f" ({event['sample'][:60]})" if event["sample"] else "")))
        out += [Failure(rel, "console-error", where, text[:300]) for text, where in self.console]
        out += [Failure(rel, "network", "", f"request to {url} (outside the site and the campaign's endpoints)")
                for url in dict.fromkeys(self.foreign)]
        for violation in self.axe.run(self.page, options=AXE_OPTIONS).response.get("violations", []):
            for node in violation.get("nodes", []):
                target = " ".join(str(t) for t in node.get("target", []))
                out.append(Failure(rel, "axe", target,
                                   f"{violation['id']} ({violation.get('impact')}): {violation.get('help')}"))
        return out


def check_pages(site: Site, files: list[str], progress=None) -> list[Failure]:
    """Open each page (site-relative paths) in one Chromium; return the browser rules' failures
    (`progress(done, total)` after each page).
    Runs in its own thread: Playwright's sync API refuses a thread with a running event loop
    (as in a pytest-playwright session)."""
    result: dict[str, object] = {}

    def work() -> None:
        try:
            result["failures"] = _check_pages(site, files, progress)
        except BaseException as exc:  # re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=work, name="optin-check-browser")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["failures"]


def _check_pages(site: Site, files: list[str], progress=None) -> list[Failure]:
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise OptinError("--browser needs Playwright and axe-playwright-python: "
                         "pip install -e '.[test]' (scripts/test.sh does it)") from None
    executable = chromium_path()
    failures: list[Failure] = []
    with serve(site.root) as base, sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            raise OptinError(f"--browser: cannot start Chromium at {executable}: {exc.message.splitlines()[0]}") from None
        try:
            session = _Session(browser.new_context(service_workers="block"), base, site)
            done: dict[tuple[str, str], list[Failure]] = {}  # (folder, source) -> its failures
            for count, rel in enumerate(files, 1):
                if progress:
                    progress(count, len(files))
                page = site.page(rel)
                key = (rel.rpartition("/")[0], page.source if page is not None else rel)
                if key in done:  # the same bytes in the same folder (a versioned notice): same result
                    failures += [replace(f, page=rel) for f in done[key]]
                    continue
                try:
                    done[key] = session.check(rel)
                except PlaywrightError as exc:
                    done[key] = [Failure(rel, "console-error", "", f"the page could not be opened: {exc.message.splitlines()[0]}")]
                failures += done[key]
        finally:
            browser.close()
    return failures
