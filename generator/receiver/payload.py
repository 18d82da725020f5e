"""Request bodies: read (JSON or urlencoded, at most 16 KB) and validate against the protocol.

Every problem raises ApiError, which app.py turns into a 4xx JSON answer (or, for a form posted
without JavaScript, a redirect to the page's error state). Nothing here touches the ledger.
"""
from __future__ import annotations

import json
import re
import uuid

from werkzeug.exceptions import RequestEntityTooLarge

from ..campaign import Campaign
from ..vocab import PHONE_CHANNELS
from .contacts import email_normal, phone_e164

MAX_BODY = 16 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded",)
HEX64 = re.compile(r"^[0-9a-f]{64}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LIST_FIELDS = ("purposes",)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 retry_after: int | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.retry_after = retry_after

    def body(self) -> dict:
        return {"error": self.code, "message": self.message, "field": self.field}


def read(request) -> dict:
    """The body as a dict; `purposes` is always a list."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiError(413, "too_large", f"body larger than {MAX_BODY} bytes")
    try:
        if request.mimetype == "application/json":
            raw = request.get_data(cache=True)
            if len(raw) > MAX_BODY:
                raise ApiError(413, "too_large", f"body larger than {MAX_BODY} bytes")
            try:
                data = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise ApiError(400, "malformed", f"body is not valid JSON: {exc}") from None
            if not isinstance(data, dict):
                raise ApiError(400, "malformed", "body must be a JSON object")
            return data
        if request.mimetype in FORM_TYPES:
            form = request.form
            return {key: (form.getlist(key) if key in LIST_FIELDS else form.get(key)) for key in form}
    except RequestEntityTooLarge:
        raise ApiError(413, "too_large", f"body larger than {MAX_BODY} bytes") from None
    raise ApiError(415, "bad_content_type",
                   "send application/json or application/x-www-form-urlencoded", "Content-Type")


def text(data: dict, key: str, max_len: int = 200, required: bool = False) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise ApiError(400, "malformed", f"{key} is required", key)
        return ""
    if not isinstance(value, str):
        raise ApiError(400, "malformed", f"{key} must be a string", key)
    if len(value) > max_len:
        raise ApiError(400, "malformed", f"{key} is longer than {max_len} characters", key)
    return value.strip()


def campaign_of(data: dict, campaigns: dict[str, Campaign]) -> tuple[Campaign, str]:
    cid = text(data, "campaign", 64, required=True)
    campaign = campaigns.get(cid)
    if campaign is None:
        raise ApiError(404, "unknown_campaign", f"no campaign {cid!r}", "campaign")
    locale = text(data, "locale", 8) or campaign.default_locale
    if locale not in campaign.locales:
        raise ApiError(400, "unknown_locale", f"campaign {cid} has no locale {locale!r}", "locale")
    return campaign, locale


def purposes(data: dict, campaign: Campaign, allow_all: bool = False) -> list[str]:
    """Purpose ids in campaign order, no duplicates; ['*'] stands for all when allowed."""
    value = data.get("purposes", [])
    if isinstance(value, str):
        value = [value] if value else []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, "malformed", "purposes must be a list of purpose ids", "purposes")
    known = [p.id for p in campaign.purposes]
    if allow_all and "*" in value:
        return ["*"]
    unknown = [v for v in value if v not in known]
    if unknown:
        raise ApiError(400, "unknown_purpose", f"unknown purpose {unknown[0]!r}", "purposes")
    chosen = [p for p in known if p in value]
    if not chosen:
        raise ApiError(400, "no_purpose", "tick at least one purpose", "purposes")
    return chosen


def phone(data: dict, campaign: Campaign, required: bool) -> str | None:
    raw = text(data, "phone", 40)
    if not raw:
        if required:
            raise ApiError(400, "invalid_phone", "a phone number is needed for these purposes", "phone")
        return None
    code = data.get("country_code")
    number = phone_e164(raw, code if isinstance(code, (str, int)) else None, campaign.country)
    if number is None:
        raise ApiError(400, "invalid_phone", "not a valid phone number", "phone")
    return number


def email(data: dict, required: bool) -> str | None:
    raw = text(data, "email", 254)
    if not raw:
        if required:
            raise ApiError(400, "invalid_email", "an email address is needed for these purposes", "email")
        return None
    value = email_normal(raw)
    if value is None:
        raise ApiError(400, "invalid_email", "not a valid email address", "email")
    return value


def submission(data: dict, campaigns: dict[str, Campaign]) -> dict:
    """A validated submit request: campaign, locale, purposes, contacts, versions, record id."""
    campaign, locale = campaign_of(data, campaigns)
    chosen = purposes(data, campaign)
    channels = {p.channel for p in campaign.purposes if p.id in chosen}
    out = {"campaign": campaign, "locale": locale, "purposes": chosen,
           "phone": phone(data, campaign, bool(channels & PHONE_CHANNELS)) if channels & PHONE_CHANNELS else None,
           "email": email(data, "email" in channels) if "email" in channels else None}
    for key in ("notice_version", "wording_version"):
        value = text(data, key, 64, required=True).lower()
        if not HEX64.match(value):
            raise ApiError(400, "malformed", f"{key} must be a sha256 hex digest", key)
        out[key] = value
    record_id = text(data, "record_id", 36)
    if record_id:
        try:
            if uuid.UUID(record_id).version != 4:
                raise ValueError
        except ValueError:
            raise ApiError(400, "malformed", "record_id must be a UUID4", "record_id") from None
        out["record_id"] = record_id.lower()
    else:
        out["record_id"] = str(uuid.uuid4())
    out["page_url"] = text(data, "page_url", 2048)
    out["client_timestamp"] = text(data, "client_timestamp", 40)
    fields = {f for p in campaign.purposes if p.id in chosen for f in p.fields}
    extra = {}
    if "name" in fields and text(data, "name", 200):
        extra["name"] = text(data, "name", 200)
    if "birthday" in fields and text(data, "birthday", 10):
        if not DATE.match(text(data, "birthday", 10)):
            raise ApiError(400, "malformed", "birthday must be YYYY-MM-DD", "birthday")
        extra["birthday"] = text(data, "birthday", 10)
    out["extra"] = extra
    return out
