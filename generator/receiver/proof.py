"""Tamper evidence and pseudonymous proof for the consent ledger.

Hash chain: every event row carries `prev_hash` (the hash of the event before it; the first
event's is GENESIS, 64 zeros) and `hash` = SHA-256 of the canonical JSON (sorted keys, no
spaces, UTF-8) of the event's fields plus prev_hash. The `chain` table holds the head (the last
event's id and hash), so dropping events off the end shows too. `verify()` recomputes it all
and names the first event where the chain breaks: a changed, deleted or inserted event. When
the proof period of a record ends, purge replaces its events by tombstones (id, prev_hash,
hash): verify() checks their links and recomputes the hashes of the rest (see verify).

Contact pseudonyms: `records.contact_hmac` = HMAC-SHA256(key, normalised contact) for each
contact of the record (E.164 phone, lower-case email), comma-separated. It survives erasure,
so a person can still be matched to the proof of their consent without the ledger storing
who they are. The key is never in the database: it comes from the OPTIN_LEDGER_KEY variable,
else from the key file named in the settings ([receiver] key_file), else from `<ledger>.key`
next to an SQLite ledger, which is generated (32 random bytes, hex, file mode 0600) the first
time (a PostgreSQL ledger needs the variable or the key file).
Keep the key file apart from backups of the ledger, and never lose it: without it, erased
records can no longer be matched to a contact.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from generator.errors import OptinError

GENESIS = "0" * 64
EVENT_FIELDS = ("id", "ts", "record_id", "campaign", "event", "purposes", "notice_version", "locale", "method")
KEY_ENV = "OPTIN_LEDGER_KEY"


def canonical(fields: dict) -> bytes:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def event_hash(fields: dict, prev_hash: str) -> str:
    """`fields`: EVENT_FIELDS, with `purposes` as a list."""
    return hashlib.sha256(canonical({**{k: fields[k] for k in EVENT_FIELDS}, "prev_hash": prev_hash})).hexdigest()


# -- the key and the pseudonyms ---------------------------------------------------------------
def key_path(ledger_path: Path) -> Path:
    return ledger_path.with_name(ledger_path.name + ".key")


def load_key(ledger_path: Path | None, key_file: Path | str | None = None) -> tuple[bytes, str]:
    """(key, where it came from): OPTIN_LEDGER_KEY, else `key_file` (must exist), else
    `<ledger>.key`, created with mode 0600 when missing. A database ledger (no path) has no
    key file beside it: every machine writing it must be given the same key."""
    env = os.environ.get(KEY_ENV, "")
    if env.strip():
        return env.strip().encode("utf-8"), KEY_ENV
    if key_file:
        path = Path(key_file)
        if not path.is_file():
            raise OptinError(f"ledger key file {path} does not exist (set in [receiver] key_file)")
        return _read(path), str(path)
    if ledger_path is None:
        raise OptinError(f"a PostgreSQL ledger needs its contact key: set {KEY_ENV} or [receiver] key_file"
                         " (the same key on every machine that writes the ledger)")
    path = key_path(Path(ledger_path))
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return _read(path), str(path)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
    return _read(path), str(path)


def _read(path: Path) -> bytes:
    key = path.read_bytes().strip()
    if not key:
        raise OptinError(f"ledger key file {path} is empty")
    return key


def hmac_of(key: bytes, contact: str) -> str:
    """`contact` already normalised (contacts.phone_e164 / email_normal)."""
    return hmac.new(key, contact.encode("utf-8"), hashlib.sha256).hexdigest()


def contact_hmac(key: bytes, phone: str | None, email: str | None) -> str:
    return ",".join(hmac_of(key, c) for c in (phone, email) if c)


# -- verification -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    ok: bool
    events: int
    broken: int | None = None  # id of the first event where the chain breaks
    reason: str = ""
    pruned: int = 0  # tombstones: events whose proof period ended, linked by their stored hashes

    def __str__(self) -> str:
        if self.ok:
            pruned = f", {self.pruned} pruned (linked by their stored hashes)" if self.pruned else ""
            return f"OK: {self.events} events{pruned}, hash chain intact"
        return f"broken at event {self.broken}: {self.reason}"


def _chain(rows: list, tombs: list):
    """Events and tombstones in id order: (id, row, is_tombstone); a shared id is yielded twice."""
    i = j = 0
    while i < len(rows) or j < len(tombs):
        if j >= len(tombs) or (i < len(rows) and rows[i]["id"] <= tombs[j]["id"]):
            yield rows[i]["id"], rows[i], False
            i += 1
        else:
            yield tombs[j]["id"], tombs[j], True
            j += 1


def verify(ledger) -> Verdict:
    """Recompute the chain of `ledger` (a Ledger) and report the first broken link.

    A pruned event (its proof period over, retention.purge) survives as a tombstone: its id,
    prev_hash and hash. Its content is gone, so its own hash cannot be recomputed, but the links
    still are: the tombstone's prev_hash must be the hash before it, and the next event's
    prev_hash its hash, which that event's own recomputed hash covers. So a changed, deleted or
    inserted event still breaks the chain where it happened, pruned neighbours or not."""
    with ledger.reading() as db:
        rows = db.execute("SELECT * FROM events ORDER BY id").fetchall()
        tombs = db.execute("SELECT id, prev_hash, hash FROM pruned_events ORDER BY id").fetchall()
        head = db.execute("SELECT head_id, head_hash FROM chain").fetchone()
    prev, last_id = GENESIS, None
    for event_id, row, pruned in _chain(rows, tombs):
        count = (len(rows), len(tombs))
        if event_id == last_id:
            return Verdict(False, count[0], event_id, "an event and a tombstone share this id", count[1])
        last_id = event_id
        if head is not None and event_id > head["head_id"]:
            return Verdict(False, count[0], event_id, "inserted after the chain's recorded head", count[1])
        if row["prev_hash"] != prev:
            return Verdict(False, count[0], event_id, "prev_hash does not match the event before it"
                           " (an event was deleted or inserted here)", count[1])
        if not pruned:
            try:
                fields = {**{k: row[k] for k in EVENT_FIELDS}, "purposes": json.loads(row["purposes"])}
            except ValueError:
                return Verdict(False, count[0], event_id, "purposes are not JSON (changed)", count[1])
            if event_hash(fields, prev) != row["hash"]:
                return Verdict(False, count[0], event_id, "hash does not match the event's fields (changed)",
                               count[1])
        prev = row["hash"]
    if head is None:
        return Verdict(False, len(rows), None, "the chain head is missing", len(tombs))
    if head["head_hash"] != prev:
        return Verdict(False, len(rows), head["head_id"], "the chain's last events are missing (deleted)", len(tombs))
    return Verdict(True, len(rows), pruned=len(tombs))
