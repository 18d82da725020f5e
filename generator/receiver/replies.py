"""What a person's answer does to the ledger: a reply with an opt-out keyword (WhatsApp, SMS),
the one-click unsubscribe POST of an email (RFC 8058) and the button behind a message's
withdraw link withdraw consent.

A keyword withdraws every active purpose of that channel for that contact (method
`reply-keyword:<KEYWORD>`, the keyword as the list spells it), and the localised opt-out reply
goes out once. The reply's provider message id is kept in `inbound`, in the same transaction,
so a replay does nothing. A sender the ledger does not know, any other text, and START/UNSTOP
(never consent: only a new double opt-in through the sign-up page is) leave nothing behind.

A withdraw link (`{prefix}/unsubscribe?t=…`, every message has its own) stops the channels it
was made for (a phone's WhatsApp and SMS purposes, or an email's) for that contact in that
campaign: method `withdraw-link` for its page's button, `one-click-unsubscribe` for a mail
client's RFC 8058 POST; both keep their evidence (evidence.py) and send the contact a notice.
"""
from __future__ import annotations

import json
import re

from . import deliveries, evidence, tokens
from .ledger import ACTIVE, Ledger, expire_stale
from .webhooks import Inbound, is_opt_out

REPLY_METHOD = "reply-keyword"
ONE_CLICK_METHOD = "one-click-unsubscribe"
LINK_METHOD = "withdraw-link"
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # tokens.new_token(): 32 bytes, URL-safe base64

REPLAY, UNKNOWN, IGNORED, WITHDRAWN, NOTHING_ACTIVE = "replay", "unknown", "ignored", "withdrawn", "nothing-active"


def channel_purposes(record, channel: str) -> list[str]:
    return [p["id"] for p in json.loads(record["purposes"]) if p["channel"] == channel]


class Replies:
    def __init__(self, receiver, ledger: Ledger, postman):
        self.receiver, self.ledger, self.postman = receiver, ledger, postman

    def inbound(self, message: Inbound) -> str:
        """Handle one inbound text; returns what happened (for the log and the tests)."""
        campaigns = {c.id: c for c in self.receiver.campaigns.values() if message.channel in c.channels}
        now = self.postman.now()
        items, withdrawn = [], []
        with self.ledger.transaction() as db:
            if deliveries.seen(db, message.id):
                return REPLAY
            known = [r for r in deliveries.records_for_phone(db, message.sender)
                     if r["campaign"] in campaigns and channel_purposes(r, message.channel)]
            if not known:
                return UNKNOWN  # nothing stored, no reply
            verdicts = {}
            for cid in dict.fromkeys(r["campaign"] for r in known):
                campaign = campaigns[cid]
                keyword = is_opt_out(message.text, message.channel, campaign.country,
                                     campaign.opt_out.get(message.channel, {}).values())
                if keyword:
                    verdicts[cid] = keyword.keyword
            if not verdicts:
                return IGNORED  # START/UNSTOP or any other text: not consent, nothing recorded
            expire_stale(db, now)
            events, replied = [], {}
            for record in known:
                keyword = verdicts.get(record["campaign"])
                if keyword is None:
                    continue
                state = Ledger.state(db, record["record_id"])
                hit = [p for p in channel_purposes(record, message.channel) if state.get(p) in ACTIVE]
                if hit:
                    events.append(Ledger.add_event(db, now, record, "withdrawn", hit, record["locale"],
                                                   f"{REPLY_METHOD}:{keyword}"))
                    withdrawn.append((record, message.channel))
                    replied[record["campaign"]] = record  # the latest record's locale answers
            deliveries.add_inbound(db, message.id, now, message.channel, next(iter(verdicts.values())), events)
            for cid, record in replied.items():
                site = self.receiver.public_base(campaigns[cid], None)
                items.append(self.postman.opt_out_reply(db, record, campaigns[cid], message.channel,
                                                        message.sender, site))
        self.postman.send(items)
        self.postman.suppress(withdrawn)
        return WITHDRAWN if withdrawn else NOTHING_ACTIVE

    def link(self, token: str):
        """What a withdraw link would stop: (record, purposes still active), or None for a link
        the ledger does not know (or whose contact was erased)."""
        with self.ledger.reading() as db:
            found = self._targets(db, token)
        if found is None:
            return None
        record, targets = found
        return record, list(dict.fromkeys(p for _, hit in targets for p in hit))

    def unsubscribe(self, token: str, method: str = ONE_CLICK_METHOD, proof=None) -> list[str]:
        """Withdraw what the link stops for the link's contact in its campaign; returns the
        purposes withdrawn (none for an unknown or used-up link)."""
        now = self.postman.now()
        hit_all, withdrawn, hits = [], [], []
        with self.ledger.transaction() as db:
            expire_stale(db, now)
            found = self._targets(db, token)
            if found is None:
                return []
            record, targets = found
            for other, hit in targets:
                event = Ledger.add_event(db, now, other, "withdrawn", hit, other["locale"], method)
                evidence.add(db, event, proof)
                hit_all += [p for p in hit if p not in hit_all]
                hits.append((other, hit))
                withdrawn += [(other, ch) for ch in dict.fromkeys(channel_of(other, p) for p in hit)]
            campaign = self.receiver.campaigns.get(record["campaign"])
            site = self.receiver.public_base(campaign, None) if campaign else ""
            notices = self.postman.withdrawal_notices(db, hits, site)
        self.postman.send(notices)
        self.postman.suppress(withdrawn)
        return hit_all

    @staticmethod
    def _targets(db, token: str):
        """(the link's record, [(record, purposes to withdraw)]): every record of the same
        contact in the campaign with an active purpose on the link's channels."""
        found = deliveries.unsubscribe_of(db, tokens.digest(token))
        if found is None:
            return None
        record, channels = found
        phone = None if "email" in channels else record["phone"]
        email = record["email"] if "email" in channels else None
        if not phone and not email:
            return None
        targets = []
        for other in Ledger.records_for_contact(db, record["campaign"], phone, email):
            state = Ledger.state(db, other["record_id"])
            hit = [p["id"] for p in json.loads(other["purposes"])
                   if p["channel"] in channels and state.get(p["id"]) in ACTIVE]
            if hit:
                targets.append((other, hit))
        return record, targets


def channel_of(record, purpose: str) -> str:
    return next(p["channel"] for p in json.loads(record["purposes"]) if p["id"] == purpose)
