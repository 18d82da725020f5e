"""URL helpers shared by every stage."""
from __future__ import annotations

from urllib.parse import urlsplit


def origin(url: str) -> str:
    """'https://Api.Example.com:8443/x?y' -> 'https://api.example.com:8443' (RFC 6454: scheme and
    host lower-cased); '' for a URL without scheme or host."""
    parts = urlsplit((url or "").strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""
