"""Confirmation tokens (256 bits, in the link) and short codes (typed in by hand).

Only SHA-256 digests are stored, and a presented token or code is found by looking up the
SHA-256 of what was presented (an indexed SQL lookup). The lookup compares digests, never the
secret: how long it takes can depend at most on the digest of the attacker's own guess, which
they know already and which tells nothing about any stored token or code (finding an input
for a given digest is what SHA-256 makes infeasible). So no constant-time comparison is
needed, and none is pretended. Guessing codes is limited per client address instead
(ratelimit.Limits.wrong_codes).
"""
from __future__ import annotations

import hashlib
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
    """The SHA-256 hex digest stored for a token, and looked up when one is presented."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def code_digest(code: str) -> str:
    """The digest of a code as typed: normalised first, so a loose spelling finds the same row."""
    return digest("code:" + normalize_code(code))
