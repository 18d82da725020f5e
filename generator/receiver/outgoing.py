"""Messages on their way out: composed inside the request's transaction (a confirmation gets its
token and code there, an email its one-click unsubscribe token; a `queued` delivery row is
written with them), sent through the channel's sender after the commit, and the outcome
appended to `deliveries` (deliveries.py). A failed send never touches the submission: it stays
in the ledger, listed by `optin ledger deliveries` and sent again by `optin ledger retry`.

Neither the token nor the code is ever stored in clear (only their digests, in `tokens`): a
retry cannot rebuild the lost link, so it issues a fresh token and code for the purposes still
awaiting confirmation (the old ones stay valid until they expire) and a fresh unsubscribe token.
The outbox table, the local stand-in for a provider, keeps the message text as before, and only
for channels whose sender is the outbox.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from generator.campaign.vocab import PHONE_CHANNELS
from . import deliveries, tokens
from .deliveries import CANCELLED, CONFIRMATION, OPT_OUT_REPLY, PENDING, QUEUED, SUPPRESSION
from .ledger import Ledger, expire_stale
from .messages import Message, confirmation, opt_out_message
from .senders import UNSUPPORTED, Delivery, Senders
from .senders.outbox import Outbox

log = logging.getLogger("optin.receiver")


@dataclass(frozen=True)
class Outgoing:
    message_id: str  # deliveries.message_id: every try of one message shares it
    message: Message


def outbox_senders() -> Senders:
    return Senders({channel: Outbox() for channel in ("whatsapp", "sms", "email")})


def recipient_of(record, channel: str) -> str | None:
    return record["phone"] if channel in PHONE_CHANNELS else record["email"]


class Postman:
    def __init__(self, ledger: Ledger, senders: Senders | None, campaigns: dict, locales, ttl: timedelta,
                 clock, now, on_message=None):
        self.ledger, self.senders = ledger, senders or outbox_senders()
        self.campaigns, self.locales, self.ttl = campaigns, locales, ttl
        self.clock, self.now = clock, now  # now(): the ledger's ISO timestamp of clock()
        self.on_message = on_message or (lambda message: None)

    # -- inside the transaction ------------------------------------------------------------
    def confirmation(self, db, record, campaign, lang: str, purposes: list[str], recipient: str,
                     site_url: str, api_url: str, message_id: str | None = None, ts: str | None = None) -> Outgoing:
        """A new token and code for `purposes` of `record`, and the message carrying them
        (`ts`: when it was made, default now)."""
        chosen = [p for p in campaign.purposes if p.id in purposes]
        ids = [p.id for p in chosen]
        token, code = tokens.new_token(), tokens.new_code()
        Ledger.add_token(db, tokens.digest(token), tokens.code_digest(code), record, ids,
                         _iso(self.clock() + self.ttl))
        link = f"{site_url}/{campaign.id}/{lang}/confirm.html?t={token}&p={','.join(ids)}"
        unsubscribe = ""
        if chosen[0].channel == "email" and api_url:
            secret = tokens.new_token()
            deliveries.add_unsubscribe(db, tokens.digest(secret), record, self.now())
            unsubscribe = f"{api_url}/unsubscribe?t={secret}"
        message = confirmation(self.locales.translations(lang), campaign, lang, [p.channel for p in chosen],
                               recipient, ids, link, code, f"{site_url}/{campaign.id}/{lang}/withdraw.html",
                               max(1, round(self.ttl.total_seconds() / 3600)), unsubscribe)
        return self.queue(db, message, record, site_url, api_url, message_id, ts)

    def opt_out_reply(self, db, record, campaign, channel: str, recipient: str, site_url: str = "",
                      message_id: str | None = None) -> Outgoing:
        message = opt_out_message(self.locales.translations(record["locale"]), campaign, record["locale"],
                                  channel, recipient)
        return self.queue(db, message, record, site_url, "", message_id)

    def queue(self, db, message: Message, record, site_url: str, api_url: str,
              message_id: str | None = None, ts: str | None = None) -> Outgoing:
        sender = self.senders[message.channel]
        if isinstance(sender, Outbox):  # erasure finds a sign-up's messages by its record's created
            Ledger.add_outbox(db, ts or self.now(), message)
        message_id = message_id or deliveries.new_message_id()
        deliveries.add(db, self.now(), message_id, record, channel=message.channel, kind=message.kind,
                       purposes=message.purposes, locale=message.locale, site_url=site_url, api_url=api_url,
                       provider=sender.name, status=QUEUED)
        return Outgoing(message_id, message)

    # -- after the commit ------------------------------------------------------------------
    def send(self, items: list[Outgoing]) -> list[Delivery]:
        """Hand each message to its channel's sender and append the outcome; never raises for
        a failed delivery (the message stays pending in the ledger)."""
        outcomes = []
        for item in items:
            try:
                self.on_message(item.message)
            except Exception:  # noqa: BLE001 - a hook's bug must not undo a committed request
                log.exception("on_message failed")
            try:
                delivery = self.senders.send(item.message)
            except Exception as exc:  # noqa: BLE001 - the senders do not raise; a bug still must not
                log.exception("sender error")
                delivery = Delivery(None, "failed", f"unexpected {type(exc).__name__}: {exc}", 1)
            if not delivery.ok:
                log.warning("delivery of %s via %s: %s (%s)", item.message.kind, item.message.channel,
                            delivery.status, deliveries.scrub(delivery.error, item.message.recipient))
            try:
                with self.ledger.transaction() as db:
                    row = deliveries.latest(db, item.message_id)
                    deliveries.follow(db, self.now(), row, delivery.status, provider_id=delivery.provider_id,
                                      error=deliveries.scrub(delivery.error, item.message.recipient),
                                      attempts=delivery.attempts)
            except Exception:  # noqa: BLE001 - it stays `queued`: listed as pending, retried later
                log.exception("cannot record the delivery of message %s", item.message_id)
            outcomes.append(delivery)
        return outcomes

    def suppress(self, withdrawn: list[tuple]) -> None:
        """Tell the providers with an opt-out API about each (record, channel) withdrawn."""
        done = set()
        for record, channel in withdrawn:
            contact = recipient_of(record, channel)
            if not contact or (channel, contact) in done or channel not in self.senders:
                continue
            done.add((channel, contact))
            try:
                outcome = self.senders.suppress(channel, contact)
            except Exception:  # noqa: BLE001
                log.exception("suppress via %s", channel)
                continue
            if outcome.status == UNSUPPORTED:
                continue
            with self.ledger.transaction() as db:
                deliveries.add(db, self.now(), deliveries.new_message_id(), record, channel=channel,
                               kind=SUPPRESSION, purposes=(), locale=record["locale"], site_url="", api_url="",
                               provider=self.senders[channel].name, status=outcome.status,
                               provider_id=outcome.provider_id, error=deliveries.scrub(outcome.error, contact),
                               attempts=outcome.attempts)

    def statuses(self, reports) -> int:
        """Delivery reports from a provider's webhook (webhooks.Status): appended to the
        message they name; returns how many were new."""
        count = 0
        with self.ledger.transaction() as db:
            for report in reports:
                row = deliveries.by_provider_id(db, report.id)
                if row is None or row["status"] == report.status:
                    continue
                deliveries.follow(db, self.now(), row, report.status, error=report.error)
                count += 1
        return count

    # -- optin ledger retry ----------------------------------------------------------------
    def retry(self, message_ids: list[str] | None = None) -> list[tuple[str, str, str | None]]:
        """Send every pending message (or those named) again: (message_id, status, error) each."""
        report, items = [], []
        with self.ledger.transaction() as db:
            expire_stale(db, self.now())
            for row in deliveries.current(db, PENDING):
                if message_ids and row["message_id"] not in message_ids:
                    continue
                item, why = self._again(db, row)
                if item is None:
                    deliveries.follow(db, self.now(), row, CANCELLED, error=why)
                    report.append((row["message_id"], CANCELLED, why))
                else:
                    items.append(item)
        for item, delivery in zip(items, self.send(items)):
            report.append((item.message_id, delivery.status, deliveries.scrub(delivery.error, item.message.recipient)))
        return report

    def _again(self, db, row) -> tuple[Outgoing | None, str | None]:
        import json

        campaign = self.campaigns.get(row["campaign"])
        record = Ledger.record(db, row["record_id"])
        if campaign is None:
            return None, f"campaign {row['campaign']} is not loaded"
        recipient = recipient_of(record, row["channel"])
        if not recipient:
            return None, "the contact was erased"
        if row["kind"] == OPT_OUT_REPLY:
            return self.opt_out_reply(db, record, campaign, row["channel"], recipient, row["site_url"],
                                      row["message_id"]), None
        if row["kind"] != CONFIRMATION:
            return None, f"a {row['kind']} message is not sent again"
        state = Ledger.state(db, row["record_id"])
        still = [p for p in json.loads(row["purposes"]) if state.get(p) == "requested"]
        if not still:
            return None, "nothing left to confirm (confirmed, withdrawn or expired)"
        return self.confirmation(db, record, campaign, row["locale"], still, recipient, row["site_url"],
                                 row["api_url"], row["message_id"]), None


def _iso(moment) -> str:
    from .flows import iso

    return iso(moment)
