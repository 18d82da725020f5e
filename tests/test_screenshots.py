"""scripts/screenshots.py, run as a person runs it, for one campaign: a real PNG of the signup
page per locale, mobile (375px) and desktop (1280px)."""
from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

from support.projects import REPO, copy_examples

SIZES = {"mobile": 375, "desktop": 1280}


def png_info(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the decompressed pixel rows of a PNG (fails on anything else)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    assert kind == b"IEND", f"{path.name} is cut off"
    return width, height, zlib.decompress(idat)


def test_screenshots_script_writes_a_png_per_locale_and_size(tmp_path):
    out = tmp_path / "shots"
    campaigns = copy_examples(tmp_path / "campaigns")  # building writes notice archives next to them
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "screenshots.py"),
                          str(campaigns / "kedai-harmoni.yaml"), "--out", str(out)],
                         capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    locales = ("ms", "en", "nb", "de", "es")  # kedai-harmoni.yaml
    expected = {f"kedai-harmoni-{lang}-{size}.png" for lang in locales for size in SIZES}
    assert {p.name for p in out.iterdir()} == expected
    assert f"wrote {len(expected)} screenshots" in run.stdout
    for name in sorted(expected):
        width, height, pixels = png_info(out / name)
        assert width == SIZES[name.rsplit("-", 1)[1][:-4]], name
        assert height >= 800, name  # the whole page, not a strip
        assert len(set(pixels[::97])) > 16, f"{name} looks blank"
