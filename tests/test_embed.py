"""Embedding the signup form: `optin build` writes a copy-paste iframe per signup page and a
_headers file (Netlify / Cloudflare Pages) with each campaign's frame-ancestors, because
browsers ignore frame-ancestors in the pages' <meta> CSP. In Chromium, a page on another
127.0.0.1 port shows the form in the snippet's iframe when the campaign lists that origin, and
does not when it lists none (frame-ancestors 'none')."""
from __future__ import annotations

import functools
import re
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from support.projects import project as empty_project

from generator.check.tree import parse
from generator.errors import CampaignError
from generator.pipeline.build import build
from generator.site import embed


def make_project(root, base_url: str, origins: list[str] | None, height: int | None = None):
    from generator.campaign.starter import write_starter

    project = empty_project(root)
    path = write_starter("shop", project.campaigns_dir, project.root / "schema.json")
    text = path.read_text(encoding="utf-8").replace("# base_url: https://optin.example.com", f"base_url: {base_url}")
    if origins is not None:
        text += "embed:\n  origins: [" + ", ".join(origins) + "]\n" + (f"  height: {height}\n" if height else "")
    path.write_text(text, encoding="utf-8")
    return project


def header_rules(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """_headers as Netlify reads it: a path line, then indented `Name: value` lines."""
    rules: list[tuple[str, list[tuple[str, str]]]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            rules.append((line.strip(), []))
        else:
            name, _, value = line.strip().partition(":")
            rules[-1][1].append((name.strip(), value.strip()))
    return rules


def matches(pattern: str, path: str) -> bool:
    return path.startswith(pattern[:-1]) if pattern.endswith("*") else path == pattern


class _Handler(SimpleHTTPRequestHandler):
    rules: list = []  # noqa: RUF012 - set per server (a subclass each)

    def end_headers(self):
        for pattern, headers in self.rules:
            if matches(pattern, self.path.split("?")[0]):
                for name, value in headers:
                    self.send_header(name, value)
        super().end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def server(folder, with_headers: bool = True):
    """`folder` over http on 127.0.0.1, applying its _headers as a static host would."""
    handler = type("Handler", (_Handler,), {"rules": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd, handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_snippet_and_headers(tmp_path):
    project = make_project(tmp_path / "p", "https://optin.shop.example",
                           ["https://www.shop.example", "https://Blog.Shop.example:8443"], height=720)
    site = tmp_path / "site"
    build(project, None, site)
    [iframe] = parse((site / "shop/en" / embed.SNIPPET_FILE).read_text(encoding="utf-8")).iter("iframe")
    assert iframe.get("src") == "https://optin.shop.example/shop/en/"
    assert iframe.get("title") == "Messages from Example Shop: sign up"
    assert iframe.get("loading") == "lazy" and iframe.get("height") == "720" and iframe.get("lang") == "en"
    assert set(iframe.get("sandbox").split()) == {"allow-forms", "allow-scripts", "allow-same-origin",
                                                   "allow-popups", "allow-popups-to-escape-sandbox"}
    rules = dict(header_rules((site / "_headers").read_text(encoding="utf-8")))
    assert rules["/shop/*"] == [("Content-Security-Policy",
                                 "frame-ancestors https://www.shop.example https://blog.shop.example:8443")]
    assert ("X-Frame-Options", "DENY") in rules["/"] and ("X-Frame-Options", "DENY") in rules["/index.html"]
    page = (site / "shop/en/index.html").read_text(encoding="utf-8")
    assert "frame-ancestors" not in page  # ignored in <meta>: only the header carries it


def test_without_embed_no_site_may_frame_the_pages(tmp_path):
    project = make_project(tmp_path / "p", "https://optin.shop.example", None)
    build(project, None, tmp_path / "site")
    rules = dict(header_rules((tmp_path / "site/_headers").read_text(encoding="utf-8")))
    assert rules["/shop/*"] == [("Content-Security-Policy", "frame-ancestors 'none'"), ("X-Frame-Options", "DENY")]


@pytest.mark.parametrize("bad", ["https://www.shop.example/form", "http://www.shop.example", "*"])
def test_an_origin_must_be_an_origin(tmp_path, bad):
    project = make_project(tmp_path / "p", "https://optin.shop.example", [f'"{bad}"'])
    with pytest.raises(CampaignError) as raised:
        build(project, None, tmp_path / "site")
    assert re.search(r"shop\.yaml:\d+: embed\.origins", str(raised.value)), str(raised.value)


@pytest.mark.browser
@pytest.mark.parametrize("allowed", [True, False])
def test_another_origin_shows_the_form_only_when_allowed(tmp_path, page, allowed):
    site, host = tmp_path / "site", tmp_path / "host"
    site.mkdir()
    host.mkdir()
    with server(site) as (pages, handler), server(host) as (hosting, _):
        pages_url = f"http://127.0.0.1:{pages.server_address[1]}"
        host_url = f"http://127.0.0.1:{hosting.server_address[1]}"
        project = make_project(tmp_path / "p", pages_url, [host_url] if allowed else None)
        build(project, None, site)
        handler.rules = header_rules((site / "_headers").read_text(encoding="utf-8"))
        snippet = (site / "shop/en" / embed.SNIPPET_FILE).read_text(encoding="utf-8")
        (host / "index.html").write_text("<!DOCTYPE html><html lang=\"en\"><title>A shop</title>"
                                         f"<h1>Our shop</h1>{snippet}</html>", encoding="utf-8")
        refused = []
        page.on("console", lambda m: refused.append(m.text) if "frame-ancestors" in m.text else None)
        page.goto(f"{host_url}/index.html", wait_until="load")
        frame = page.frame_locator("iframe").first
        if allowed:
            frame.locator("#signup").wait_for(timeout=15_000)
            assert frame.locator("#signup button[type=submit]").is_visible()
            assert refused == []
        else:
            page.wait_for_timeout(500)
            [child] = [f for f in page.frames if f != page.main_frame]
            assert child.url.startswith("chrome-error://") or child.locator("#signup").count() == 0
            assert refused and "'none'" in refused[0]
