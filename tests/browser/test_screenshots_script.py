"""scripts/screenshots.py, run as a person runs it, for a subset (one campaign, one locale, both
themes, one width, both schemes, two pages): real PNGs of the full page at that width, named
<theme>/<campaign>-<lang>-<page>-<size>-<scheme>.png, and a contact sheet linking each."""
from __future__ import annotations

import html
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from support.projects import REPO, copy_examples

THEMES, SCHEMES, PAGES = ("default", "compact"), ("light", "dark"), ("signup", "privacy")


def png_info(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the decompressed pixel rows of a PNG (fails on anything else)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    pos, idat, kind = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    assert kind == b"IEND", f"{path.name} is cut off"
    return width, height, zlib.decompress(idat)


def test_screenshots_script_shoots_the_subset_it_is_asked_for(tmp_path):
    out = tmp_path / "shots"
    copy_examples(tmp_path / "campaigns")  # the project of cwd: a copy, never the repo's campaigns/
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "screenshots.py"), "--out", str(out),
                          "--campaign", "nordlys-sko", "--locale", "nb", "--theme", "default",
                          "--theme", "compact", "--size", "375", "--page", ",".join(PAGES)],
                         check=False, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    expected = {f"{theme}/nordlys-sko-nb-{page}-375-{scheme}.png"
                for theme in THEMES for page in PAGES for scheme in SCHEMES}
    written = {p.relative_to(out).as_posix() for p in out.rglob("*.png")}
    assert written == expected
    assert re.search(rf"wrote {len(expected)} screenshots to .* in \d+ s", run.stdout), run.stdout

    pixels = {}
    for name in sorted(expected):
        width, height, pixels[name] = png_info(out / name)
        assert width == 375, name
        assert height > 812, name  # the whole page, not the first screen
        assert len(set(pixels[name][::97])) > 16, f"{name} looks blank"
    # the theme and the scheme really change the page
    assert pixels["default/nordlys-sko-nb-signup-375-light.png"] != pixels["compact/nordlys-sko-nb-signup-375-light.png"]
    assert pixels["default/nordlys-sko-nb-signup-375-light.png"] != pixels["default/nordlys-sko-nb-signup-375-dark.png"]

    sheet = (out / "index.html").read_text(encoding="utf-8")
    sources = [html.unescape(s) for s in re.findall(r'<img src="([^"]+)"', sheet)]
    assert sorted(sources) == sorted(expected)
    # grouped by page: every signup shot comes before the first privacy one
    assert max(sheet.index(f'src="{n}"') for n in expected if "-signup-" in n) < \
        min(sheet.index(f'src="{n}"') for n in expected if "-privacy-" in n)
