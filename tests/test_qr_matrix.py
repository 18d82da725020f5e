"""QR codes encoded by site/qr_matrix.py and drawn by site/qr.py are byte for byte segno's:
the same matrix (mask chosen by the same penalty scores), the same SVG, the same PNG, for
addresses of every length and texts in every encoding mode segno picks."""
from __future__ import annotations

import io
import string

import segno
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.site import qr, qr_matrix, qr_png

ALPHABETS = [string.digits, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 $%*+-./:",  # numeric, alphanumeric
             string.ascii_letters + string.digits + "/-._~:?=&%#", "æøåüß€ñ中"]  # byte: Latin-1, UTF-8
TEXT = st.sampled_from(ALPHABETS).flatmap(lambda a: st.text(alphabet=a, min_size=1, max_size=700))


def segno_files(text: str) -> tuple[dict[str, bytes], int]:
    code = qr.qr_code(text)
    svg = io.BytesIO()
    code.save(svg, kind="svg", scale=1, xmldecl=False, light="#fff", dark="#000", border=4)
    png = io.BytesIO()
    code.save(png, kind="png", dark="#000", border=4, scale=qr.PNG_SCALE, compresslevel=qr_png.COMPRESSION)
    return {qr.QR_SVG: svg.getvalue(), qr.QR_PNG: png.getvalue()}, code.symbol_size(border=4)[0]


@settings(max_examples=150, deadline=None)
@given(text=TEXT)
def test_the_matrix_is_segnos(text):
    code = segno.make(text, error="m", micro=False)
    matrix, version = qr_matrix.encode(text)
    assert version == code.version
    assert [bytes(row) for row in matrix] == [bytes(row) for row in code.matrix]


@settings(max_examples=25, deadline=None)
@given(text=TEXT)
def test_svg_and_png_are_segnos(text):
    assert qr.encoded(text) == segno_files(text)


def test_signup_addresses_of_many_campaigns():
    """The addresses a build encodes; several masks win among them (the scores decide)."""
    masks = set()
    for i in range(120):
        url = f"https://optin.shop{i % 7}.example/campaign-{i:04d}/{('nb', 'de', 'en', 'es', 'ms')[i % 5]}/"
        code = segno.make(url, error="m", micro=False)
        masks.add(code.mask)
        assert [bytes(r) for r in qr_matrix.encode(url)[0]] == [bytes(r) for r in code.matrix], url
        assert qr.svg(qr_matrix.encode(url)[0]) == segno_files(url)[0][qr.QR_SVG]
    assert len(masks) >= 5


def test_png_of_a_matrix_is_segnos():
    matrix, _ = qr_matrix.encode("https://optin.example/shop/nb/")
    assert qr_png.png(matrix, qr.PNG_SCALE, qr.BORDER) == segno_files("https://optin.example/shop/nb/")[0][qr.QR_PNG]
