"""Rectification (GDPR Art. 16): a person's contact in the ledger is wrong or has changed, OLD
is to be replaced by NEW.

Consent is never moved: a number or address proves nothing until its owner has confirmed it
by double opt-in. So rectify() refuses (RectifyRefused) unless NEW already holds a confirmed
(`given`) consent for every purpose OLD still holds, campaign by campaign. When it does, one
transaction appends a `rectified` event to each of OLD's records with active purposes (its
method names NEW's records: `rectify:<record_id>,…`), then erases OLD exactly as `optin ledger
erase` does (retention._erase_record: contact blanked, pending tokens and messages deleted, an
`erased` event with method `erase:rectified:<reason>`). What stays is the proof of both: OLD's
records and events under OLD's keyed pseudonym (contact_hmac), linked by the `rectified` event
to NEW's records, which keep their own proof.

start_double_opt_in() is the way forward when NEW has not confirmed: a new sign-up record
for NEW (the purposes OLD holds, the campaign's current notice and wording) and a confirmation
message through the receiver's normal path (outgoing.Postman); rectify once NEW confirmed.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from generator.errors import OptinError

from . import flows
from .ledger import ACTIVE, Ledger, expire_stale
from .retention import _checkpoint, _erase_record, contact_of, iso, records_of

METHOD = "rectify"
MAX_REASON = 200


class RectifyRefused(OptinError):
    """NEW has not confirmed what OLD holds: nothing was changed (exit 2)."""

    def __init__(self, message: str, missing: dict[str, list[str]]):
        super().__init__(message)
        self.missing = missing  # campaign -> purposes NEW has not confirmed


def _live(record, value: str) -> bool:
    return value in (record["phone"], record["email"])


def _active(db, records) -> dict[str, dict[str, list[str]]]:
    """campaign -> record_id -> purposes still requested or given."""
    out: dict[str, dict[str, list[str]]] = {}
    for record in records:
        state = Ledger.state(db, record["record_id"])
        held = [p for p, event in state.items() if event in ACTIVE]
        if held:
            out.setdefault(record["campaign"], {})[record["record_id"]] = held
    return out


def _confirmed(db, records) -> dict[str, dict[str, str]]:
    """campaign -> purpose -> the latest record of NEW where it is given now."""
    out: dict[str, dict[str, str]] = {}
    for record in records:  # oldest first: a later record wins
        for purpose, event in Ledger.state(db, record["record_id"]).items():
            if event == "given":
                out.setdefault(record["campaign"], {})[purpose] = record["record_id"]
    return out


def _clean_reason(reason: str) -> str:
    reason = " ".join((reason or "request").split())
    if len(reason) > MAX_REASON:
        raise OptinError(f"--reason is limited to {MAX_REASON} characters")
    return reason


def plan(db, ledger: Ledger, old: str, new: str) -> tuple[dict, dict, dict[str, list[str]]]:
    """(OLD's active purposes per campaign and record, NEW's confirmed purposes, what NEW lacks
    per campaign), read inside `db`."""
    old_records = records_of(db, ledger, old)
    new_records = [r for r in records_of(db, ledger, new) if _live(r, new)]
    held = _active(db, old_records)
    confirmed = _confirmed(db, new_records)
    missing: dict[str, list[str]] = {}
    for campaign, by_record in held.items():
        wanted = list(dict.fromkeys(p for purposes in by_record.values() for p in purposes))
        lacking = [p for p in wanted if p not in confirmed.get(campaign, {})]
        if lacking:
            missing[campaign] = lacking
    return held, confirmed, missing


def _refusal(old_kind: str, new: str, missing: dict[str, list[str]]) -> RectifyRefused:
    what = "; ".join(f"campaign {c}: {', '.join(p)}" for c, p in missing.items())
    return RectifyRefused(
        f"{new} has no confirmed consent for what the old {old_kind} holds ({what}). Consent is never moved to a "
        f"contact that has not confirmed it: {new} must sign up and confirm by double opt-in first (the sign-up "
        "page, or --start-double-opt-in to send the confirmation now), then run rectify again.", missing)


def rectify(ledger: Ledger, old_contact: str, new_contact: str, reason: str = "request",
            now: datetime | str | None = None) -> dict:
    """Replace OLD by NEW (see the module's docstring); raises RectifyRefused, changing
    nothing, when NEW has not confirmed every purpose OLD holds. Returns the report."""
    old_kind, old = contact_of(old_contact)
    new_kind, new = contact_of(new_contact)
    if old == new:
        raise OptinError("--contact and --to are the same contact: nothing to rectify")
    reason = _clean_reason(reason)
    now = iso(now or datetime.now(timezone.utc))
    counts = {"records": 0, "outbox": 0, "tokens": 0}
    rectified, erased = [], []
    with ledger.transaction() as db:
        expire_stale(db, now)
        held, confirmed, missing = plan(db, ledger, old, new)
        if not held:
            raise OptinError(f"{old_contact} holds no active consent in the ledger: nothing to rectify "
                             "(`optin ledger erase` removes its contact data)")
        if missing:
            raise _refusal(old_kind, new, missing)
        for campaign, by_record in held.items():
            for record_id, purposes in by_record.items():
                record = Ledger.record(db, record_id)
                targets = sorted({confirmed[campaign][p] for p in purposes})
                event_id = Ledger.add_event(db, now, record, "rectified", purposes, record["locale"],
                                            f"{METHOD}:{','.join(targets)}")
                rectified.append({"record_id": record_id, "campaign": campaign, "purposes": purposes,
                                  "event_id": event_id, "to_records": targets})
        for record in records_of(db, ledger, old):
            part = _erase_record(db, record, now, f"rectified:{reason}")
            for key, value in part.items():
                counts[key] += value
            if part["records"]:
                erased.append(record["record_id"])
        counts["outbox"] += db.execute("DELETE FROM outbox WHERE recipient = ?", (old,)).rowcount
    return {"at": now, "reason": reason, "old": {"kind": old_kind, "contact_hmac": ledger.contact_hmac(old)},
            "new": {"kind": new_kind, "contact_hmac": ledger.contact_hmac(new),
                    "records": sorted({r for c in confirmed.values() for r in c.values()})},
            "rectified": rectified, "erased_records": erased, **counts, "wal_truncated": _checkpoint(ledger)}


def start_double_opt_in(ledger: Ledger, postman, campaigns: dict, locales, old_contact: str, new_contact: str,
                        api_url: str = "") -> list[dict]:
    """Ask NEW to confirm what it lacks: per campaign, a new record (method
    `rectify:start-double-opt-in`) and its confirmation message, sent through `postman` after
    the commit. OLD is left as it is. Returns one entry per campaign (record_id, purposes,
    delivery status)."""
    from generator.campaign.vocab import PHONE_CHANNELS
    from generator.site.views import resolve

    _, old = contact_of(old_contact)
    new_kind, new = contact_of(new_contact)
    now = postman.clock()
    made, messages = [], []
    with ledger.transaction() as db:
        expire_stale(db, flows.iso(now))
        held, _, missing = plan(db, ledger, old, new)
        if not held:
            raise OptinError(f"{old_contact} holds no active consent in the ledger: there is nothing to confirm")
        for campaign_id, lacking in missing.items():
            campaign = campaigns.get(campaign_id)
            if campaign is None:
                raise OptinError(f"campaign {campaign_id} is not in the project: NEW must sign up on a live campaign")
            source = Ledger.record(db, next(iter(held[campaign_id])))
            lang = source["locale"] if source["locale"] in campaign.locales else campaign.default_locale
            group = PHONE_CHANNELS if new_kind == "phone" else {"email"}
            chosen = [p for p in campaign.purposes if p.id in lacking and p.channel in group]
            if not chosen:
                raise OptinError(f"campaign {campaign_id}: {', '.join(lacking)} cannot be confirmed by "
                                 f"a {new_kind}; the person must sign up with the matching contact")
            if not campaign.base_url:
                raise OptinError(f"campaign {campaign_id} has no base_url: the confirmation link needs the site's address")
            view = resolve(campaign, lang, locales)
            record = _signup_record(campaign, lang, chosen, view, new_kind, new, flows.iso(now))
            Ledger.add_record(db, record)
            Ledger.add_event(db, record["created"], record, "requested", [p.id for p in chosen], lang, record["method"])
            messages.append(postman.confirmation(db, record, campaign, lang, [p.id for p in chosen], new,
                                                 campaign.base_url, api_url, ts=record["created"]))
            made.append({"campaign": campaign_id, "record_id": record["record_id"], "purposes": [p.id for p in chosen]})
    for entry, delivery in zip(made, postman.send(messages)):
        entry["delivery"] = delivery.status
    return made


def _signup_record(campaign, lang: str, chosen, view, kind: str, value: str, created: str) -> dict:
    base = campaign.base_url.rstrip("/")
    return {
        "record_id": str(uuid.uuid4()), "created": created, "campaign": campaign.id,
        "controller": {"name": campaign.controller.name, "address": campaign.controller.address,
                       "email": campaign.controller.email},
        "jurisdiction": campaign.country, "locale": lang,
        "phone": value if kind == "phone" else None, "email": value if kind == "email" else None,
        "pii_categories": [flows.CATEGORIES[kind]],
        "purposes": [{"id": p.id, "channel": p.channel, "retention_months": p.retention_months} for p in chosen],
        "notice_version": view.notice_version, "wording_version": view.wording_version,
        "notice_url": f"{base}/{campaign.id}/{lang}/{view.notice_file}",
        "page_url": f"{base}/{campaign.id}/{lang}/", "client_timestamp": created,
        "method": f"{METHOD}:start-double-opt-in", "extra": {},
    }


def as_json(report) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True)



def _error(status: int, code: str, message: str, field: str | None = None) -> tuple[int, dict]:
    return status, {"error": code, "message": message, "field": field}


def answer(receiver, request, max_body: int = 16 * 1024) -> tuple[int, dict]:
    """POST {prefix}/backoffice/rectify {"contact": OLD, "to": NEW, "reason": "…"} (JSON or a
    form), behind the back office's token (backoffice.py): (status, body). 409 `not_confirmed`
    when NEW has not confirmed (nothing changed), 422 `nothing_to_rectify` when OLD holds no
    consent; the providers are told to suppress OLD as for an erasure."""
    from .retention import suppress_everywhere

    if (request.content_length or 0) > max_body:
        return _error(413, "too_large", f"the body is limited to {max_body} bytes")
    data = request.get_json(silent=True) if request.mimetype == "application/json" else request.form.to_dict()
    if not isinstance(data, dict):
        return _error(400, "bad_request", "the body must be a JSON object")
    old, new, reason = data.get("contact"), data.get("to"), data.get("reason") or "request"
    if not all(isinstance(v, str) for v in (old, new, reason)) or len(reason) > MAX_REASON:
        return _error(400, "bad_request", "give `contact` and `to` (text) and optionally `reason` (up to "
                      f"{MAX_REASON} characters)", "contact")
    values = []
    for field, value in (("contact", old), ("to", new)):
        try:
            values.append(contact_of(value)[1])
        except OptinError as exc:
            return _error(400, "invalid_contact", exc.message, field)
    if values[0] == values[1]:
        return _error(400, "bad_request", "`contact` and `to` are the same contact", "to")
    try:
        report = rectify(receiver.ledger, old, new, reason, receiver.flows.clock())
    except RectifyRefused as exc:
        return _error(409, "not_confirmed", exc.message, "to")
    except OptinError as exc:
        return _error(422, "nothing_to_rectify", exc.message, "contact")
    report["suppression"] = suppress_everywhere(receiver.senders, old)
    return 200, report
