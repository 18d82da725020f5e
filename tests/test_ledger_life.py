"""The consent ledger over its life: schema versions and migration, the events' hash chain
(and what tampering looks like), contact pseudonyms, erasure, purge after retention, access,
and CSV cells that stay text in a spreadsheet. Every test of the `ledger` fixture runs on
both backends (an SQLite file, a real PostgreSQL server); the tests that search the
database files' bytes, or migrate an SQLite file, are SQLite's alone."""
from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat
import threading
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from werkzeug.test import Client

from generator.errors import OptinError
from generator.receiver import export, proof, retention
from generator.receiver.app import Receiver, load_campaigns
from generator.receiver.ledger import Ledger
from generator.receiver.ledger_schema import VERSION
from generator.receiver.ratelimit import Limit, Limits
from support import postgres
from support.postgres import drop_trigger, run
from support.projects import example_project
from support.receiver import event_counts, versions

KEY = b"test-key"
PHONE, EMAIL = "+4791234567", "kari.nordmann@example.com"
ROOMY = Limits(per_address=Limit(10_000, 60), per_contact=Limit(100, 60), wrong_codes=Limit(100, 60))

# The schema as it shipped before versions were counted (version 1), word for word.
SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS records (
  record_id TEXT PRIMARY KEY, created TEXT NOT NULL, campaign TEXT NOT NULL,
  controller TEXT NOT NULL, jurisdiction TEXT NOT NULL, locale TEXT NOT NULL,
  phone TEXT, email TEXT, pii_categories TEXT NOT NULL, purposes TEXT NOT NULL,
  notice_version TEXT NOT NULL, wording_version TEXT NOT NULL, notice_url TEXT NOT NULL,
  page_url TEXT NOT NULL, client_timestamp TEXT NOT NULL, method TEXT NOT NULL, extra TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_phone ON records(campaign, phone);
CREATE INDEX IF NOT EXISTS records_email ON records(campaign, email);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL,
  record_id TEXT NOT NULL REFERENCES records(record_id), campaign TEXT NOT NULL,
  event TEXT NOT NULL CHECK (event IN ('requested','given','refused','withdrawn','expired')),
  purposes TEXT NOT NULL, notice_version TEXT NOT NULL, locale TEXT NOT NULL, method TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_record ON events(record_id);
CREATE TRIGGER IF NOT EXISTS records_append_only_u BEFORE UPDATE ON records
  BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS records_append_only_d BEFORE DELETE ON records
  BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_u BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_d BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;
CREATE TABLE IF NOT EXISTS tokens (
  token_hash TEXT PRIMARY KEY, code_hash TEXT NOT NULL, campaign TEXT NOT NULL,
  record_id TEXT NOT NULL REFERENCES records(record_id), purposes TEXT NOT NULL,
  expires TEXT NOT NULL, used TEXT, expired_logged INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tokens_code ON tokens(campaign, code_hash);
CREATE INDEX IF NOT EXISTS tokens_pending ON tokens(expires) WHERE used IS NULL AND expired_logged = 0;
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, campaign TEXT NOT NULL,
  locale TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL, body TEXT NOT NULL,
  link TEXT NOT NULL, code TEXT NOT NULL
);
"""
V1_ROWS = """
INSERT INTO records VALUES ('r1', '2020-01-01T10:00:00.000Z', 'nordlys-sko', '{"name": "Nordlys Sko AS"}', 'NO', 'nb',
  '+4791234567', NULL, '["phone number"]', '[{"channel": "whatsapp", "id": "offers", "retention_months": 24}]',
  'n1', 'w1', 'https://x.example/p.html', 'https://x.example/', '2020-01-01T09:59:59.000Z', 'signup-page:json', '{}');
INSERT INTO events (ts, record_id, campaign, event, purposes, notice_version, locale, method) VALUES
  ('2020-01-01T10:00:00.000Z', 'r1', 'nordlys-sko', 'requested', '["offers"]', 'n1', 'nb', 'signup-page:json'),
  ('2020-01-01T10:05:00.000Z', 'r1', 'nordlys-sko', 'given', '["offers"]', 'n1', 'nb', 'confirm-page:link');
INSERT INTO tokens VALUES ('t1', 'c1', 'nordlys-sko', 'r1', '["offers"]', '2020-01-03T10:00:00.000Z',
  '2020-01-01T10:05:00.000Z', 0);
INSERT INTO outbox (ts, campaign, locale, channel, recipient, body, link, code) VALUES
  ('2020-01-01T10:00:00.000Z', 'nordlys-sko', 'nb', 'whatsapp', '+4791234567', 'Hei', 'https://x.example/c', 'ABCD-EFGH');
"""


def v1_ledger(path):
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(SCHEMA_V1 + V1_ROWS)
    db.close()
    return path


def record(record_id="r1", created="2026-01-01T10:00:00.000Z", phone=PHONE, email=None, campaign="nordlys-sko",
           purposes=(("offers", 24), ("order_updates", 12)), **extra):
    return {"record_id": record_id, "created": created, "campaign": campaign, "controller": {"name": "Nordlys Sko AS"},
            "jurisdiction": "NO", "locale": "nb", "phone": phone, "email": email, "pii_categories": ["phone number"],
            "purposes": [{"id": p, "channel": "sms", "retention_months": m} for p, m in purposes],
            "notice_version": "n" * 64, "wording_version": "w" * 64, "notice_url": "https://x.example/privacy.html",
            "page_url": "https://x.example/", "client_timestamp": created, "method": "signup-page:json",
            "extra": extra or {}}


def signup(ledger, rec, given_at=None, token_expires="2099-01-01T00:00:00.000Z", used=None):
    """A record with its `requested` event, token and outbox message (and `given` if given_at)."""
    with ledger.transaction() as db:
        Ledger.add_record(db, rec)
        ids = [p["id"] for p in rec["purposes"]]
        Ledger.add_event(db, rec["created"], rec, "requested", ids, "nb", rec["method"])
        Ledger.add_token(db, "tok-" + rec["record_id"], "code-" + rec["record_id"], rec, ids, token_expires)
        for recipient, channel in ((rec["phone"], "sms"), (rec["email"], "email")):
            if recipient:
                Ledger.add_outbox(db, rec["created"], SimpleNamespace(
                    campaign=rec["campaign"], locale="nb", channel=channel, recipient=recipient,
                    body=f"Confirm, {recipient}", link="https://x.example/c?t=x", code="ABCD-EFGH"))
        if given_at:
            Ledger.use_token(db, "tok-" + rec["record_id"], used or given_at)
            Ledger.add_event(db, given_at, rec, "given", ids, "nb", "confirm-page:link")


@pytest.fixture(params=postgres.BACKENDS)
def ledger(request, tmp_path):
    store = Ledger.open(postgres.target(request.param, tmp_path), key=KEY)
    yield store
    store.close()


@pytest.fixture
def sqlite_ledger(tmp_path):
    return Ledger(tmp_path / "ledger.sqlite", key=KEY)


def is_sqlite(ledger) -> bool:
    return ledger.backend.name == "sqlite"


DB_ERRORS = postgres.db_errors()


def raw(path):
    db = sqlite3.connect(path)
    db.isolation_level = None
    return db


# -- schema versions --------------------------------------------------------------------------
def test_a_v1_ledger_is_migrated_keeping_its_data(tmp_path):
    path = v1_ledger(tmp_path / "old.sqlite")
    store = Ledger(path, key=KEY)
    assert store.migrated == (1, VERSION)
    db = raw(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION
    assert db.execute("SELECT record_id, phone, contact_hmac FROM records").fetchall() == [
        ("r1", PHONE, proof.hmac_of(KEY, PHONE))]
    events = db.execute("SELECT id, event, prev_hash, hash FROM events ORDER BY id").fetchall()
    assert [(e[0], e[1]) for e in events] == [(1, "requested"), (2, "given")]
    assert events[0][2] == proof.GENESIS and events[1][2] == events[0][3]
    assert db.execute("SELECT COUNT(*) FROM tokens").fetchone()[0] == 1
    assert db.execute("SELECT recipient FROM outbox").fetchall() == [(PHONE,)]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE records SET phone = NULL")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM events")
    db.close()
    assert proof.verify(store).ok
    # the new event kind is allowed, ids go on, and a second open changes nothing
    with store.transaction() as db:
        assert Ledger.add_event(db, "2020-02-01T00:00:00.000Z", Ledger.record(db, "r1"), "erased", ["offers"],
                                "nb", "erase:test") == 3
    assert Ledger(path, key=KEY).migrated == (VERSION, VERSION)
    counts = event_counts(store)
    assert proof.verify(store).ok and (counts["requested"], counts["given"], counts["erased"]) == (1, 1, 1)


def test_a_new_ledger_starts_at_the_current_version(ledger):
    assert ledger.migrated == (0, VERSION)
    with ledger.reading() as db:
        if is_sqlite(ledger):
            assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION
            assert db.execute("PRAGMA secure_delete").fetchone()[0] == 1
        else:
            assert db.execute("SELECT version FROM schema_version").fetchone()[0] == VERSION
    assert proof.verify(ledger).ok
    assert Ledger.open(ledger.path or ledger.backend.url, key=KEY).migrated == (VERSION, VERSION)


def test_a_failed_postgresql_migration_creates_nothing(tmp_path, monkeypatch):
    from generator.receiver import ledger_schema_pg

    url = postgres.target("postgresql", tmp_path)

    def broken(db, contact_hmac):
        ledger_schema_pg.create_v2(db, contact_hmac)
        raise RuntimeError("disk on fire")
    monkeypatch.setitem(ledger_schema_pg.MIGRATIONS, 2, broken)
    with pytest.raises(RuntimeError):
        Ledger.open(url, key=KEY)
    import psycopg
    with psycopg.connect(url) as db:
        assert db.execute("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0


def test_a_postgresql_ledger_needs_a_key_and_no_password_in_the_settings(tmp_path, monkeypatch):
    from support.projects import project

    monkeypatch.delenv(proof.KEY_ENV, raising=False)
    monkeypatch.delenv("OPTIN_DATABASE_URL", raising=False)
    url = postgres.target("postgresql", tmp_path)
    with pytest.raises(OptinError, match="needs its contact key"):
        Ledger.open(url)
    here = project(tmp_path / "p")
    here.receiver["database"] = url.replace("optin@", "optin:secret@")
    with pytest.raises(OptinError, match="holds a password"):
        Ledger.of_project(here)
    here.receiver["database"] = url
    (tmp_path / "p" / "k").write_text("shared\n")
    here.receiver["key_file"] = "k"
    store = Ledger.of_project(here)
    assert store.backend.name == "postgresql" and store.key == b"shared" and store.path is None
    monkeypatch.setenv("OPTIN_DATABASE_URL", str(tmp_path / "env.sqlite"))  # the environment wins
    assert Ledger.of_project(here).path == tmp_path / "env.sqlite"
    store.close()


def test_a_failed_migration_changes_nothing(tmp_path, monkeypatch):
    path = v1_ledger(tmp_path / "old.sqlite")

    def broken(phone, email):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(proof, "contact_hmac", lambda key, phone, email: broken(phone, email))
    with pytest.raises(RuntimeError):
        Ledger(path, key=KEY)
    db = raw(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    assert "contact_hmac" not in [r[1] for r in db.execute("PRAGMA table_info(records)")]
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 2
    db.close()


# -- the hash chain ---------------------------------------------------------------------------
def receiver(tmp_path, ledger):
    sent = []
    project = example_project(tmp_path / "project")
    app = Receiver(load_campaigns(project), ledger, project.locales, site_url="http://127.0.0.1:8999",
                   limits=ROOMY, on_message=sent.append)
    return Client(app), sent


def post(client, name, body):
    return client.post(f"/api/{name}", data=json.dumps(body), content_type="application/json")


def test_receiver_flows_extend_the_chain_and_pseudonymise(tmp_path, ledger):
    client, sent = receiver(tmp_path, ledger)
    body = {"campaign": "nordlys-sko", "locale": "nb", "purposes": ["offers", "order_updates"], "phone": PHONE,
            "notice_version": versions()[0], "wording_version": versions()[1],
            "client_timestamp": "2026-11-23T19:00:00.000Z", "page_url": "http://127.0.0.1:8999/nordlys-sko/nb/"}
    assert post(client, "submit", body).status_code == 202
    token = sent[0].link.split("t=")[1].split("&")[0]
    assert post(client, "confirm", {"campaign": "nordlys-sko", "token": token, "purposes": ["offers"]}).status_code == 200
    assert post(client, "withdraw", {"campaign": "nordlys-sko", "phone": PHONE, "purposes": ["offers"]}).status_code == 200
    items = export.rows(ledger)
    assert [i["event"] for i in items] == ["requested", "given", "refused", "withdrawn"]
    assert items[0]["prev_hash"] == proof.GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(items, items[1:]))
    line = json.loads(export.as_jsonl(items[:1]))
    assert len(line["hash"]) == 64 and line["prev_hash"] == proof.GENESIS
    with ledger.reading() as db:
        assert db.execute("SELECT contact_hmac FROM records").fetchone()[0] == ledger.contact_hmac(PHONE)
    assert proof.verify(ledger).ok


def chained(ledger, n=2):
    for i in range(n):
        signup(ledger, record(f"r{i}", phone=f"+479123456{i}"), given_at="2026-01-01T10:05:00.000Z")
    return ledger  # events 1..2n


def tamper(ledger, sql, *args):
    """What someone with write access to the database could do: drop the guards and edit."""
    db = postgres.raw(ledger)
    for trigger in ("events_append_only_u", "events_append_only_d"):
        drop_trigger(db, trigger, "events")
    run(db, sql, *args)
    db.close()


@pytest.mark.parametrize("sql, args, broken", [
    ("UPDATE events SET method = 'forged' WHERE id = 2", (), 2),
    ("UPDATE events SET purposes = '[\"offers\"]' WHERE id = 1", (), 1),
    ("DELETE FROM events WHERE id = 2", (), 3),
    ("DELETE FROM events WHERE id = 4", (), 4),  # the last one: the chain's head is missing
    (("INSERT INTO events (id, ts, record_id, campaign, event, purposes, notice_version, locale, method,"
      " prev_hash, hash) SELECT 5, ts, record_id, campaign, 'given', purposes, notice_version, locale, method,"
      " hash, hash FROM events WHERE id = 4"), (), 5),
])
def test_verify_names_the_first_broken_event(ledger, sql, args, broken):
    chained(ledger)
    assert proof.verify(ledger).ok
    tamper(ledger, sql, *args)
    verdict = proof.verify(ledger)
    assert not verdict.ok and verdict.broken == broken, verdict


def test_an_inserted_event_with_a_valid_hash_is_still_caught(ledger):
    chained(ledger)
    with ledger.reading() as db:
        last = dict(db.execute("SELECT * FROM events WHERE id = 4").fetchone())
    fields = {**last, "id": 5, "event": "given", "purposes": json.loads(last["purposes"])}
    digest = proof.event_hash(fields, last["hash"])
    tamper(ledger, "INSERT INTO events (id, ts, record_id, campaign, event, purposes, notice_version, locale,"
           " method, prev_hash, hash) VALUES (5, ?, ?, ?, 'given', ?, ?, ?, ?, ?, ?)", last["ts"], last["record_id"],
           last["campaign"], last["purposes"], last["notice_version"], last["locale"], last["method"],
           last["hash"], digest)
    assert proof.verify(ledger).broken == 5


def test_parallel_writers_never_fork_the_chain(ledger):
    rec = record()
    with ledger.transaction() as db:
        Ledger.add_record(db, rec)
    errors = []

    def write(n):
        try:
            for i in range(15):
                with ledger.transaction() as db:
                    Ledger.add_event(db, f"2026-01-01T10:00:{i:02d}.000Z", rec, "requested", ["offers"], "nb", f"t{n}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    verdict = proof.verify(ledger)
    assert verdict.ok and verdict.events == 120
    with ledger.reading() as db:
        prevs = [r[0] for r in db.execute("SELECT prev_hash FROM events")]
    assert len(set(prevs)) == len(prevs)  # no two events claim the same predecessor


# -- CSV --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, cell", [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"), ("+SUM(1)", "'+SUM(1)"),
    ("-2+3", "'-2+3"), ("@cmd", "'@cmd"), ("\tlead", "'lead"), ("\rlead", "'lead"),
    ("\x01=hidden", "'=hidden"), ("a\x00b\x1bc\x7fd\u0085e", "abcde"), ("plain text", "plain text"),
    (None, ""), (3, "3"),
])
def test_csv_cells_never_start_a_formula(value, cell):
    assert export.safe_cell(value) == cell


def test_csv_export_neutralises_what_a_person_typed(ledger):
    signup(ledger, record(phone=PHONE))
    with ledger.transaction() as db:  # a page_url as a crafted request could send it
        rec = {**record("r2", phone="+4791234568"), "page_url": "@SUM(A1)\r\n"}
        Ledger.add_record(db, rec)
        Ledger.add_event(db, rec["created"], rec, "requested", ["offers"], "nb", "signup-page:form")
    rows = list(csv.DictReader(io.StringIO(export.as_csv(export.rows(ledger)))))
    assert rows[0]["phone"] == "'" + PHONE and rows[-1]["page_url"] == "'@SUM(A1)"
    assert all(not v.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for v in r.values())
    assert rows[0]["hash"] and rows[0]["prev_hash"] == proof.GENESIS


# -- the contact key --------------------------------------------------------------------------
def test_a_key_file_is_made_next_to_the_ledger(tmp_path, monkeypatch):
    monkeypatch.delenv(proof.KEY_ENV, raising=False)
    store = Ledger(tmp_path / "l.sqlite")
    keyfile = tmp_path / "l.sqlite.key"
    assert store.key_source == str(keyfile) and stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    assert Ledger(tmp_path / "l.sqlite").key == store.key == keyfile.read_bytes().strip()
    signup(store, record())
    assert files_hold(tmp_path / "l.sqlite", store.key.decode()) == []
    monkeypatch.setenv(proof.KEY_ENV, "from-the-environment")
    assert Ledger(tmp_path / "l.sqlite").key == b"from-the-environment"
    monkeypatch.delenv(proof.KEY_ENV)
    (tmp_path / "k").write_text("configured\n")
    assert Ledger(tmp_path / "l.sqlite", key_file=tmp_path / "k").key == b"configured"
    with pytest.raises(OptinError, match="does not exist"):
        Ledger(tmp_path / "l.sqlite", key_file=tmp_path / "missing")


# -- erasure, purge, access -------------------------------------------------------------------
def files_hold(path, *needles) -> list[str]:
    data = b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    return [n for n in needles if n.encode() in data]


def erase_setup(ledger):
    signup(ledger, record(phone=PHONE, email=EMAIL, name="Kari"), given_at="2026-01-01T10:05:00.000Z")
    signup(ledger, record("r2", phone="+4798765432"))
    signup(ledger, record("r3", phone=PHONE, campaign="kedai-harmoni"))  # pending token


def test_erase_leaves_no_trace_of_the_contact_in_the_files(sqlite_ledger):
    ledger = sqlite_ledger
    erase_setup(ledger)
    assert files_hold(ledger.path, PHONE, EMAIL) == [PHONE, EMAIL]
    # another connection stays open (a running receiver), so the -wal file is not removed on close
    idle = raw(ledger.path)
    idle.execute("SELECT COUNT(*) FROM records").fetchone()
    report = retention.erase(ledger, "+47 912 34 567", "request", now="2026-02-01T00:00:00.000Z")
    assert report["erased_records"] == ["r1", "r3"] and report["wal_truncated"] is True
    assert files_hold(ledger.path, PHONE, EMAIL, "Kari") == []
    idle.close()
    assert files_hold(ledger.path, "+4798765432") == ["+4798765432"]  # someone else's stays


def test_erase_keeps_only_pseudonymous_proof(ledger):
    erase_setup(ledger)
    report = retention.erase(ledger, "+47 912 34 567", "request", now="2026-02-01T00:00:00.000Z")
    assert report["erased_records"] == ["r1", "r3"] and report["outbox"] == 3 and report["tokens"] == 1
    db = postgres.raw(ledger)
    assert [tuple(r) for r in run(db, "SELECT record_id, phone, email, extra FROM records ORDER BY record_id")] == [
        ("r1", None, None, "{}"), ("r2", "+4798765432", None, "{}"), ("r3", None, None, "{}")]
    assert [tuple(r) for r in run(db, "SELECT recipient FROM outbox")] == [("+4798765432",)]
    assert [tuple(r) for r in run(db, "SELECT record_id, used IS NULL FROM tokens ORDER BY record_id")] in (
        [("r1", 0), ("r2", 1)], [("r1", False), ("r2", True)])
    with pytest.raises(DB_ERRORS, match="append-only"):  # the gate is shut again
        run(db, "UPDATE records SET phone = NULL WHERE record_id = 'r2'")
    db.close()
    assert proof.verify(ledger).ok
    # the proof stays findable by the contact, through its pseudonym
    events = [(e["record_id"], e["event"], e["method"]) for e in export.rows(ledger, phone=PHONE)]
    assert events == [("r1", "requested", "signup-page:json"), ("r1", "given", "confirm-page:link"),
                      ("r3", "requested", "signup-page:json"), ("r1", "erased", "erase:request"),
                      ("r3", "erased", "erase:request")]
    with ledger.reading() as db:
        assert Ledger.state(db, "r1") == {"offers": "erased", "order_updates": "erased"}
    assert retention.erase(ledger, PHONE)["erased_records"] == []  # nothing left to erase
    with pytest.raises(OptinError, match="neither"):
        retention.erase(ledger, "hello")


def test_erase_only_through_the_gate(ledger):
    signup(ledger, record())
    db = postgres.raw(ledger)
    for sql in ("UPDATE records SET phone = '+4700000000'", "UPDATE records SET contact_hmac = NULL, phone = NULL",
                "UPDATE records SET phone = NULL, campaign = 'other'", "DELETE FROM records",
                "DELETE FROM events", "UPDATE events SET method = 'x'"):
        run(db, "BEGIN")
        run(db, "INSERT INTO erase_gate VALUES ('r1')")
        with pytest.raises(DB_ERRORS, match="append-only"):
            run(db, sql)
        run(db, "ROLLBACK")
    run(db, "BEGIN")
    run(db, "INSERT INTO erase_gate VALUES ('r1')")
    run(db, "UPDATE records SET phone = NULL, extra = '{}'")
    run(db, "ROLLBACK")
    db.close()


def test_purge_by_retention_and_unconfirmed_age(ledger):
    # confirmed 2024-01-15: offers kept 24 months, order_updates 12 (per the campaign mapping)
    signup(ledger, record("old", created="2024-01-15T10:00:00.000Z", phone="+4791111111"),
           given_at="2024-01-15T10:05:00.000Z")
    signup(ledger, record("recent", created="2025-06-01T10:00:00.000Z", phone="+4792222222"),
           given_at="2025-06-01T10:05:00.000Z")
    signup(ledger, record("unconfirmed", created="2025-12-01T10:00:00.000Z", phone="+4793333333"),
           token_expires="2025-12-03T10:00:00.000Z")
    signup(ledger, record("waiting", created="2026-01-14T10:00:00.000Z", phone="+4794444444"),
           token_expires="2026-01-16T10:00:00.000Z")
    months = {"nordlys-sko": {"offers": 24, "order_updates": 12}}
    now = datetime(2026, 1, 15, 10, 5, tzinfo=timezone.utc)
    before = event_counts(ledger)
    dry = retention.purge(ledger, months, now, dry_run=True)
    assert dry["retention_ended"] == ["old"] and dry["unconfirmed"] == ["unconfirmed"] and dry["records"] == 0
    assert event_counts(ledger) == before
    if is_sqlite(ledger):
        assert files_hold(ledger.path, "+4791111111", "+4793333333")
    # a shorter retention in the campaign now applies to the recent record too
    report = retention.purge(ledger, {"nordlys-sko": {"offers": 6, "order_updates": 6}}, now)
    assert report["retention_ended"] == ["old", "recent"] and report["unconfirmed"] == ["unconfirmed"]
    assert report["records"] == 3 and report["outbox"] == 3
    if is_sqlite(ledger):
        assert files_hold(ledger.path, "+4791111111", "+4792222222", "+4793333333", "+4794444444") == ["+4794444444"]
    with ledger.reading() as db:
        assert [r[0] for r in db.execute("SELECT phone FROM records WHERE phone IS NOT NULL")] == ["+4794444444"]
    counts = event_counts(ledger)
    assert counts["erased"] == 3 and counts["expired"] == 1
    assert retention.purge(ledger, months, now + timedelta(days=40))["unconfirmed"] == ["waiting"]
    assert proof.verify(ledger).ok


def test_purge_falls_back_to_the_records_retention(ledger):
    signup(ledger, record(purposes=(("offers", 1),)), given_at="2026-01-31T10:00:00.000Z")
    assert retention.purge(ledger, {}, "2026-02-28T09:59:59.000Z", dry_run=True)["retention_ended"] == []
    assert retention.purge(ledger, {}, "2026-02-28T10:00:00.000Z", dry_run=True)["retention_ended"] == ["r1"]


def test_access_returns_everything_about_a_person(ledger):
    signup(ledger, record(phone=PHONE, email=EMAIL, name="Kari"), given_at="2026-01-01T10:05:00.000Z")
    signup(ledger, record("r2", phone="+4798765432"))
    found = export.access(ledger, EMAIL.upper())
    assert found["contact"] == EMAIL and found["kind"] == "email"
    assert [r["record_id"] for r in found["records"]] == ["r1"] and found["records"][0]["extra"] == {"name": "Kari"}
    assert [e["event"] for e in found["events"]] == ["requested", "given"]
    assert sorted(o["recipient"] for o in found["outbox"]) == [PHONE, EMAIL]
    assert found["tokens"][0]["used"] and "token_hash" not in found["tokens"][0]
    retention.erase(ledger, PHONE)
    after = export.access(ledger, PHONE)
    assert [r["phone"] for r in after["records"]] == [None] and after["outbox"] == []
    assert [e["event"] for e in after["events"]] == ["requested", "given", "erased"]
    json.dumps(after)  # plain data throughout


def test_no_key_is_ever_written_into_the_ledger(sqlite_ledger):
    ledger = sqlite_ledger
    signup(ledger, record())
    assert files_hold(ledger.path, KEY.decode()) == []
    assert os.path.exists(str(ledger.path) + ".key") is False  # the key came as an argument
