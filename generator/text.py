"""Plain text out of small HTML fragments (notices, labels, catalog strings), one definition."""
from __future__ import annotations

import html
import re

TAG = re.compile(r"<[^>]+>")


def strip_tags(fragment: str, sep: str = " ") -> str:
    """Tags replaced by `sep`, entities decoded; whitespace left as it is."""
    return html.unescape(TAG.sub(sep, fragment or ""))
