"""`optin ledger export`: the history of consent events as proof, one row per event, each
carrying the record it belongs to (fields named after ISO/IEC TS 27560 / Kantara CR)."""
from __future__ import annotations

import csv
import io
import json

from .ledger import Ledger

COLUMNS = ["event_id", "timestamp", "event", "purposes", "method", "locale", "record_id", "campaign",
           "controller", "jurisdiction", "phone", "email", "pii_categories", "notice_version",
           "notice_url", "wording_version", "collection_method", "language", "page_url",
           "client_timestamp", "record_created", "purpose_details"]


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
        })
    return out


def as_jsonl(items: list[dict]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n" for item in items)


LIST_SEPARATOR = ";"  # purposes and pii_categories in CSV: ids and categories never contain it


def as_csv(items: list[dict]) -> str:
    """One row per event; the lists `purposes` and `pii_categories` joined with ";" (split them
    back with .split(";")), other nested values (controller, purpose_details) as JSON."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow({k: (LIST_SEPARATOR.join(v) if k in ("purposes", "pii_categories") else
                             json.dumps(v, ensure_ascii=False, sort_keys=True) if isinstance(v, (dict, list)) else
                             "" if v is None else v)
                         for k, v in item.items()})
    return buf.getvalue()
