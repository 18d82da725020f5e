"""Screenshots of every page type of every locale of every campaign, in every theme, at 375 and
1280 px, light and dark, for a person to look through: .venv/bin/python scripts/screenshots.py

Builds the project's campaigns (the project of the current folder, as `optin build` finds it)
once per theme into a temporary folder (the theme is the project's default_theme for this run
only; no file of the project changes), serves them on 127.0.0.1 and drives Debian's Chromium
(never a downloaded browser). A campaign naming its own `theme:` is shot in that theme only.

Writes <out>/<theme>/<campaign>-<lang>-<page>-<size>-<scheme>.png and <out>/index.html, a
contact sheet of this run's screenshots grouped by page (a local file, never published). The
pages that are not per locale use `all`: <campaign>-all-picker-… (the language picker, shot
without JavaScript, which would leave it for the browser's language) and _project-all-index-….
Narrow with --campaign, --locale, --theme, --size, --scheme and --page (repeatable or comma lists).
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from generator.check.browser import CHROMIUM_ARGS, chromium_path, serve
from generator.errors import OptinError
from generator.pipeline.build import build
from generator.project import Project

SIZES = {"375": {"width": 375, "height": 812}, "1280": {"width": 1280, "height": 900}}
SCHEMES = ("light", "dark")
# page -> (file in <campaign>/<lang>/, what to do once loaded): None, "submit" (the signup form
# sent with nothing ticked) or a "#state" of the confirm/withdraw page. The states are shown from
# the address (flow.js does so on load, as after a redirect), so no receiver is needed.
PAGES = {
    "signup": ("index.html", None),
    "signup-error": ("index.html", "submit"),
    "privacy": ("privacy.html", None),
    "thanks": ("thanks.html", None),
    "confirm": ("confirm.html", None),
    "confirm-wrong_code": ("confirm.html", "#wrong_code"),
    "confirm-expired_token": ("confirm.html", "#expired_token"),
    "confirm-confirmed": ("confirm.html", "#confirmed"),
    "withdraw": ("withdraw.html", None),
    "withdraw-invalid_phone": ("withdraw.html", "#invalid_phone"),
    "withdraw-withdrawn": ("withdraw.html", "#withdrawn"),
    "poster": ("poster.html", None),
}
SITE_PAGES = ("picker", "index")  # not per locale: file names use `all` as the locale
PROJECT = "_project"  # the "campaign" of the project index (no campaign id starts with "_")
TIMEOUT_MS = 15_000  # any single wait; a page that takes longer is reported, not waited for

SHEET = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Screenshots: {{ count }}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1rem; }
.shots { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; width: 190px; }
img { width: 190px; height: 300px; object-fit: cover; object-position: top; border: 1px solid #999; }
figcaption { font-size: 12px; overflow-wrap: anywhere; }
</style>
</head>
<body>
<h1>{{ count }} screenshots</h1>
<p>Click a thumbnail for the whole page. Pages:
{% for page in groups %}<a href="#page-{{ page }}">{{ page }}</a>{% if not loop.last %} · {% endif %}{% endfor %}</p>
{% for page, shots in groups.items() %}
<section id="page-{{ page }}">
<h2>{{ page }} ({{ shots | length }})</h2>
<div class="shots">
{% for shot in shots %}
<figure><a href="{{ shot.path }}"><img src="{{ shot.path }}" alt="{{ shot.caption }}" loading="lazy"></a>
<figcaption>{{ shot.caption }}</figcaption></figure>
{% endfor %}
</div>
</section>
{% endfor %}
</body>
</html>
"""


@dataclasses.dataclass(frozen=True)
class Shot:
    theme: str
    campaign: str
    lang: str
    page: str
    size: str
    scheme: str

    @property
    def path(self) -> str:
        """Relative to the output folder (and to the contact sheet in it)."""
        return f"{self.theme}/{self.campaign}-{self.lang}-{self.page}-{self.size}-{self.scheme}.png"

    @property
    def caption(self) -> str:
        return f"{self.theme} · {self.campaign} · {self.lang} · {self.size} px · {self.scheme}"


def listed(values: list[str] | None) -> list[str]:
    """Repeated options and comma lists, flattened: ["a,b", "c"] -> ["a", "b", "c"]."""
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def choose(parser, name: str, given: list[str], known) -> list[str]:
    """The values of option `name` (all `known` ones when not given), in the known order."""
    wrong = [v for v in given if v not in known]
    if wrong:
        parser.error(f"--{name}: unknown {', '.join(wrong)} (choose from {', '.join(known)})")
    return [k for k in known if k in given] if given else list(known)


def theme_names(project: Project) -> list[str]:
    """Every theme the project can use: its own and the built-in ones, default first."""
    names = {d.name for folder in project.theme_dirs if folder.is_dir() for d in folder.iterdir()
             if (d / "templates").is_dir() or (d / "theme.toml").is_file()}
    return sorted(names, key=lambda n: (n != "default", n))


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("campaigns", nargs="*", type=Path,
                        help="campaign files or folders (default: the project's campaigns/)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: screenshots/ in the project)")
    for name, what in [("campaign", "campaign ids"), ("locale", "locales (`all`: the picker and index)"),
                       ("theme", "themes"), ("size", f"widths: {', '.join(SIZES)}"),
                       ("scheme", f"colour schemes: {', '.join(SCHEMES)}"),
                       ("page", f"pages: {', '.join([*PAGES, *SITE_PAGES])}")]:
        parser.add_argument(f"--{name}", action="append", metavar="A,B", help=f"only these {what} (default: all)")
    args = parser.parse_args(argv)
    args.project = Project.find()
    args.campaign, args.locale = listed(args.campaign), listed(args.locale)
    args.theme = choose(parser, "theme", listed(args.theme), theme_names(args.project))
    args.size = choose(parser, "size", listed(args.size), list(SIZES))
    args.scheme = choose(parser, "scheme", listed(args.scheme), SCHEMES)
    args.page = choose(parser, "page", listed(args.page), [*PAGES, *SITE_PAGES])
    return args


def build_themes(args, tmp: Path) -> dict[str, list]:
    """theme -> the campaigns built in it (a campaign naming another theme is left out)."""
    paths = list(args.campaigns) + [args.project.campaign_file(c) for c in args.campaign]
    built = {}
    for theme in args.theme:
        settings = {**args.project.settings, "default_theme": theme}
        project = dataclasses.replace(args.project, settings=settings)
        result = build(project, paths or None, tmp / theme, cache=False)
        campaigns = [c for c in result.campaigns if not args.campaign or c.id in args.campaign]
        for campaign in campaigns:
            if campaign.theme != theme:
                print(f"note: {campaign.id} names theme {campaign.theme!r}: not shot in {theme!r}")
        built[theme] = [c for c in campaigns if c.theme == theme]
    return built


def load(page, url: str, action: str | None) -> None:
    """Open `url` and bring it into the state `action` names (see PAGES)."""
    if action and action.startswith("#"):
        page.goto("about:blank")  # a fresh load: the state comes from the address, as after a redirect
        page.goto(url + action)
        page.locator(action).wait_for(state="visible")
    else:
        page.goto(url)
        if action == "submit":
            page.click("#signup-submit")
            page.locator("#form-error li").first.wait_for()


class Camera:
    """Writes the screenshots and keeps what it wrote (and what failed) for the summary."""

    def __init__(self, out: Path):
        self.out, self.shots, self.failed = out, [], []

    def take(self, page, shot: Shot, url: str, action: str | None = None) -> None:
        from playwright.sync_api import Error

        try:
            load(page, url, action)
            target = self.out / shot.path
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target), full_page=True, animations="disabled")
            self.shots.append(shot)
        except Error as exc:
            self.failed.append(shot)
            print(f"failed: {shot.path}: {str(exc).splitlines()[0]}", file=sys.stderr)


def new_page(browser, size: str, scheme: str, **options):
    context = browser.new_context(viewport=SIZES[size], color_scheme=scheme, device_scale_factor=1, **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context, context.new_page()


def shoot_all(args, browser, bases: dict[str, str], built: dict[str, list], camera: Camera) -> None:
    pages = [p for p in args.page if p in PAGES]
    site_pages = [p for p in args.page if p in SITE_PAGES] if not args.locale or "all" in args.locale else []
    every_lang = list(dict.fromkeys(lang for cs in built.values() for c in cs for lang in c.locales))
    langs = [lang for lang in every_lang if not args.locale or lang in args.locale]
    for size in args.size:
        for scheme in args.scheme:
            if site_pages:
                context, page = new_page(browser, size, scheme, java_script_enabled=False)
                for theme, base in bases.items():
                    if "index" in site_pages and built[theme]:
                        camera.take(page, Shot(theme, PROJECT, "all", "index", size, scheme), f"{base}/")
                    for campaign in built[theme] if "picker" in site_pages else []:
                        camera.take(page, Shot(theme, campaign.id, "all", "picker", size, scheme),
                                    f"{base}/{campaign.id}/")
                context.close()
            for lang in langs:
                # the browser's language matches the page (date pickers, number formats)
                context, page = new_page(browser, size, scheme, locale=lang)
                for theme, base in bases.items():
                    for campaign in [c for c in built[theme] if lang in c.locales]:
                        for name in pages:
                            file, action = PAGES[name]
                            camera.take(page, Shot(theme, campaign.id, lang, name, size, scheme),
                                        f"{base}/{campaign.id}/{lang}/{file}", action)
                context.close()


def write_sheet(out: Path, shots: list[Shot]) -> Path:
    """<out>/index.html: every screenshot of this run, grouped by page in PAGES order, then in
    the order they were taken per field (default theme first, 375 before 1280, light first)."""
    from jinja2 import Environment

    fields = [f.name for f in dataclasses.fields(Shot)]
    order = {name: list(dict.fromkeys(getattr(s, name) for s in shots)) for name in fields}
    order["page"] = [*PAGES, *SITE_PAGES]
    groups: dict[str, list[Shot]] = {}
    for shot in sorted(shots, key=lambda s: [order["page"].index(s.page)] + [order[n].index(getattr(s, n)) for n in fields]):
        groups.setdefault(shot.page, []).append(shot)
    sheet = out / "index.html"
    html = Environment(autoescape=True).from_string(SHEET).render(count=len(shots), groups=groups)
    sheet.write_text(html, encoding="utf-8")
    return sheet


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    out = args.out or args.project.root / "screenshots"
    try:
        executable = chromium_path()
    except OptinError as exc:
        sys.exit(str(exc))
    out.mkdir(parents=True, exist_ok=True)
    camera = Camera(out)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            built = build_themes(args, Path(tmp))
        except OptinError as exc:
            sys.exit(str(exc))
        with ExitStack() as stack, sync_playwright() as p:
            bases = {theme: stack.enter_context(serve(Path(tmp) / theme)) for theme in built}
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                shoot_all(args, browser, bases, built, camera)
            finally:
                browser.close()
    sheet = write_sheet(out, camera.shots)
    failed = f", {len(camera.failed)} failed" if camera.failed else ""
    print(f"wrote {len(camera.shots)} screenshots{failed} to {out}/ in {time.monotonic() - started:.0f} s "
          f"(contact sheet: {sheet})")
    return 1 if camera.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
