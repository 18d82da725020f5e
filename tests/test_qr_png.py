"""qr.png written by site/qr_png.py is byte for byte what segno's PNG writer gives (at the same
compression level)."""
from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.site import qr, qr_png


@settings(max_examples=60, deadline=None)
@given(url=st.text(alphabet="abcXYZ019/-._~:?=&%", min_size=1, max_size=400),
       scale=st.sampled_from([1, 3, qr.PNG_SCALE]), border=st.sampled_from([0, 1, 4]))
def test_same_bytes_as_segno(url, scale, border):
    code = qr.qr_code("https://" + url)
    buf = io.BytesIO()
    code.save(buf, kind="png", dark="#000", border=border, scale=scale, compresslevel=qr_png.COMPRESSION)
    assert qr_png.png(code.matrix, scale, border) == buf.getvalue()
