"""Confirmation tokens (256 bits, in the link) and short codes (typed in by hand).

Only SHA-256 digests are stored; a presented value is hashed and compared with
hmac.compare_digest, so neither the database nor timing reveals a usable token.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

# Crockford base32: no I, L, O, U, so a code read aloud or typed is hard to get wrong.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8  # 40 bits; guessing is further limited by the per-address rate limit
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_token() -> str:
    """32 random bytes (256 bits), URL-safe."""
    return secrets.token_urlsafe(32)


def new_code() -> str:
    """Eight characters shown as XXXX-XXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_code(text: str) -> str:
    """What the person typed -> canonical code: case, spaces, dashes and look-alikes ignored."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_TYPOS)
    return cleaned


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def code_digest(code: str) -> str:
    return digest("code:" + normalize_code(code))


def same(stored_digest: str, presented_digest: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(stored_digest.encode(), presented_digest.encode())
