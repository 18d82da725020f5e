"""URL helpers shared by every stage."""
from __future__ import annotations

from urllib.parse import urlsplit


def origin(url: str) -> str:
    """'https://Api.Example.com:8443/x?y' -> 'https://api.example.com:8443' (RFC 6454: scheme and
    host lower-cased); '' for a URL without scheme or host."""
    parts = urlsplit((url or "").strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def campaign_page(base: str, campaign_id: str, lang: str, page: str = "") -> str:
    """A page of a campaign's locale on the site at `base` ("" gives a path from the site root);
    no `page`: the locale's folder, whose index.html is the signup page."""
    return f"{base}/{campaign_id}/{lang}/{page}"


SCRIPT_SCHEMES = ("javascript", "vbscript")
UNSAFE_SCHEMES = (*SCRIPT_SCHEMES, "data")
_URL_JUNK = "".join(chr(c) for c in range(0x21)) + "\x7f"


def scheme(url: str) -> str:
    """The scheme of `url` as a browser reads it: leading C0 controls and spaces dropped, tabs
    and line breaks inside removed (so 'java\\tscript:' is javascript:), lower-cased; '' for a
    relative URL."""
    text = (url or "").lstrip(_URL_JUNK)
    text = text.replace("\t", "").replace("\n", "").replace("\r", "")
    head, colon, _ = text.partition(":")
    if not colon or not head or not head[0].isascii() or not head[0].isalpha():
        return ""
    return head.lower() if all(c.isascii() and (c.isalnum() or c in "+-.") for c in head) else ""


def unsafe_url(url: str) -> str:
    """'javascript', 'vbscript' or 'data' when following or loading `url` runs code or shows
    content of the author's choosing without an origin; '' otherwise."""
    found = scheme(url)
    return found if found in UNSAFE_SCHEMES else ""
