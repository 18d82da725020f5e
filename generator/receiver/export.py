"""`optin ledger export`: the history of consent events as proof, one row per event, each
carrying the record it belongs to (fields named after ISO/IEC TS 27560 / Kantara CR) and its
link in the hash chain (`prev_hash`, `hash`; see proof.py). The CSV is safe to open in a
spreadsheet: no cell can start a formula, and control characters are removed."""
from __future__ import annotations

import csv
import io
import json
import re

from .ledger import Ledger
from .retention import contact_of, records_of

COLUMNS = ["event_id", "timestamp", "event", "purposes", "method", "locale", "record_id", "campaign",
           "controller", "jurisdiction", "phone", "email", "pii_categories", "notice_version",
           "notice_url", "wording_version", "collection_method", "language", "page_url",
           "client_timestamp", "record_created", "purpose_details", "prev_hash", "hash"]


def rows(ledger: Ledger, campaign: str | None = None, phone: str | None = None,
         email: str | None = None) -> list[dict]:
    out = []
    for row in ledger.history(campaign, phone, email):
        out.append({
            "event_id": row["event_id"], "timestamp": row["ts"], "event": row["event"],
            "purposes": json.loads(row["event_purposes"]), "method": row["event_method"],
            "locale": row["event_locale"], "record_id": row["record_id"], "campaign": row["campaign"],
            "controller": json.loads(row["controller"]), "jurisdiction": row["jurisdiction"],
            "phone": row["phone"], "email": row["email"],
            "pii_categories": json.loads(row["pii_categories"]), "notice_version": row["event_notice"],
            "notice_url": row["notice_url"], "wording_version": row["wording_version"],
            "collection_method": row["method"], "language": row["locale"], "page_url": row["page_url"],
            "client_timestamp": row["client_timestamp"], "record_created": row["created"],
            "purpose_details": json.loads(row["purposes"]),
            "prev_hash": row["prev_hash"], "hash": row["hash"],
        })
    return out


def as_jsonl(items: list[dict]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n" for item in items)


LIST_SEPARATOR = ";"  # purposes and pii_categories in CSV: ids and categories never contain it


# OWASP "CSV injection": a cell starting with one of these is a formula to a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe_cell(value) -> str:
    """A value as a CSV cell that stays text: control characters removed, and a leading
    single quote when it would start with = + - @ (or did with TAB or CR)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    cleaned = CONTROL.sub("", value)
    if value.startswith(FORMULA_START) or cleaned.startswith(FORMULA_START):
        return "'" + cleaned
    return cleaned


def as_csv(items: list[dict]) -> str:
    """One row per event; the lists `purposes` and `pii_categories` joined with ";" (split them
    back with .split(";")), other nested values (controller, purpose_details) as JSON; every
    text cell through safe_cell() (so a phone number reads '+4791234567)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow({k: safe_cell(LIST_SEPARATOR.join(v) if k in ("purposes", "pii_categories") else
                                      json.dumps(v, ensure_ascii=False, sort_keys=True)
                                      if isinstance(v, (dict, list)) else v)
                         for k, v in item.items()})
    return buf.getvalue()


def _parsed(row) -> dict:
    out = dict(row)
    for key in ("controller", "pii_categories", "purposes", "extra"):
        if isinstance(out.get(key), str):
            try:
                out[key] = json.loads(out[key])
            except ValueError:
                pass
    return out


def access(ledger: Ledger, contact: str) -> dict:
    """Everything the ledger holds about one person (Art. 15 GDPR): their records (found by the
    contact, or by its pseudonym after erasure), every event of those records, the messages sent
    to them and their confirmation tokens (digests left out: they identify nothing)."""
    kind, value = contact_of(contact)
    with ledger.reading() as db:
        records = records_of(db, ledger, value)
        ids = [r["record_id"] for r in records]
        marks = ", ".join("?" for _ in ids) or "NULL"
        events = db.execute(f"SELECT * FROM events WHERE record_id IN ({marks}) ORDER BY id", ids).fetchall()
        tokens = db.execute(f"SELECT record_id, campaign, purposes, expires, used FROM tokens"
                            f" WHERE record_id IN ({marks}) ORDER BY expires", ids).fetchall()
        recipients = {value} | {c for r in records for c in (r["phone"], r["email"]) if c}
        rmarks = ", ".join("?" for _ in recipients)
        outbox = db.execute(f"SELECT * FROM outbox WHERE recipient IN ({rmarks}) ORDER BY id",
                            sorted(recipients)).fetchall()
    return {"contact": value, "kind": kind, "contact_hmac": ledger.contact_hmac(value),
            "records": [_parsed(r) for r in records], "events": [_parsed(e) for e in events],
            "outbox": [dict(o) for o in outbox], "tokens": [_parsed(t) for t in tokens]}
