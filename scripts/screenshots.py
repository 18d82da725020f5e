"""Screenshots of the signup page of every locale of every campaign, mobile (375px) and desktop
(1280px), so a person can look at them: .venv/bin/python scripts/screenshots.py [--out screenshots/]

Builds the project's campaigns (the project of the current folder, as `optin build` finds it)
into a temporary folder, serves it on 127.0.0.1 and drives Debian's Chromium (never a downloaded
browser). Writes <out>/<campaign>-<locale>-<mobile|desktop>.png.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from generator.check.browser import CHROMIUM_ARGS, chromium_path, serve
from generator.errors import OptinError
from generator.pipeline.build import build
from generator.project import Project

SIZES = {"mobile": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("campaigns", nargs="*", type=Path,
                        help="campaign files or folders (default: the project's campaigns/)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: screenshots/ in the project)")
    parser.add_argument("--error-state", action="store_true",
                        help="also shoot each page after submitting with nothing ticked")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    project = Project.find()
    out = args.out or project.root / "screenshots"
    try:
        executable = chromium_path()
    except OptinError as exc:
        sys.exit(str(exc))
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        result = build(project, args.campaigns or None, site)
        with serve(site) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            for campaign in result.campaigns:
                for lang in campaign.locales:
                    for size, viewport in SIZES.items():
                        # the browser's language matches the page (date pickers, number formats)
                        context = browser.new_context(viewport=viewport, locale=lang, device_scale_factor=1)
                        page = context.new_page()
                        page.goto(f"{base}/{campaign.id}/{lang}/")
                        page.screenshot(path=str(out / f"{campaign.id}-{lang}-{size}.png"), full_page=True)
                        written += 1
                        if args.error_state:
                            page.click("#signup-submit")
                            page.locator("#form-error li").first.wait_for()
                            page.screenshot(path=str(out / f"{campaign.id}-{lang}-{size}-error.png"), full_page=True)
                            written += 1
                        context.close()
            browser.close()
    print(f"wrote {written} screenshots to {out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
