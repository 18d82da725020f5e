"""SMS length: how many segments a text takes, in GSM-7 or, failing that, UCS-2.

GSM 03.38 default alphabet: 160 septets in one message, 153 per part of a concatenated one
(the rest of each part is the concatenation header); a character of the extension table takes
two septets (an escape and the character), and the pair is never split across parts. A text
with any character outside both tables is sent as UCS-2: 70 UTF-16 code units in one message,
67 per part; a character outside the Basic Multilingual Plane (most emoji) takes two units,
which are never split either.
"""
from __future__ import annotations

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# The basic table (without the escape itself, 0x1B): Æ Ø Å æ ø å Ä Ö Ñ Ü ä ö ñ ü à é are in it.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}  # (one message, each part of a concatenated one)


def encoding(text: str) -> str:
    return GSM7 if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text) else UCS2


def _units(text: str, enc: str) -> list[int]:
    if enc == GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def segments(text: str) -> tuple[str, int]:
    """(encoding, number of segments) of `text`; an empty text still takes one."""
    enc = encoding(text)
    single, part = LIMITS[enc]
    units = _units(text, enc)
    if sum(units) <= single:
        return enc, 1
    count, used = 1, 0
    for size in units:
        if used + size > part:  # a two-unit character moves whole into the next part
            count, used = count + 1, 0
        used += size
    return enc, count


def non_gsm(text: str) -> list[str]:
    """The characters that force `text` into UCS-2, in order of appearance, once each."""
    return list(dict.fromkeys(ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION))
