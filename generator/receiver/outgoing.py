"""Messages on their way out: composed inside the request's transaction (a confirmation gets its
token and code there, and its withdraw link, which is also an email's one-click unsubscribe
address; a `queued` delivery row is written with them), sent through the channel's sender
after the commit, and the outcome appended to `deliveries` (deliveries.py). A failed send never
touches the submission: it stays in the ledger, listed by `optin ledger deliveries` and sent
again by `optin ledger retry`.

No token, code or withdraw link is ever stored or logged in clear: the tokens' digests are
in `tokens` and `unsubscribe_tokens`, the rendered message lives only in memory until the
sender has it, and provider errors are stored and logged with the secrets cut out. So a
retry cannot rebuild a lost message: it issues a fresh token, code and withdraw link for the
purposes still awaiting confirmation (the old ones stay valid until they expire). Only the
local preview (`optin serve`, preview=True) keeps the messages as sent, link and code
included, in the outbox table it shows at /_outbox; elsewhere a channel without a provider
delivers nothing and keeps nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from generator.campaign.vocab import PHONE_CHANNELS
from generator.urls import campaign_page
from . import deliveries, tokens
from .deliveries import CANCELLED, CONFIRMATION, OPT_OUT_REPLY, PENDING, QUEUED, SUPPRESSION, WITHDRAWAL
from .ledger import Ledger, expire_stale
from .messages import Message, confirmation, opt_out_message, withdrawal_notice
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
                 clock, now, on_message=None, preview: bool = False):
        self.ledger, self.senders = ledger, senders or outbox_senders()
        self.campaigns, self.locales, self.ttl = campaigns, locales, ttl
        self.clock, self.now = clock, now  # now(): the ledger's ISO timestamp of clock()
        self.on_message = on_message or (lambda message: None)
        self.preview = preview  # `optin serve`: the outbox table keeps the messages as sent

    # -- inside the transaction ------------------------------------------------------------
    def confirmation(self, db, record, campaign, lang: str, purposes: list[str], recipient: str,
                     site_url: str, api_url: str, message_id: str | None = None, ts: str | None = None) -> Outgoing:
        """A new token and code for `purposes` of `record`, and the message carrying them
        (`ts`: when it was made, default now)."""
        chosen = [p for p in campaign.purposes if p.id in purposes]
        ids = [p.id for p in chosen]
        now = self.clock()
        token, code = tokens.issue(db, record, ids, _iso(now + self.ttl), _iso(now + tokens.CODE_TTL), _iso(now))
        link = f"{campaign_page(site_url, campaign.id, lang, 'confirm.html')}?t={token}&p={','.join(ids)}"
        stop = ""
        if api_url:  # the recipient's own withdraw link: only its digest is kept
            secret = tokens.new_token()
            group = PHONE_CHANNELS if chosen[0].channel in PHONE_CHANNELS else {"email"}
            deliveries.add_unsubscribe(db, tokens.digest(secret), record, self.now(), group)
            stop = f"{api_url}/unsubscribe?t={secret}"
        message = confirmation(self.locales.translations(lang), campaign, lang, [p.channel for p in chosen],
                               recipient, ids, link, code, campaign_page(site_url, campaign.id, lang, "withdraw.html"),
                               max(1, round(self.ttl.total_seconds() / 3600)),
                               stop if chosen[0].channel == "email" else "", stop)
        return self.queue(db, message, record, site_url, api_url, message_id, ts)

    def withdrawal_notices(self, db, hits: list[tuple], site_url: str) -> list[Outgoing]:
        """One notice per contact whose consent was withdrawn on the page or by link: `hits` are
        (record, purposes withdrawn); a phone's notice goes by the first such purpose's channel."""
        grouped: dict[tuple, list] = {}
        for record, purposes in hits:
            campaign = self.campaigns.get(record["campaign"])
            if campaign is None:
                continue
            for group in (PHONE_CHANNELS, {"email"}):
                mine = [p for p in campaign.purposes if p.id in purposes and p.channel in group]
                contact = recipient_of(record, mine[0].channel) if mine else None
                if contact:
                    entry = grouped.setdefault((campaign.id, contact), [record, mine[0].channel, []])
                    entry[0] = record  # the latest record's locale speaks
                    entry[2] += [p.id for p in mine if p.id not in entry[2]]
        return [self.withdrawal_notice(db, record, self.campaigns[cid], channel, purposes, site_url)
                for (cid, _), (record, channel, purposes) in grouped.items()]

    def withdrawal_notice(self, db, record, campaign, channel: str, purposes: list[str], site_url: str,
                          message_id: str | None = None) -> Outgoing:
        lang = record["locale"]
        ordered = [p.id for p in campaign.purposes if p.id in purposes]
        message = withdrawal_notice(self.locales.translations(lang), campaign, lang, channel,
                                    recipient_of(record, channel), ordered, campaign_page(site_url, campaign.id, lang))
        return self.queue(db, message, record, site_url, "", message_id)

    def opt_out_reply(self, db, record, campaign, channel: str, recipient: str, site_url: str = "",
                      message_id: str | None = None) -> Outgoing:
        message = opt_out_message(self.locales.translations(record["locale"]), campaign, record["locale"],
                                  channel, recipient)
        return self.queue(db, message, record, site_url, "", message_id)

    def queue(self, db, message: Message, record, site_url: str, api_url: str,
              message_id: str | None = None, ts: str | None = None) -> Outgoing:
        sender = self.senders[message.channel]
        if isinstance(sender, Outbox) and self.preview:  # erasure finds them by the record's created
            Ledger.add_outbox(db, ts or self.now(), message)
        elif isinstance(sender, Outbox):
            log.warning("no provider for %s: the %s message of record %s is not delivered (and not kept)",
                        message.channel, message.kind, record["record_id"])
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
                log.error("sender error: %s", type(exc).__name__)  # no traceback: it may quote the message
                delivery = Delivery(None, "failed", f"unexpected {type(exc).__name__}: {exc}", 1)
            error = deliveries.scrub(delivery.error, item.message.recipient, item.message.secrets)
            if not delivery.ok:
                log.warning("delivery of %s via %s: %s (%s)", item.message.kind, item.message.channel,
                            delivery.status, error)
            try:
                with self.ledger.transaction() as db:
                    row = deliveries.latest(db, item.message_id)
                    deliveries.follow(db, self.now(), row, delivery.status, provider_id=delivery.provider_id,
                                      error=error, attempts=delivery.attempts)
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
            report.append((item.message_id, delivery.status,
                           deliveries.scrub(delivery.error, item.message.recipient, item.message.secrets)))
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
        if row["kind"] == WITHDRAWAL:
            return self.withdrawal_notice(db, record, campaign, row["channel"], json.loads(row["purposes"]),
                                          row["site_url"], row["message_id"]), None
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
