"""What each endpoint does to the ledger: submit (requested + message), confirm (given /
refused), withdraw (withdrawn, with its evidence, and a notice to the contact). One
transaction per request; messages go out after commit, through the channel's sender
(outgoing.py), and withdrawals are handed to the providers."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from generator.campaign.vocab import PHONE_CHANNELS
from generator.site.published import Accepted
from . import evidence, payload, tokens
from .ledger import ACTIVE, Ledger, Token, expire_stale
from .payload import ApiError


def iso(moment: datetime) -> str:
    """UTC, millisecond precision, 'Z': sorts as text in the same order as in time."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


CATEGORIES = {"phone": "phone number", "email": "email address", "name": "name", "birthday": "date of birth"}


def pii_categories(campaign, purposes: list[str], extra: dict) -> list[str]:
    """The data categories of a record: the contact fields the chosen purposes need, then the
    extra fields given."""
    contacts = [f for f in campaign.fields_for(purposes) if f in ("phone", "email")]
    return [CATEGORIES[f] for f in contacts + sorted(extra)]


# What a retry must repeat exactly; page_url and client_timestamp may differ between attempts.
SAME_REQUEST = ("campaign", "locale", "phone", "email", "notice_version", "wording_version")


def _same_request(existing, record: dict) -> None:
    """A record_id seen before must come with the same request; anything else is a conflict
    (409) rather than a change silently dropped."""
    differs = [k for k in SAME_REQUEST if existing[k] != record[k]]
    if [p["id"] for p in json.loads(existing["purposes"])] != [p["id"] for p in record["purposes"]]:
        differs.append("purposes")
    if json.loads(existing["extra"]) != record["extra"]:
        differs.append("extra")
    if differs:
        raise ApiError(409, "duplicate_record",
                       f"record_id already used for another request (differs in {', '.join(differs)})",
                       "record_id")


class Flows:
    def __init__(self, receiver, ledger: Ledger, ttl: timedelta, clock, on_message):
        self.receiver, self.ledger, self.ttl = receiver, ledger, ttl
        self.clock, self.on_message = clock, on_message
        self.postman = None  # outgoing.Postman, set by the receiver
        self.versions = Accepted(receiver.locales)  # the notice/wording versions a sign-up may name

    def now(self) -> str:
        return iso(self.clock())

    def _limit(self, key: tuple, limit) -> None:
        wait = self.receiver.limiter.hit(key, limit)
        if wait:
            raise ApiError(429, "rate_limited", "too many attempts; try again later", retry_after=int(wait))

    # -- submit ------------------------------------------------------------------------------
    def submit(self, request, data: dict):
        sub = payload.submission(data, self.receiver.campaigns)
        if data.get("website"):
            # honeypot: answer exactly as a real sign-up would (the page's record_id, or a fresh
            # UUID4), so a bot cannot tell, and keep nothing
            return 202, {"status": "pending", "record_id": sub["record_id"]}
        campaign, lang = sub["campaign"], sub["locale"]
        now = self.clock()
        base = self.receiver.public_base(campaign, request)
        api = self.receiver.api_base(campaign, request)
        record = {
            "record_id": sub["record_id"], "created": iso(now), "campaign": campaign.id,
            "controller": {"name": campaign.controller.name, "address": campaign.controller.address,
                           "email": campaign.controller.email},
            "jurisdiction": campaign.country, "locale": lang, "phone": sub["phone"], "email": sub["email"],
            "pii_categories": pii_categories(campaign, sub["purposes"], sub["extra"]),
            "purposes": [{"id": p.id, "channel": p.channel, "retention_months": p.retention_months}
                         for p in campaign.purposes if p.id in sub["purposes"]],
            "notice_version": sub["notice_version"], "wording_version": sub["wording_version"],
            "notice_url": f"{base}/{campaign.id}/{lang}/privacy-{sub['notice_version'][:8]}.html",
            "page_url": sub["page_url"] or f"{base}/{campaign.id}/{lang}/",
            "client_timestamp": sub["client_timestamp"],
            "method": "signup-page:" + ("json" if request.mimetype == "application/json" else "form"),
            "extra": sub["extra"],
        }
        messages = []
        # looked up before the transaction (it may render the campaign once), refused only for a new record
        unknown = self.versions.problem(campaign, lang, {k: sub[k] for k in ("notice_version", "wording_version")})
        with self.ledger.transaction() as db:
            expire_stale(db, iso(now))
            existing = Ledger.record(db, record["record_id"])
            if existing is not None:  # a retry of a request that already arrived
                _same_request(existing, record)
                return 202, {"status": "pending", "record_id": record["record_id"]}
            if unknown:  # a version this campaign never showed in this locale is no proof of anything
                raise ApiError(422, "unknown_version", unknown[1], unknown[0])
            # only a new request counts against the contact's limit (a retry sends nothing)
            for value in (sub["phone"], sub["email"]):
                if value:
                    self._limit(("contact", campaign.id, value), self.receiver.limits.per_contact)
            Ledger.add_record(db, record)
            Ledger.add_event(db, record["created"], record, "requested", sub["purposes"], lang, record["method"])
            for channel_set, recipient in ((PHONE_CHANNELS, sub["phone"]), ({"email"}, sub["email"])):
                covered = [p for p in campaign.purposes if p.id in sub["purposes"] and p.channel in channel_set]
                if not recipient or not covered:
                    continue
                messages.append(self.postman.confirmation(db, record, campaign, lang, [p.id for p in covered],
                                                          recipient, base, api, ts=record["created"]))
        self.postman.send(messages)  # committed: a failed delivery stays pending in the ledger
        return 202, {"status": "pending", "record_id": record["record_id"]}

    # -- confirm -----------------------------------------------------------------------------
    def confirm(self, request, data: dict):
        campaign, lang = payload.campaign_of(data, self.receiver.campaigns)
        token = payload.text(data, "token", 100)
        code = payload.text(data, "code", 40)
        if not token and not tokens.normalize_code(code):
            raise ApiError(400, "wrong_code", "send the token from the link or the code", "code")
        if data.get("scope") == "all":  # the "Confirm all" button of a form posted without JavaScript
            data = {**data, "purposes": ["*"]}
        chosen = payload.purposes(data, campaign, allow_all=True)
        fails = ("bad-code", request.remote_addr)
        wait = self.receiver.limiter.blocked(fails, self.receiver.limits.wrong_codes)
        if wait:
            raise ApiError(429, "rate_limited", "too many wrong codes from this address", retry_after=int(wait))
        # many wrong codes across the campaign, from anywhere: typing codes pauses, links still work
        budget = ("bad-code-campaign", campaign.id)
        wait = 0 if token else self.receiver.limiter.blocked(budget, self.receiver.limits.campaign_codes)
        if wait:
            raise ApiError(429, "rate_limited", "code entry is paused for this campaign after many wrong codes;"
                           " the link in the message still works", retry_after=int(wait))
        now = self.now()
        outcome = None
        with self.ledger.transaction() as db:
            expire_stale(db, now)
            found, why = self._find(db, campaign.id, token, code, now)
            if found is None:
                outcome = ApiError(400, "invalid_token" if token else "wrong_code",
                                   "unknown token" if token else "no such code", None if token else "code")
            elif why == "dead":
                outcome = ApiError(410, "expired_token", f"this code was tried wrongly {tokens.MAX_CODE_FAILURES}"
                                   " times and no longer works; use the link, or sign up again for a new code")
            elif why == "expired":
                outcome = ApiError(410, "expired_token", f"codes work for {tokens.CODE_TTL.seconds // 60} minutes;"
                                   " use the link, or sign up again for a new code")
            elif found.used:
                outcome = ApiError(409, "already_confirmed", "this confirmation was already used")
            elif found.expires <= now:
                outcome = ApiError(410, "expired_token", "the link and code have expired; sign up again")
            else:
                record = Ledger.record(db, found.record_id)
                state = Ledger.state(db, found.record_id)
                open_ = [p for p in found.purposes if state.get(p) == "requested"]
                wanted = open_ if chosen == ["*"] else [p for p in chosen if p in open_]
                if not open_:
                    outcome = ApiError(400, "invalid_token", "nothing left to confirm (withdrawn?)")
                elif not wanted:
                    raise ApiError(400, "no_purpose", "none of the ticked purposes awaits confirmation", "purposes")
                else:
                    method = "confirm-page:" + ("link" if token else "code")
                    Ledger.use_token(db, found.token_hash, now)
                    Ledger.add_event(db, now, record, "given", wanted, lang, method)
                    refused = [p for p in open_ if p not in wanted]
                    if refused:
                        Ledger.add_event(db, now, record, "refused", refused, lang, method)
        if outcome is not None:
            if outcome.code in ("invalid_token", "wrong_code"):
                self.receiver.limiter.add(fails)
                if not token:
                    self.receiver.limiter.add(budget, self.receiver.limits.campaign_codes)
            raise outcome
        return 200, {"status": "confirmed", "purposes": wanted, "record_id": record["record_id"]}

    @staticmethod
    def _find(db, campaign: str, token: str, code: str, now: str) -> tuple[Token | None, str]:
        """The token row for a link's token (looked up by the SHA-256 of what was presented) or
        a typed code (checked only against the pending record its handle names, tokens.py),
        and why a code found can no longer confirm ("dead", "expired"; "" otherwise)."""
        if token:
            found = Ledger.token_by_hash(db, tokens.digest(token))
            return (found, "") if found and found.campaign == campaign else (None, "")
        row, why = tokens.by_code(db, campaign, code, now)
        if row is None:
            return None, why
        found = Token(row["token_hash"], row["code_hash"], row["campaign"], row["record_id"],
                      json.loads(row["purposes"]), row["expires"], row["used"], bool(row["expired_logged"]))
        return found, why if why in ("dead", "expired") else ""

    # -- withdraw ----------------------------------------------------------------------------
    def withdraw(self, request, data: dict):
        campaign, lang = payload.campaign_of(data, self.receiver.campaigns)
        chosen = payload.purposes(data, campaign, allow_all=True)
        phone = payload.phone(data, campaign, False) if campaign.needs_phone else None
        email = payload.email(data, False) if campaign.needs_email else None
        if not phone and not email:
            raise ApiError(400, "no_contact", "give the phone number or email address you signed up with",
                           "phone" if campaign.needs_phone else "email")
        # per contact, known or not (so the answer tells nothing): a script cannot keep
        # withdrawing someone's consent, nor flood them with notices
        for value in (phone, email):
            if value:
                self._limit(("withdraw", campaign.id, value), self.receiver.limits.withdrawals)
        # and per client address: withdrawing a whole number range from one place is refused
        self._limit(("withdraw-from", request.remote_addr), self.receiver.limits.withdrawals_per_address)
        targets = [p.id for p in campaign.purposes] if chosen == ["*"] else chosen
        now = self.now()
        withdrawn, hits = [], []
        channels = {p.id: p.channel for p in campaign.purposes}
        proof = evidence.of_request(request)
        with self.ledger.transaction() as db:
            expire_stale(db, now)
            for record in Ledger.records_for_contact(db, campaign.id, phone, email):
                state = Ledger.state(db, record["record_id"])
                hit = [p for p in targets if state.get(p) in ACTIVE]
                if hit:
                    event = Ledger.add_event(db, now, record, "withdrawn", hit, lang, "withdraw-page")
                    evidence.add(db, event, proof)
                    withdrawn += [(record, channels[p]) for p in hit if p in channels]
                    hits.append((record, hit))
            notices = self.postman.withdrawal_notices(db, hits, self.receiver.public_base(campaign, request))
        self.postman.send(notices)
        self.postman.suppress(withdrawn)
        # the same answer whether or not the contact is known: the page reveals nothing
        return 200, {"status": "withdrawn", "purposes": targets}
