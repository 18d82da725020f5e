"""WCAG 2.2 contrast checks for the campaign's brand colours (SC 1.4.3, 4.5:1 for text)."""
from __future__ import annotations

import re

from generator.errors import Problem

MIN_RATIO = 4.5
WHITE = "#ffffff"
HEX = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULTS = {"primary": "#0b5cad", "text": "#1b1b1b", "background": "#ffffff"}


def is_hex(value) -> bool:
    return isinstance(value, str) and HEX.fullmatch(value) is not None


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def problems(colours: dict[str, str], file: str, line, given=()) -> list[Problem]:
    """Pairs that appear on pages: body text, links, and white text on primary buttons. Each
    problem names the key to change (of `given`, the keys the campaign sets, the first in the
    pair) and its line (`line`: an int, or key -> line of brand.colors.<key>), foreground first."""
    pairs = [  # foreground, background, where the pair is seen, the keys one may change
        ("text", "background", "body text on the background", ("text", "background")),
        ("primary", "background", "links on the background", ("primary", "background")),
        (WHITE, "primary", "white button text on the primary colour", ("primary",)),
    ]
    out = []
    for fg, bg, what, keys in pairs:
        fg_hex = colours.get(fg, fg)
        bg_hex = colours.get(bg, bg)
        if not (is_hex(fg_hex) and is_hex(bg_hex)):
            continue  # a malformed colour is reported by the schema; no ratio to compute
        ratio = contrast(fg_hex, bg_hex)
        if ratio < MIN_RATIO:
            key = next((k for k in keys if k in given), keys[0])
            other = bg if key == fg else fg
            other = "white" if other == WHITE else f"colors.{other} ({colours.get(other)})"
            out.append(Problem(file, line(key) if callable(line) else line, f"brand.colors.{key}",
                               f"{what} has contrast {ratio:.2f}:1 ({fg_hex} on {bg_hex}); WCAG 2.2 AA needs {MIN_RATIO}:1",
                               f"pick a {key} colour with more contrast against {other}"))
    return out
