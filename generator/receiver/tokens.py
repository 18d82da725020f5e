"""Confirmation tokens (256 bits, in the link) and short codes (typed in by hand).

Only digests are stored. A token is found by the SHA-256 of what was presented (an indexed
SQL lookup): the lookup compares digests, never the secret, and the time it takes can depend
at most on the digest of the caller's own guess, which tells nothing about any stored token.

A code is eight characters: the first three are its handle, which names one pending record
of the campaign (unique among the codes still open), the other five are the secret. A typed
code is checked only against the record its handle names, never against every pending code
of the campaign; that record counts the wrong tries (MAX_CODE_FAILURES, then the code is
dead), and a code lives CODE_TTL (the link keeps the receiver's token lifetime). Handle and
code are stored as HMAC-SHA256 digests keyed with the ledger key (never in the database), so
a copy of the database alone cannot be searched for the 40-bit codes offline.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import timedelta

from generator.site.messages import CODE_MINUTES

# Crockford base32: no I, L, O, U, so a code read aloud or typed is hard to get wrong.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
HANDLE_LENGTH = 3  # 32768 handles; the remaining 25 bits are the secret, with 5 tries per record
MAX_CODE_FAILURES = 5
CODE_TTL = timedelta(minutes=CODE_MINUTES)
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_HANDLE_TRIES = 20  # a free handle is found at once unless tens of thousands of codes are open


def new_token() -> str:
    """32 random bytes (256 bits), URL-safe."""
    return secrets.token_urlsafe(32)


def new_code(handle: str | None = None) -> str:
    """Eight characters shown as XXXX-XXXX; the first three are `handle` (random if None)."""
    handle = handle or "".join(secrets.choice(CODE_ALPHABET) for _ in range(HANDLE_LENGTH))
    raw = handle + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH - HANDLE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_code(text: str) -> str:
    """What the person typed -> canonical code: case, spaces, dashes and look-alikes ignored."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_TYPOS)
    return cleaned


def digest(value: str) -> str:
    """The SHA-256 hex digest stored for a token, and looked up when one is presented."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def keyed(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def code_digest(key: bytes, code: str) -> str:
    """The digest of a code as typed: normalised first, so a loose spelling finds the same row."""
    return keyed(key, "code:" + normalize_code(code))


def handle_digest(key: bytes, campaign: str, handle: str) -> str:
    return keyed(key, f"handle:{campaign}:{handle}")


def handle_of(code: str) -> str | None:
    """The handle of a typed code, or None when it cannot be a code at all."""
    cleaned = normalize_code(code)
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned[:HANDLE_LENGTH]


# -- the tokens table (inside a write transaction) ------------------------------------------
def issue(db, record, purposes: list[str], expires: str, code_expires: str, now: str) -> tuple[str, str]:
    """A new token and code for `purposes` of `record`, stored as digests; returns both in clear
    (they live only in memory, in the message about to be sent)."""
    key, campaign = db.key, record["campaign"]
    for _ in range(_HANDLE_TRIES):
        code = new_code()
        handle = handle_digest(key, campaign, handle_of(code))
        if not open_rows(db, campaign, handle, now):
            break
    token = new_token()
    db.execute("INSERT INTO tokens (token_hash, code_hash, campaign, record_id, purposes, expires, code_handle,"
               " code_expires, code_failures) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
               (digest(token), code_digest(key, code), campaign, record["record_id"], json.dumps(purposes),
                expires, handle, min(code_expires, expires)))
    return token, code


def open_rows(db, campaign: str, handle: str, now: str) -> list:
    """The rows of `handle` whose code can still be typed in."""
    return db.execute("SELECT * FROM tokens WHERE campaign = ? AND code_handle = ? AND used IS NULL"
                      " AND code_expires > ? AND code_failures < ?",
                      (campaign, handle, now, MAX_CODE_FAILURES)).fetchall()


def by_code(db, campaign: str, code: str, now: str) -> tuple[object | None, str]:
    """The token row a typed code names and why it cannot be used: (row, "") when it can,
    (row, "used" | "dead" | "expired") when the right code can no longer confirm, (None,
    "wrong") otherwise; a wrong code counts against the open codes of its handle."""
    handle = handle_of(code)
    if handle is None:
        return None, "wrong"
    handle = handle_digest(db.key, campaign, handle)
    typed = code_digest(db.key, code)
    rows = db.execute("SELECT * FROM tokens WHERE campaign = ? AND code_handle = ? ORDER BY expires DESC",
                      (campaign, handle)).fetchall()
    match = next((r for r in rows if hmac.compare_digest(r["code_hash"], typed)), None)
    if match is None:
        for row in open_rows(db, campaign, handle, now):
            db.execute("UPDATE tokens SET code_failures = code_failures + 1 WHERE token_hash = ?",
                       (row["token_hash"],))
        return None, "wrong"
    if match["used"]:
        return match, "used"
    if match["code_failures"] >= MAX_CODE_FAILURES:
        return match, "dead"
    if match["code_expires"] <= now:
        return match, "expired"
    return match, ""
