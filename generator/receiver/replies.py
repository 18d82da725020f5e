"""What a person's answer does to the ledger: a reply with an opt-out keyword (WhatsApp, SMS)
and the one-click unsubscribe POST of an email (RFC 8058) withdraw consent.

A keyword withdraws every active purpose of that channel for that contact (method
`reply-keyword:<KEYWORD>`, the keyword as the list spells it), and the localised opt-out reply
goes out once. The reply's provider message id is kept in `inbound`, in the same transaction,
so a replay does nothing. A sender the ledger does not know, any other text, and START/UNSTOP
(never consent: only a new double opt-in through the sign-up page is) leave nothing behind.
"""
from __future__ import annotations

import json
import re

from . import deliveries, tokens
from .ledger import ACTIVE, Ledger, expire_stale
from .webhooks import Inbound, is_opt_out

REPLY_METHOD = "reply-keyword"
ONE_CLICK_METHOD = "one-click-unsubscribe"
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

    def unsubscribe(self, token: str) -> list[str]:
        """The one-click POST: withdraw the email purposes of the token's contact in its
        campaign; returns the purposes withdrawn (none for an unknown or used-up token)."""
        now = self.postman.now()
        hit_all, withdrawn = [], []
        with self.ledger.transaction() as db:
            record = deliveries.unsubscribe_record(db, tokens.digest(token))
            if record is None or not record["email"]:
                return []
            expire_stale(db, now)
            for other in Ledger.records_for_contact(db, record["campaign"], None, record["email"]):
                state = Ledger.state(db, other["record_id"])
                hit = [p for p in channel_purposes(other, "email") if state.get(p) in ACTIVE]
                if hit:
                    Ledger.add_event(db, now, other, "withdrawn", hit, other["locale"], ONE_CLICK_METHOD)
                    hit_all += hit
                    withdrawn.append((other, "email"))
        self.postman.suppress(withdrawn)
        return hit_all
