"""qr.png without segno's PNG writer (pure Python per pixel; about a third of a campaign's
build time): the same bytes, written a row at a time. Dark modules black on white, 1 bit per
pixel, scanlines repeated with PNG's "Up" filter, as segno writes them, at zlib level 6 (segno's
compresslevel=6): level 9 costs four times as long for 7 % fewer bytes of a 600-byte image."""
from __future__ import annotations

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
COMPRESSION = 6
LETTERS = bytes.maketrans(b"\x00\x01", b"ld")  # light, dark


def _chunk(name: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + name + data + struct.pack(">I", zlib.crc32(name + data))


def _packed(bits: str) -> bytes:
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def png(matrix, scale: int, border: int) -> bytes:
    """The PNG of a QR code's module matrix (rows of 0 light / 1 dark), `scale` pixels per module."""
    width, height = (len(matrix[0]) + 2 * border) * scale, (len(matrix) + 2 * border) * scale
    pad = "0" * (-width % 8)
    light_line = b"\0" + _packed("1" * width + pad)
    quiet = light_line * (border * scale)
    same_as_above = (b"\2" + bytes(len(light_line) - 1)) * (scale - 1)
    edge, light, dark = "1" * (border * scale), "1" * scale, "0" * scale
    idat = bytearray(quiet)
    for row in matrix:  # a module per letter, then each letter widened to its pixels (C loops, not Python's)
        pixels = bytes(row).translate(LETTERS).decode("ascii").replace("l", light).replace("d", dark)
        idat += b"\0" + _packed(edge + pixels + edge + pad)
        idat += same_as_above
    idat += quiet
    return (SIGNATURE + _chunk(b"IHDR", struct.pack(">2I5B", width, height, 1, 0, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(bytes(idat), COMPRESSION)) + _chunk(b"IEND", b""))
