"""Screenshots of the signup page of every locale of every campaign, mobile (375px) and desktop
(1280px), so a person can look at them: .venv/bin/python scripts/screenshots.py [--out screenshots/]

Builds the campaigns into a temporary folder, serves it on 127.0.0.1 and drives Debian's
Chromium (never a downloaded browser). Writes <out>/<campaign>-<locale>-<mobile|desktop>.png.
"""
from __future__ import annotations

import argparse
import functools
import shutil
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.build import build  # noqa: E402

SIZES = {"mobile": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}
CHROMIUM = ("/usr/lib/chromium/chromium", "chromium")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def chromium() -> str:
    for candidate in CHROMIUM:
        path = shutil.which(candidate) or (candidate if Path(candidate).exists() else None)
        if path:
            return path
    sys.exit("Debian's chromium is not installed: run scripts/test.sh (it installs it)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("campaigns", nargs="*", type=Path, default=[ROOT / "campaigns"],
                        help="campaign files or folders (default: campaigns/)")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots", help="output folder (default: screenshots/)")
    parser.add_argument("--error-state", action="store_true",
                        help="also shoot each page after submitting with nothing ticked")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        result = build(args.campaigns, site)
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        written = 0
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"])
                for campaign in result.campaigns:
                    for lang in campaign.locales:
                        for size, viewport in SIZES.items():
                            # the browser's language matches the page (date pickers, number formats)
                            context = browser.new_context(viewport=viewport, locale=lang, device_scale_factor=1)
                            page = context.new_page()
                            page.goto(f"{base}/{campaign.id}/{lang}/")
                            page.screenshot(path=str(args.out / f"{campaign.id}-{lang}-{size}.png"), full_page=True)
                            written += 1
                            if args.error_state:
                                page.click("#signup-submit")
                                page.locator("#form-error li").first.wait_for()
                                page.screenshot(path=str(args.out / f"{campaign.id}-{lang}-{size}-error.png"),
                                                full_page=True)
                                written += 1
                            context.close()
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    print(f"wrote {written} screenshots to {args.out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
