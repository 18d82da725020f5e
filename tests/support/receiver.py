"""A receiver of the example campaigns behind Werkzeug's test client, and request bodies, for the
receiver tests."""
from __future__ import annotations

import functools
import json
import re
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from werkzeug.test import Client

from generator.receiver.app import Receiver, load_campaigns
from generator.receiver.ledger import Ledger
from generator.receiver.ratelimit import Limit, Limits
from generator.site.views import resolve_all
from support import postgres
from support.projects import example_project

SITE = "http://127.0.0.1:8999"
KEY = b"test-key"  # the contact key of a PostgreSQL ledger (an SQLite one makes its own file)
ROOMY = Limits(per_address=Limit(10_000, 60), per_contact=Limit(100, 60), wrong_codes=Limit(100, 60),
               withdrawals_per_address=Limit(1000, 60))


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 23, 19, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


class Rx:
    """A receiver of the example campaigns (copied into a project in `folder`, or next to the
    ledger file) on an SQLite file or a `postgresql://` database (support.postgres.target).
    `preview`: as under `optin serve` (the outbox table keeps the messages), unless False (as
    in production: nothing but digests stored)."""

    def __init__(self, path: Path | str, limits: Limits = ROOMY, hours: float = 48, folder: Path | None = None,
                 preview: bool = True, senders=None):
        self.path = path
        self.clock = Clock()
        self.sent = []
        self.project = example_project((folder or Path(path).parent) / "project")
        self.ledger = Ledger.open(path, key=None if isinstance(path, Path) else KEY)
        self.app = Receiver(load_campaigns(self.project), self.ledger, self.project.locales, site_url=SITE,
                            clock=self.clock, token_ttl=timedelta(hours=hours), limits=limits,
                            on_message=self.sent.append, preview=preview, senders=senders)
        self.client = Client(self.app)

    @property
    def is_sqlite(self) -> bool:
        return self.ledger.backend.name == "sqlite"

    def post(self, name: str, body, content_type="application/json", **headers):
        data = json.dumps(body) if content_type == "application/json" and not isinstance(body, (str, bytes)) else body
        return self.client.post(f"/api/{name}", data=data, content_type=content_type, headers=headers)

    def rows(self, sql: str, *args):
        """Rows (as tuples) read straight from the storage, past the Ledger."""
        db = postgres.raw(self.ledger)
        try:
            return [tuple(row) for row in postgres.run(db, sql, *args).fetchall()]
        finally:
            db.close()

    def events(self):
        return [(e, json.loads(p), loc, m) for e, p, loc, m in
                self.rows("SELECT event, purposes, locale, method FROM events ORDER BY id")]

    def counts(self):
        return tuple(self.rows(f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("records", "events", "tokens", "outbox"))


@functools.cache
def _shown() -> dict[tuple[str, str], tuple[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        project = example_project(Path(tmp))
        return {(c.id, lang): (v.notice_version, v.wording_version)
                for c in load_campaigns(project) for lang, v in resolve_all(c, project.locales).items()}


def versions(campaign: str = "nordlys-sko", locale: str = "nb") -> tuple[str, str]:
    """(notice_version, wording_version) an example campaign's page sends in `locale`: the
    receiver takes no other (a made-up pair for a campaign or locale it does not know)."""
    return _shown().get((campaign, locale), ("a" * 64, "b" * 64))


def __getattr__(name: str) -> str:
    """NOTICE and WORDING: nordlys-sko's nb versions, rendered when first imported."""
    if name in ("NOTICE", "WORDING"):
        return versions()[name == "WORDING"]
    raise AttributeError(name)


def signup(campaign="nordlys-sko", locale="nb", purposes=("offers", "order_updates"), phone="+4791234567", **extra):
    notice, wording = versions(campaign, locale)
    body = {"campaign": campaign, "locale": locale, "purposes": list(purposes), "notice_version": notice,
            "wording_version": wording, "page_url": f"{SITE}/{campaign}/{locale}/",
            "client_timestamp": "2026-11-23T19:00:00.000Z"}
    if phone:
        body["phone"] = phone
    body.update(extra)
    return body


# A form posted by the browser itself (no JavaScript): it follows the receiver's redirect.
NAV = {"Sec-Fetch-Mode": "navigate", "Accept": "text/html,application/xhtml+xml"}
FORM = "application/x-www-form-urlencoded"


def token_of(message) -> str:
    return re.search(r"[?&]t=([^&]+)", message.link).group(1)


def event_counts(ledger) -> dict[str, int]:
    """Events per kind in a ledger (any backend), read through its own connection."""
    with ledger.reading() as db:
        return {row[0]: row[1] for row in db.execute("SELECT event, COUNT(*) FROM events GROUP BY event")}


def shown(app, body: dict) -> dict:
    """`body` with the notice and wording versions its campaign's page shows now (a receiver
    takes only versions a page has shown)."""
    from generator.site.views import resolve

    campaign = app.campaigns[body["campaign"]]
    view = resolve(campaign, body["locale"], app.locales)
    return {**body, "notice_version": view.notice_version, "wording_version": view.wording_version}
