"""What the providers post back, as pure functions (no WSGI here): Meta's webhook handshake and
X-Hub-Signature-256, inbound WhatsApp messages and status updates, Twilio's X-Twilio-Signature
and inbound SMS, and whether a reply is an opt-out keyword.

Signatures are compared in constant time (hmac.compare_digest); a missing secret or header is
never a valid signature.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import unicodedata
import urllib.parse
from dataclasses import dataclass
from typing import Iterable, Mapping

PHONE_CHANNELS = ("whatsapp", "sms")


@dataclass(frozen=True)
class Inbound:
    channel: str            # whatsapp or sms
    sender: str             # E.164, '+' and digits
    id: str                 # the provider's message id: replays carry the same one
    text: str
    to: str | None = None   # the business number (Twilio To; Meta's phone_number_id)
    timestamp: str | None = None


@dataclass(frozen=True)
class Status:
    id: str                 # the id the send call answered with (wamid…)
    status: str             # sent, delivered, read, failed
    recipient: str
    error: str | None = None


# -- WhatsApp Cloud API (Meta) -------------------------------------------------------------
def whatsapp_handshake(args: Mapping[str, str], verify_token: str | None) -> str | None:
    """The challenge to answer (200, as text) when Meta's GET ?hub.mode=subscribe&hub.verify_token=…
    &hub.challenge=… carries our verify token; None means answer 403."""
    if not verify_token or args.get("hub.mode") != "subscribe":
        return None
    given = args.get("hub.verify_token") or ""
    if not hmac.compare_digest(given.encode("utf-8"), verify_token.encode("utf-8")):
        return None
    challenge = args.get("hub.challenge")
    return challenge if challenge else None


def meta_signature(raw: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()


def valid_meta_signature(raw: bytes, header: str | None, app_secret: str | None) -> bool:
    """X-Hub-Signature-256: 'sha256=' + hex HMAC-SHA256 of the raw body (as received, before any
    JSON parsing) keyed with the app secret."""
    if not app_secret or not header:
        return False
    given = header.strip().lower()
    if not given.startswith("sha256="):
        return False
    return hmac.compare_digest(given.encode("ascii", "replace"), meta_signature(raw, app_secret).encode("ascii"))


def _changes(payload) -> Iterable[dict]:
    if isinstance(payload, (bytes, str)):
        try:
            payload = json.loads(payload)
        except ValueError:
            return
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return
    for entry in payload.get("entry") or []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            if isinstance(change, dict) and change.get("field") == "messages" and isinstance(change.get("value"), dict):
                yield change["value"]


def _text_of(message: dict) -> str | None:
    kind = message.get("type")
    if kind == "text":
        return (message.get("text") or {}).get("body")
    if kind == "button":  # a template's quick-reply button
        return (message.get("button") or {}).get("text")
    if kind == "interactive":
        reply = message.get("interactive") or {}
        return (reply.get("button_reply") or reply.get("list_reply") or {}).get("title")
    return None


def whatsapp_messages(payload) -> list[Inbound]:
    """The text messages of a webhook POST (raw body or parsed JSON); media and other kinds are
    left out (they cannot be a keyword)."""
    found = []
    for value in _changes(payload):
        number = (value.get("metadata") or {}).get("phone_number_id")
        for message in value.get("messages") or []:
            if not isinstance(message, dict):
                continue
            text, sender, mid = _text_of(message), str(message.get("from") or ""), message.get("id")
            if isinstance(text, str) and sender.isdigit() and isinstance(mid, str) and mid:
                found.append(Inbound("whatsapp", "+" + sender, mid, text, number, message.get("timestamp")))
    return found


def whatsapp_statuses(payload) -> list[Status]:
    """Delivery reports of a webhook POST (value.statuses): sent, delivered, read, failed."""
    found = []
    for value in _changes(payload):
        for item in value.get("statuses") or []:
            if isinstance(item, dict) and item.get("id") and item.get("status"):
                errors = item.get("errors") or []
                error = "; ".join(str(e.get("title") or e.get("code")) for e in errors if isinstance(e, dict)) or None
                found.append(Status(item["id"], item["status"], "+" + str(item.get("recipient_id", "")), error))
    return found


# -- Twilio --------------------------------------------------------------------------------
def _pairs(params) -> list[tuple[str, str]]:
    if hasattr(params, "items") and hasattr(params, "getlist"):  # werkzeug MultiDict
        return [(k, v) for k in params for v in params.getlist(k)]
    if isinstance(params, Mapping):
        return [(k, v) for k, value in params.items() for v in (value if isinstance(value, (list, tuple)) else [value])]
    return [(str(k), str(v)) for k, v in params]


def twilio_signature(url: str, params, auth_token: str) -> str:
    """Base64(HMAC-SHA1(auth token, the full URL + each POST parameter's name and value, sorted
    by name (case-sensitive, values of one name sorted too), with nothing in between))."""
    data = url + "".join(k + v for k, v in sorted(_pairs(params)))
    return base64.b64encode(hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()).decode()


def _url_variants(url: str) -> list[str]:
    """The URL as Twilio may have signed it: as given, and with or without the default port
    (behind a proxy the port seen here differs), as Twilio's own libraries check."""
    parts = urllib.parse.urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    variants = [url]
    if default and parts.port in (None, default):
        for netloc in (f"{auth}{host}", f"{auth}{host}:{default}"):
            variant = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
            if variant not in variants:
                variants.append(variant)
    return variants


def valid_twilio_signature(url: str, params, header: str | None, auth_token: str | None) -> bool:
    """X-Twilio-Signature for a form-encoded webhook; `url` is the full URL Twilio called
    (scheme, host, path and query string exactly as configured)."""
    if not auth_token or not header:
        return False
    given = header.strip().encode("ascii", "replace")
    return any(hmac.compare_digest(given, twilio_signature(u, params, auth_token).encode("ascii"))
               for u in _url_variants(url))


def twilio_message(params) -> Inbound | None:
    """An inbound SMS webhook's From, Body and MessageSid (None when one is missing)."""
    fields = dict(_pairs(params))
    sender, sid = fields.get("From", ""), fields.get("MessageSid") or fields.get("SmsSid")
    if not sender.startswith("+") or not sender[1:].isdigit() or not sid or "Body" not in fields:
        return None
    return Inbound("sms", sender, sid, fields["Body"], fields.get("To"))


# -- opt-out keywords ----------------------------------------------------------------------
STOP, START, OTHER = "stop", "start", "other"
STANDARD = ("STOP", "STOPP", "UNSUB", "AVSLUTT", "BERHENTI", "BAJA", "STOPALL", "UNSUBSCRIBE", "CANCEL",
            "END", "QUIT",
            # Twilio stops delivering after these two as well: the ledger must not say otherwise
            "REVOKE", "OPTOUT")
# Said in one country and not elsewhere (peers' per-country lists); ARRÊT folds to ARRET.
BY_COUNTRY = {"DE": ("ABMELDEN",), "AT": ("ABMELDEN",), "CH": ("ABMELDEN", "ARRET"), "FR": ("ARRET",),
              "BE": ("ARRET",), "CA": ("ARRET",)}
RESTART = ("START", "UNSTOP")
# Marks that make a letter of its own in the alphabets concerned (ä ö ü in German and Swedish,
# å in Norwegian): kept, so STÖPP stays a different word from STOPP. Every other mark is an
# accent and is folded away: Bája is BAJA, ARRÊT is ARRET.
LETTER_MARKS = {"\u0308", "\u030a"}
JOINERS = set("-_")


@dataclass(frozen=True)
class Keyword:
    """What a reply asks for: kind STOP (true in a boolean test), START (only ever the start of a
    new double opt-in, never consent), or OTHER; `keyword` is the list's spelling."""

    kind: str
    keyword: str | None = None

    def __bool__(self) -> bool:
        return self.kind == STOP


def fold(text: str) -> str:
    """Case-, accent- and whitespace-insensitive form: compatibility forms unified (full-width
    letters), accents dropped (not ¨ and °), whitespace, invisible format characters and - _
    removed, surrounding punctuation and symbols trimmed, case folded."""
    kept = []
    for ch in unicodedata.normalize("NFKD", text or ""):
        if unicodedata.combining(ch) and ch not in LETTER_MARKS:
            continue
        if ch.isspace() or unicodedata.category(ch) == "Cf" or ch in JOINERS:
            continue
        kept.append(ch)
    word = unicodedata.normalize("NFC", "".join(kept)).casefold()
    start, end = 0, len(word)
    while start < end and not word[start].isalnum():
        start += 1
    while end > start and not word[end - 1].isalnum():
        end -= 1
    return word[start:end]


def is_opt_out(text: str, channel: str, country: str | None, campaign_keywords: Iterable[str] = ()) -> Keyword:
    """Whether a reply on a phone channel is, alone, an opt-out keyword: the campaign's own for
    that channel (e.g. campaign.opt_out[channel].values()), the standard ones and the country's."""
    if channel not in PHONE_CHANNELS:
        raise ValueError(f"reply keywords are for {', '.join(PHONE_CHANNELS)}, not {channel!r}")
    word = fold(text)
    if not word:
        return Keyword(OTHER)
    stops = [*campaign_keywords, *STANDARD, *BY_COUNTRY.get((country or "").upper(), ())]
    for keyword in stops:
        if keyword and fold(keyword) == word:
            return Keyword(STOP, keyword)
    for keyword in RESTART:
        if fold(keyword) == word:
            return Keyword(START, keyword)
    return Keyword(OTHER)
