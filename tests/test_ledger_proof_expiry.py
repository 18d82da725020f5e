"""The proof of a consent ends too: the notice says the pseudonymous proof is kept for the
campaign's proof_years after consent ended, so purge then removes the record, its pseudonym and
its events, which leave tombstones (id, prev_hash, hash) for `optin ledger verify` to link.
Every test of the `ledger` fixture runs on SQLite and on a real PostgreSQL server."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from generator.cli.main import main
from generator.receiver import proof, retention
from generator.receiver.ledger import Ledger
from generator.receiver.ledger_schema import VERSION
from generator.receiver.retention import Periods
from support import postgres
from support.postgres import drop_trigger, run
from support.projects import example_project

KEY = b"test-key"
OLD, KEPT = "+4791111111", "+4792222222"


def record(record_id, phone, created="2020-01-01T10:00:00.000Z", campaign="nordlys-sko"):
    return {"record_id": record_id, "created": created, "campaign": campaign, "controller": {"name": "Nordlys Sko AS"},
            "jurisdiction": "NO", "locale": "nb", "phone": phone, "email": None, "pii_categories": ["phone number"],
            "purposes": [{"id": "offers", "channel": "sms", "retention_months": 24}],
            "notice_version": "n" * 64, "wording_version": "w" * 64, "notice_url": "https://x.example/privacy.html",
            "page_url": "https://x.example/", "client_timestamp": created, "method": "signup-page:json", "extra": {}}


def consented(ledger, rec, withdrawn=None, given="2020-01-01T10:05:00.000Z"):
    """A sign-up confirmed at `given` (its token used, a delivery row), withdrawn at `withdrawn`."""
    with ledger.transaction() as db:
        Ledger.add_record(db, rec)
        Ledger.add_event(db, rec["created"], rec, "requested", ["offers"], "nb", rec["method"])
        Ledger.add_token(db, "tok-" + rec["record_id"], "code-" + rec["record_id"], rec, ["offers"],
                         "2020-01-03T10:00:00.000Z")
        db.execute("INSERT INTO deliveries (id, message_id, ts, record_id, campaign, locale, channel, kind, purposes,"
                   " site_url, api_url, provider, status) VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM deliveries),"
                   " ?, ?, ?, ?, 'nb', 'sms', 'confirmation', '[\"offers\"]', '', '', 'outbox', 'outbox')",
                   ("m-" + rec["record_id"], rec["created"], rec["record_id"], rec["campaign"]))
        Ledger.use_token(db, "tok-" + rec["record_id"], given)
        Ledger.add_event(db, given, rec, "given", ["offers"], "nb", "confirm-page:link")
        if withdrawn:
            Ledger.add_event(db, withdrawn, rec, "withdrawn", ["offers"], "nb", "withdraw-page")


@pytest.fixture(params=postgres.BACKENDS)
def ledger(request, tmp_path):
    store = Ledger.open(postgres.target(request.param, tmp_path), key=KEY)
    yield store
    store.close()


def rows(ledger, sql, *args):
    db = postgres.raw(ledger)
    try:
        return [tuple(r) for r in run(db, sql, *args).fetchall()]
    finally:
        db.close()


def two_sign_ups(ledger):
    """`old` withdrawn 2021-01-01 (proof due 2024-01-01 with 3 years); `kept` still consented."""
    consented(ledger, record("old", OLD), withdrawn="2021-01-01T00:00:00.000Z")
    consented(ledger, record("kept", KEPT, created="2020-06-01T10:00:00.000Z"), given="2020-06-01T10:05:00.000Z")


def test_the_proof_is_kept_for_its_period_then_removed(ledger):
    two_sign_ups(ledger)
    pseudonym = ledger.contact_hmac(OLD)
    periods = Periods({"nordlys-sko": {"offers": 120}}, proof={"nordlys-sko": 3})
    early = retention.purge(ledger, periods, "2023-12-31T23:59:59.000Z")
    assert early["consent_ended"] == ["old"] and early["proof_expired"] == [] and early["pruned_events"] == 0
    assert rows(ledger, "SELECT record_id, phone, contact_hmac FROM records ORDER BY record_id") == [
        ("kept", KEPT, ledger.contact_hmac(KEPT)), ("old", None, pseudonym)]  # the proof stays, pseudonymous
    dry = retention.purge(ledger, periods, "2024-01-01T00:00:00.000Z", dry_run=True)
    assert dry["proof_expired"] == ["old"] and len(rows(ledger, "SELECT id FROM events")) == 6
    report = retention.purge(ledger, periods, "2024-01-01T00:00:00.000Z")
    assert report["proof_expired"] == ["old"] and report["pruned_events"] == 4  # requested, given, withdrawn, erased
    assert rows(ledger, "SELECT record_id FROM records") == [("kept",)]
    assert rows(ledger, "SELECT DISTINCT record_id FROM events") == [("kept",)]
    for table in ("tokens", "deliveries"):
        assert rows(ledger, f"SELECT DISTINCT record_id FROM {table}") == [("kept",)], table
    tombstones = rows(ledger, "SELECT id, pruned FROM pruned_events ORDER BY id")
    assert [t[0] for t in tombstones] == [1, 2, 3, 6] and {t[1] for t in tombstones} == {report["now"]}
    verdict = proof.verify(ledger)
    assert verdict.ok and (verdict.events, verdict.pruned) == (2, 4), verdict
    assert str(verdict) == "OK: 2 events, 4 pruned (linked by their stored hashes), hash chain intact"
    assert retention.purge(ledger, periods, "2024-06-01T00:00:00.000Z")["proof_expired"] == []
    # the chain goes on from its head, pruned or not
    with ledger.transaction() as db:
        kept = Ledger.record(db, "kept")
        assert Ledger.add_event(db, "2024-06-01T00:00:00.000Z", kept, "withdrawn", ["offers"], "nb", "t") == 7
    assert proof.verify(ledger).ok


def test_the_proof_period_counts_from_the_end_of_consent_per_campaign(ledger):
    consented(ledger, record("short", OLD, campaign="kedai-harmoni"), withdrawn="2021-01-01T00:00:00.000Z")
    consented(ledger, record("default", KEPT), withdrawn="2021-01-01T00:00:00.000Z")
    periods = Periods(proof={"kedai-harmoni": 1})  # nordlys-sko is not loaded: the default, 3 years
    assert retention.purge(ledger, periods, "2021-12-31T00:00:00.000Z", dry_run=True)["proof_expired"] == []
    assert retention.purge(ledger, periods, "2022-01-01T00:00:00.000Z", dry_run=True)["proof_expired"] == ["short"]
    assert retention.purge(ledger, periods, "2024-01-01T00:00:00.000Z")["proof_expired"] == ["short", "default"]
    assert rows(ledger, "SELECT COUNT(*) FROM records") == [(0,)] and proof.verify(ledger).ok
    # a record still consented keeps its proof however old it is
    consented(ledger, record("alive", "+4793333333"))
    assert retention.purge(ledger, Periods(retention={"nordlys-sko": {"offers": 10**4}}),
                           "2090-01-01T00:00:00.000Z")["proof_expired"] == []


def test_the_pseudonym_leaves_the_sqlite_files(tmp_path):
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path, key=KEY)
    two_sign_ups(ledger)
    pseudonym, other = ledger.contact_hmac(OLD).encode(), ledger.contact_hmac(KEPT).encode()
    idle = postgres.raw(ledger)  # a reader stays connected, as a running receiver's would
    idle.execute("SELECT COUNT(*) FROM records").fetchone()

    def files() -> bytes:
        return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    periods = Periods({"nordlys-sko": {"offers": 120}})  # "kept" stays consented throughout
    retention.purge(ledger, periods, "2023-01-01T00:00:00.000Z")  # contact erased, proof kept
    assert OLD.encode() not in files() and pseudonym in files() and b"old" in files()
    report = retention.purge(ledger, periods, "2024-01-02T00:00:00.000Z")
    assert report["proof_expired"] == ["old"] and report["wal_truncated"] is True
    data = files()
    assert pseudonym not in data and other in data and KEPT.encode() in data
    assert b"tok-old" not in data and b"m-old" not in data
    idle.close()
    ledger.close()


def tamper(ledger, *statements):
    db = postgres.raw(ledger)
    for trigger, table in (("events_append_only_u", "events"), ("events_append_only_d", "events"),
                           ("pruned_events_append_only_u", "pruned_events"),
                           ("pruned_events_append_only_d", "pruned_events")):
        drop_trigger(db, trigger, table)
    for sql in statements:
        run(db, sql)
    db.close()


@pytest.mark.parametrize("statements, broken", [
    (["UPDATE events SET method = 'forged' WHERE id = 4"], 4),        # a kept event changed
    (["DELETE FROM events WHERE id = 4"], 5),                           # a kept event deleted
    (["DELETE FROM pruned_events WHERE id = 3"], 4),                    # a tombstone deleted
    (["UPDATE pruned_events SET hash = prev_hash WHERE id = 3"], 4),    # a tombstone changed
    (["UPDATE pruned_events SET prev_hash = hash WHERE id = 2"], 2),
    (["INSERT INTO pruned_events (id, prev_hash, hash, pruned) SELECT 4, prev_hash, hash, pruned"
      " FROM pruned_events WHERE id = 3"], 4),                          # a tombstone beside a live event
    (["INSERT INTO pruned_events (id, prev_hash, hash, pruned) SELECT 9, hash, hash, pruned"
      " FROM pruned_events WHERE id = 6"], 9),                          # one after the head
    (["DELETE FROM pruned_events WHERE id = 6"], 7),                    # a tombstone before the head
    (["DELETE FROM events WHERE id = 7"], 7),                           # the head ("kept" erased)
])
def test_verify_still_catches_tampering_next_to_tombstones(ledger, statements, broken):
    two_sign_ups(ledger)
    retention.purge(ledger, Periods(), "2024-01-02T00:00:00.000Z")
    assert proof.verify(ledger).ok
    tamper(ledger, *statements)
    verdict = proof.verify(ledger)
    assert not verdict.ok and verdict.broken == broken, verdict


def test_events_and_records_are_deleted_only_as_purge_prunes_them(ledger):
    two_sign_ups(ledger)
    consented(ledger, record("gone", "+4793333333", created="2019-01-01T10:00:00.000Z"),
              given="2019-01-01T10:05:00.000Z", withdrawn="2019-06-01T00:00:00.000Z")
    report = retention.purge(ledger, Periods(), "2023-01-01T00:00:00.000Z")  # "old" erased, "gone" pruned
    assert report["consent_ended"] == ["gone", "old"] and report["proof_expired"] == ["gone"]
    errors = postgres.db_errors()
    db = postgres.raw(ledger)
    try:
        for statements in (
            ["DELETE FROM events WHERE record_id = 'old'"],  # no tombstone
            ["INSERT INTO pruned_events (id, prev_hash, hash, pruned) SELECT id, prev_hash, hash, 'x' FROM events"
             " WHERE record_id = 'old'", "DELETE FROM events WHERE record_id = 'old'"],  # tombstones, no gate
            ["INSERT INTO prune_gate VALUES ('kept')", "DELETE FROM tokens WHERE record_id = 'kept'",
             "DELETE FROM deliveries", "DELETE FROM records WHERE record_id = 'kept'"],  # not blank, has events
            ["INSERT INTO prune_gate VALUES ('old')", "DELETE FROM records WHERE record_id = 'old'"],  # has events
            ["UPDATE pruned_events SET hash = 'x'"], ["DELETE FROM pruned_events"],
        ):
            run(db, "BEGIN")
            with pytest.raises(errors, match="append-only|foreign key|FOREIGN KEY"):
                for sql in statements:
                    run(db, sql)
            run(db, "ROLLBACK")
    finally:
        db.close()
    assert proof.verify(ledger).ok and len(rows(ledger, "SELECT id FROM events")) == 7


def test_a_ledger_from_before_tombstones_is_migrated(tmp_path, monkeypatch):
    """The step that brings tombstones keeps the chain: a ledger made at the version before it,
    with events, is migrated, pruned and still verifies."""
    from generator.receiver import ledger_schema

    step = next(v for v, f in ledger_schema.MIGRATIONS.items() if f is ledger_schema.to_v5)
    path = tmp_path / "before.sqlite"
    monkeypatch.setattr(ledger_schema, "VERSION", step - 1)
    old = Ledger(path, key=KEY)
    two_sign_ups(old)
    old.close()
    monkeypatch.undo()
    store = Ledger(path, key=KEY)
    assert store.migrated == (step - 1, VERSION) and proof.verify(store).ok
    assert retention.purge(store, Periods(), "2024-01-02T00:00:00.000Z")["proof_expired"] == ["old"]
    assert proof.verify(store).ok


def test_optin_ledger_purge_uses_each_campaigns_proof_years(tmp_path):
    project = example_project(tmp_path / "p")
    (project.root / "optin.toml").write_text('[receiver]\nledger = "ledger.sqlite"\n')
    store = Ledger(project.root / "ledger.sqlite")
    consented(store, record("old", OLD), withdrawn="2021-01-01T00:00:00.000Z")  # over 3 years ago
    store.close()

    def purge(*args):
        res = CliRunner().invoke(main, ["-f", str(project.root / "optin.toml"), "ledger", "purge", *args])
        assert res.exception is None, res.output
        return json.loads(res.output)
    assert purge("--dry-run")["proof_expired"] == ["old"]
    campaign = project.root / "campaigns" / "nordlys-sko.yaml"
    campaign.write_text(campaign.read_text(encoding="utf-8") + "proof_years: 10\n", encoding="utf-8")
    assert purge("--dry-run")["proof_expired"] == []
    assert purge()["consent_ended"] == ["old"]
    res = CliRunner().invoke(main, ["-f", str(project.root / "optin.toml"), "ledger", "verify"])
    assert res.exit_code == 0 and res.output.startswith("OK: 4 events")
