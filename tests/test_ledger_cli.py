"""`optin ledger verify | purge | erase | access` on a project's ledger (retention from the
project's campaigns, the key file from [receiver] key_file)."""
from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from generator.cli.main import main
from generator.receiver.ledger import Ledger
from support.projects import example_project

PHONE = "+4791234567"


def add_signup(ledger: Ledger, record_id: str, phone: str, created: str, given: str | None) -> None:
    rec = {"record_id": record_id, "created": created, "campaign": "nordlys-sko", "controller": {"name": "Nordlys Sko AS"},
           "jurisdiction": "NO", "locale": "nb", "phone": phone, "email": None, "pii_categories": ["phone number"],
           "purposes": [{"id": "offers", "channel": "whatsapp", "retention_months": 24}],
           "notice_version": "n" * 64, "wording_version": "w" * 64, "notice_url": "https://x.example/privacy.html",
           "page_url": "https://x.example/", "client_timestamp": created, "method": "signup-page:json", "extra": {}}
    with ledger.transaction() as db:
        Ledger.add_record(db, rec)
        Ledger.add_event(db, created, rec, "requested", ["offers"], "nb", rec["method"])
        if given:
            Ledger.add_event(db, given, rec, "given", ["offers"], "nb", "confirm-page:link")


@pytest.fixture
def proj(tmp_path):
    """A project with the example campaigns, a ledger of two sign-ups and its own key file."""
    project = example_project(tmp_path / "p")
    (project.root / "optin.toml").write_text('[receiver]\nledger = "data/ledger.sqlite"\nkey_file = "secret.key"\n')
    (project.root / "secret.key").write_text("project-key\n")
    store = Ledger(project.root / "data" / "ledger.sqlite", key_file=project.root / "secret.key")
    add_signup(store, "old", PHONE, "2020-01-01T10:00:00.000Z", "2020-01-01T10:05:00.000Z")  # offers: 24 months
    add_signup(store, "new", "+4798765432", "2099-01-01T10:00:00.000Z", "2099-01-01T10:05:00.000Z")
    return project


def run(project, *args):
    return CliRunner().invoke(main, ["-f", str(project.root / "optin.toml"), "ledger", *args])


def test_verify_prints_ok_or_the_first_broken_event(proj):
    res = run(proj, "verify")
    assert res.exception is None and res.exit_code == 0 and res.output.startswith("OK: 4 events")
    db = sqlite3.connect(proj.root / "data" / "ledger.sqlite")
    db.execute("DROP TRIGGER events_append_only_u")
    db.execute("UPDATE events SET event = 'given' WHERE id = 3")
    db.commit()
    db.close()
    res = run(proj, "verify")
    assert res.exit_code == 1 and "broken at event 3" in res.output
    assert isinstance(res.exception, SystemExit)


def test_purge_uses_the_campaigns_retention(proj):
    dry = run(proj, "purge", "--dry-run")
    assert dry.exception is None, dry.output
    report = json.loads(dry.output)
    assert report["dry_run"] and report["retention_ended"] == ["old"] and report["records"] == 0
    assert not (proj.root / "data" / "ledger.sqlite.key").exists()  # the configured key file was used
    res = run(proj, "purge")
    assert res.exception is None and json.loads(res.output)["records"] == 1
    data = (proj.root / "data" / "ledger.sqlite").read_bytes()
    assert PHONE.encode() not in data and b"+4798765432" in data
    assert run(proj, "verify").exit_code == 0


def test_erase_and_access(proj):
    res = run(proj, "access", "--contact", "+47 912 34 567", "--format", "text")
    assert res.exception is None and "phone +4791234567: 1 record(s)" in res.output and "given" in res.output
    res = run(proj, "erase", "--contact", PHONE, "--reason", "asked by phone")
    assert res.exception is None and json.loads(res.output)["erased_records"] == ["old"]
    found = json.loads(run(proj, "access", "--contact", PHONE).output)
    assert [r["phone"] for r in found["records"]] == [None]
    assert [(e["event"], e["method"]) for e in found["events"]][-1] == ("erased", "erase:asked by phone")
    exported = run(proj, "export", "--contact", PHONE)
    assert [json.loads(line)["event"] for line in exported.output.splitlines()] == ["requested", "given", "erased"]


def test_bad_input_is_a_clean_error(proj, tmp_path):
    missing = run(proj, "verify", "--ledger", str(tmp_path / "none.sqlite"))
    assert missing.exit_code == 2 and "no ledger" in missing.output
    bad = run(proj, "erase", "--contact", "hello")
    assert bad.exit_code == 2 and "neither an email" in bad.output
    (proj.root / "secret.key").unlink()
    nokey = run(proj, "access", "--contact", PHONE)
    assert nokey.exit_code == 2 and "secret.key does not exist" in nokey.output


def test_erase_asks_the_providers_to_suppress_the_contact(proj, monkeypatch):
    from generator.receiver import senders as senders_mod
    from generator.receiver.senders import SUPPRESSED, Delivery, Sender, Senders

    asked = []

    class Recording(Sender):
        name = "recording"

        def suppress(self, contact):
            asked.append(contact)
            return Delivery("sup-1", SUPPRESSED)

    monkeypatch.setattr(senders_mod, "from_settings",
                        lambda settings, env: Senders(whatsapp=Recording(), sms=Sender(), email=Recording()))
    res = run(proj, "erase", "--contact", PHONE)
    assert res.exception is None, res.output
    assert json.loads(res.output)["suppression"] == {"whatsapp": SUPPRESSED, "sms": "unsupported"}
    assert asked == [PHONE]  # the phone channels only; email is not this contact's channel


def test_purge_erases_at_once_when_consent_ended(proj):
    """The notice says contact details go when consent ends: a withdrawal does not wait for the
    retention period."""
    store = Ledger(proj.root / "data" / "ledger.sqlite", key_file=proj.root / "secret.key")
    with store.transaction() as db:
        Ledger.add_event(db, "2099-01-02T10:00:00.000Z", Ledger.record(db, "new"), "withdrawn", ["offers"], "nb",
                         "withdraw-page")
    report = json.loads(run(proj, "purge", "--dry-run").output)
    assert report["consent_ended"] == ["new"] and report["retention_ended"] == ["old"]


def test_purge_uses_each_campaigns_unconfirmed_days(proj):
    """Sign-ups never confirmed go after the campaign's unconfirmed_days, the period the pages state."""
    store = Ledger(proj.root / "data" / "ledger.sqlite", key_file=proj.root / "secret.key")
    from datetime import datetime, timedelta, timezone

    forty_days_ago = (datetime.now(timezone.utc) - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    add_signup(store, "pending", "+4790000001", forty_days_ago, None)  # past the default 30 days
    assert json.loads(run(proj, "purge", "--dry-run").output)["unconfirmed"] == ["pending"]
    campaign = proj.root / "campaigns" / "nordlys-sko.yaml"
    campaign.write_text(campaign.read_text(encoding="utf-8") + "unconfirmed_days: 365\n", encoding="utf-8")
    assert json.loads(run(proj, "purge", "--dry-run").output)["unconfirmed"] == []
