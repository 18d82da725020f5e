"""Ledgers for the audit tests, made by the real receiver (sign-ups, confirmations, withdrawals
by page and by reply, the scheduled purge) with a sender that answers as a provider would:
`clean()` is a ledger an auditor finds nothing in; `seed_problems()` adds one record per
problem the audit must name. Times are relative to the real clock (the command line audits
"now"), moved by the receiver's own clock."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from generator.receiver.ledger import Ledger
from generator.receiver.retention import Periods, purge
from generator.receiver.senders import (
    DEFERRED,
    SENT,
    SUPPRESSED,
    Delivery,
    Sender,
    Senders,
)
from generator.receiver.webhooks import Inbound, Status
from support.receiver import Rx, shown, signup, token_of

CAMPAIGN = "nordlys-sko"
PHONES = {name: f"+479{n:07d}" for n, name in enumerate("abcdefgh", start=1234500)}


class Scripted(Sender):
    """A provider: accepts every message (a provider id each) except to `deferred` recipients
    (unreachable for now), and has an opt-out API."""

    name = "fake-provider"

    def __init__(self, deferred: set[str]):
        self.deferred, self.ids = deferred, itertools.count(1)

    def send(self, message) -> Delivery:
        if message.recipient in self.deferred:
            return Delivery(None, DEFERRED, "provider unreachable")
        return Delivery(f"wamid.{next(self.ids)}", SENT)

    def suppress(self, contact: str) -> Delivery:
        return Delivery(f"sup.{next(self.ids)}", SUPPRESSED)


@dataclass
class Scenario:
    rx: Rx
    base: datetime
    ids: dict = field(default_factory=dict)  # name -> record_id

    @property
    def campaigns(self) -> list:
        return list(self.rx.app.campaigns.values())

    def at(self, moment: datetime) -> None:
        self.rx.clock.now = moment

    def join(self, name: str, confirm: bool = True) -> str:
        rx = self.rx
        res = rx.post("submit", shown(rx.app, signup(campaign=CAMPAIGN, phone=PHONES[name])))
        assert res.status_code == 202, res.get_data(as_text=True)
        self.ids[name] = res.get_json()["record_id"]
        if confirm:
            rx.clock.now += timedelta(minutes=4)
            body = {"campaign": CAMPAIGN, "locale": "nb", "token": token_of(rx.sent[-1]), "purposes": ["*"]}
            assert rx.post("confirm", body).status_code == 200
        return self.ids[name]


def publish(rx: Rx) -> None:
    """What `optin build --strict` does to the notices archive: the current versions published."""
    from generator.legal import archive
    from generator.site.views import resolve_all

    for campaign in rx.app.campaigns.values():
        archive.record(campaign, resolve_all(campaign, rx.project.locales))


def published(rx: Rx) -> dict:
    from generator.site import published as manifest

    return {c.id: manifest.read(manifest.archive_dir(c)) for c in rx.app.campaigns.values()}


def clean(target, folder) -> Scenario:
    """Four sign-ups 20 days ago, three confirmed; one withdraws on the page, one by replying
    STOP; the receiver's purge runs after each."""
    deferred: set[str] = set()
    rx = Rx(target, folder=folder, senders=Senders({c: Scripted(deferred) for c in ("whatsapp", "sms", "email")}))
    rx.deferred = deferred
    publish(rx)
    scene = Scenario(rx, datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=20))
    scene.at(scene.base)
    for name in "abc":
        scene.join(name)
    scene.join("d", confirm=False)
    scene.at(scene.base + timedelta(days=3))
    res = rx.post("withdraw", {"campaign": CAMPAIGN, "locale": "nb", "phone": PHONES["a"], "purposes": ["*"]})
    assert res.status_code == 200
    scene.at(scene.base + timedelta(days=4))
    assert rx.app.replies.inbound(Inbound("whatsapp", PHONES["b"], "wamid.in.1", "STOP")) == "withdrawn"
    scene.at(scene.base + timedelta(days=4, hours=1))
    purge(rx.ledger, Periods.of(scene.campaigns), rx.clock())
    return scene


def seed_problems(scene: Scenario) -> dict[str, str]:
    """One record per problem: kept past its retention (signed up three years ago, never
    purged), a version never published, a failed delivery after consent, a tampered event, a
    message stuck pending. Returns problem code -> record_id."""
    rx, base = scene.rx, scene.base
    scene.at(base - timedelta(days=3 * 365))
    old = scene.join("e")
    scene.at(base + timedelta(days=5))
    forged = {"record_id": "forged-version-record", "created": rx.app.flows.now(), "campaign": CAMPAIGN,
              "controller": {"name": "Nordlys Sko AS"}, "jurisdiction": "NO", "locale": "nb", "phone": PHONES["h"],
              "email": None, "pii_categories": ["phone number"],
              "purposes": [{"id": "offers", "channel": "whatsapp", "retention_months": 24}],
              "notice_version": "f" * 64, "wording_version": "e" * 64, "notice_url": "https://x.example/p.html",
              "page_url": "https://x.example/", "client_timestamp": rx.app.flows.now(), "method": "signup-page:json",
              "extra": {}}
    with rx.ledger.transaction() as db:
        Ledger.add_record(db, forged)
        Ledger.add_event(db, forged["created"], forged, "requested", ["offers"], "nb", forged["method"])
        Ledger.add_event(db, forged["created"], forged, "given", ["offers"], "nb", "confirm-page:link")
    failed = scene.join("f")
    scene.at(base + timedelta(days=6))
    provider_id = rx.rows("SELECT provider_id FROM deliveries WHERE record_id = ? AND provider_id IS NOT NULL",
                          failed)[0][0]
    assert rx.app.postman.statuses([Status(provider_id, "failed", PHONES["f"], "131026 undeliverable")]) == 1
    rx.deferred.add(PHONES["g"])
    stuck = scene.join("g", confirm=False)
    tampered = scene.ids["c"]
    _tamper(rx, tampered)
    return {"retention_overdue": old, "unpublished_version": forged["record_id"], "failed_after_consent": failed,
            "stuck_delivery": stuck, "chain_broken": tampered}


def _tamper(rx: Rx, record_id: str) -> int:
    """Change one `given` event behind the ledger's back (as someone with the database would)."""
    from support import postgres

    db = postgres.raw(rx.ledger)
    try:
        postgres.drop_trigger(db, "events_append_only_u", "events")
        event_id = postgres.run(db, "SELECT MIN(id) FROM events WHERE record_id = ? AND event = 'given'",
                                record_id).fetchone()[0]
        postgres.run(db, "UPDATE events SET method = 'confirm-page:code' WHERE id = ?", event_id)
    finally:
        db.close()
    return event_id
