"""Rectification (GDPR Art. 16, `optin ledger rectify`): consent is never moved to a contact that
has not confirmed it itself; once the new contact has, the old one's consent ends as
`rectified`, its contact is erased (and leaves the SQLite file), and the proof of both stays.
The ledgers are made by the real receiver (sign-up and confirmation requests); the tests of the
Python API run on both backends, the command line and the file's bytes on SQLite."""
from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner
from support import postgres
from support.receiver import Rx, shown, signup, token_of
from werkzeug.test import Client

from generator.cli.main import main
from generator.receiver import export, proof, rectify
from generator.receiver.ledger import Ledger

OLD, NEW, OTHER = "+4791234567", "+4798765432", "+4790000001"
BOTH = ("offers", "order_updates")
TOKEN = "t" * 40


def join(rx: Rx, phone: str, purposes=BOTH, confirm: tuple | None = BOTH) -> str:
    """Sign `phone` up through the receiver, confirming `confirm` (None: left unconfirmed)."""
    res = rx.post("submit", shown(rx.app, signup(phone=phone, purposes=purposes)))
    assert res.status_code == 202, res.get_data(as_text=True)
    if confirm:
        body = {"campaign": "nordlys-sko", "locale": "nb", "token": token_of(rx.sent[-1]), "purposes": list(confirm)}
        assert rx.post("confirm", body).status_code == 200
    return res.get_json()["record_id"]


def state(ledger: Ledger, record_id: str) -> dict:
    with ledger.reading() as db:
        return Ledger.state(db, record_id)


def everything(rx: Rx) -> tuple:
    return tuple(rx.rows(f"SELECT * FROM {t} ORDER BY 1") for t in ("records", "events", "tokens", "outbox"))


@pytest.fixture(params=postgres.BACKENDS)
def rx(request, tmp_path):
    receiver = Rx(postgres.target(request.param, tmp_path), folder=tmp_path)
    yield receiver
    receiver.ledger.close()


def test_refuses_while_the_new_contact_has_not_confirmed(rx):
    old = join(rx, OLD)
    before = everything(rx)
    with pytest.raises(rectify.RectifyRefused) as refused:  # NEW never signed up
        rectify.rectify(rx.ledger, OLD, NEW)
    assert "must sign up and confirm by double opt-in" in refused.value.message
    assert refused.value.missing == {"nordlys-sko": list(BOTH)}
    assert everything(rx) == before
    join(rx, NEW, confirm=None)  # signed up, never confirmed: proves nothing
    with pytest.raises(rectify.RectifyRefused):
        rectify.rectify(rx.ledger, OLD, NEW)
    join(rx, NEW, confirm=("offers",))  # confirmed one purpose of the two
    with pytest.raises(rectify.RectifyRefused) as refused:
        rectify.rectify(rx.ledger, OLD, NEW)
    assert refused.value.missing == {"nordlys-sko": ["order_updates"]}
    assert state(rx.ledger, old) == {"offers": "given", "order_updates": "given"}
    assert rx.rows("SELECT phone FROM records WHERE record_id = ?", old) == [(OLD,)]


def test_rectifies_once_the_new_contact_confirmed_and_keeps_the_proof_of_both(rx):
    old = join(rx, OLD)
    new = join(rx, NEW)
    join(rx, OTHER)  # someone else: untouched
    rx.clock.now = rx.clock.now.replace(hour=21)
    report = rectify.rectify(rx.ledger, OLD, NEW, "number changed", rx.clock())
    assert [r["record_id"] for r in report["rectified"]] == [old] and report["erased_records"] == [old]
    assert report["rectified"][0]["to_records"] == [new] and report["new"]["records"] == [new]
    assert report["old"]["contact_hmac"] == rx.ledger.contact_hmac(OLD)
    events = rx.rows("SELECT event, purposes, method FROM events WHERE record_id = ? ORDER BY id", old)
    assert events[-2:] == [("rectified", json.dumps(list(BOTH)), f"rectify:{new}"),
                           ("erased", json.dumps(list(BOTH)), "erase:rectified:number changed")]
    assert set(state(rx.ledger, old).values()) == {"erased"}
    assert state(rx.ledger, new) == {"offers": "given", "order_updates": "given"}
    # the proof of both: OLD's record under its pseudonym, NEW's record with its own
    assert rx.rows("SELECT phone, email, contact_hmac FROM records WHERE record_id = ?", old) == [
        (None, None, rx.ledger.contact_hmac(OLD))]
    assert rx.rows("SELECT phone, contact_hmac FROM records WHERE record_id = ?", new) == [
        (NEW, rx.ledger.contact_hmac(NEW))]
    found = export.access(rx.ledger, OLD)
    assert [r["record_id"] for r in found["records"]] == [old]
    assert [e["event"] for e in found["events"]] == ["requested", "given", "rectified", "erased"]
    assert proof.verify(rx.ledger).ok
    assert state(rx.ledger, rx.rows("SELECT record_id FROM records WHERE phone = ?", OTHER)[0][0]) == {
        "offers": "given", "order_updates": "given"}
    with pytest.raises(rectify.OptinError, match="holds no active consent"):  # done once
        rectify.rectify(rx.ledger, OLD, NEW)


def test_start_double_opt_in_asks_the_new_contact_then_rectify_succeeds(rx):
    old = join(rx, OLD)
    made = rectify.start_double_opt_in(rx.ledger, rx.app.postman, rx.app.campaigns, rx.project.locales, OLD, NEW)
    assert [(m["campaign"], m["purposes"]) for m in made] == [("nordlys-sko", list(BOTH))]
    message = rx.sent[-1]
    assert message.recipient == NEW and message.kind == "confirmation"
    assert state(rx.ledger, old) == {"offers": "given", "order_updates": "given"}  # OLD untouched so far
    with pytest.raises(rectify.RectifyRefused):
        rectify.rectify(rx.ledger, OLD, NEW)
    body = {"campaign": "nordlys-sko", "locale": "nb", "token": token_of(message), "purposes": ["*"]}
    assert rx.post("confirm", body).status_code == 200  # NEW's owner confirms it
    report = rectify.rectify(rx.ledger, OLD, NEW)
    assert report["rectified"][0]["to_records"] == [made[0]["record_id"]]


def test_backoffice_rectify_endpoint(rx):
    from generator.receiver import backoffice

    assert backoffice.mount(rx.app, {"backoffice": {"token_env": "T"}}, {"T": TOKEN}) is not None
    client = Client(rx.app)
    old = join(rx, OLD)

    def post(body, token=TOKEN):
        return client.post("/api/backoffice/rectify", json=body, headers={"Authorization": f"Bearer {token}"})

    assert post({"contact": OLD, "to": NEW}, token="x" * 40).status_code == 401
    res = post({"contact": OLD, "to": NEW})
    assert res.status_code == 409 and res.get_json()["error"] == "not_confirmed"
    assert "double opt-in" in res.get_json()["message"]
    assert post({"contact": OLD, "to": "12"}).get_json()["error"] == "invalid_contact"
    assert post({"contact": OLD, "to": OLD}).status_code == 400
    join(rx, NEW)
    res = post({"contact": OLD, "to": NEW, "reason": "typo"})
    assert res.status_code == 200, res.get_data(as_text=True)
    assert res.get_json()["erased_records"] == [old] and "whatsapp" in res.get_json()["suppression"]
    assert post({"contact": OLD, "to": NEW}).get_json()["error"] == "nothing_to_rectify"


# -- the command line and the file (SQLite) ---------------------------------------------------
@pytest.fixture
def local(tmp_path):
    receiver = Rx(tmp_path / "ledger.sqlite", folder=tmp_path, preview=True)
    (receiver.project.root / "optin.toml").write_text('[receiver]\nledger = "../ledger.sqlite"\n')
    yield receiver
    receiver.ledger.close()


def cli(rx: Rx, *args):
    return CliRunner().invoke(main, ["-f", str(rx.project.root / "optin.toml"), "ledger", "rectify", *args])


def stored_bytes(path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def test_cli_refuses_with_exit_2_and_changes_nothing(local):
    join(local, OLD)
    join(local, NEW, confirm=None)
    before = everything(local)
    res = cli(local, "--contact", OLD, "--to", NEW)
    assert res.exit_code == 2 and "must sign up and confirm by double opt-in" in res.output
    assert everything(local) == before


def test_cli_rectify_erases_the_old_contact_from_the_file(local):
    old = join(local, OLD)
    join(local, NEW)
    local.ledger.close()  # the receiver's connections gone: the log can be truncated
    assert OLD.encode() in stored_bytes(local.path)  # in the records and in the outbox (preview)
    res = cli(local, "--contact", OLD, "--to", NEW, "--reason", "typo")
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["erased_records"] == [old] and report["wal_truncated"] is True
    assert report["suppression"] == {"whatsapp": "unsupported", "sms": "unsupported"}
    data = stored_bytes(local.path)
    assert OLD.encode() not in data and OLD[1:].encode() not in data
    assert NEW.encode() in data
    db = sqlite3.connect(local.path)
    assert db.execute("SELECT event FROM events WHERE record_id = ? ORDER BY id", (old,)).fetchall()[-2:] == [
        ("rectified",), ("erased",)]
    db.close()


def test_cli_start_double_opt_in_sends_the_confirmation_and_changes_nothing_else(local):
    old = join(local, OLD)
    res = cli(local, "--contact", OLD, "--to", NEW, "--start-double-opt-in")
    assert res.exit_code == 0, res.output
    sent = json.loads(res.stdout)
    assert sent["rectified"] is False and sent["double_opt_in"][0]["delivery"] == "outbox"
    new = sent["double_opt_in"][0]["record_id"]
    assert local.rows("SELECT phone, method FROM records WHERE record_id = ?", new) == [
        (NEW, "rectify:start-double-opt-in")]
    assert local.rows("SELECT kind FROM deliveries WHERE record_id = ?", new)[0] == ("confirmation",)
    assert state(local.ledger, new) == {"offers": "requested", "order_updates": "requested"}
    assert state(local.ledger, old) == {"offers": "given", "order_updates": "given"}


def test_a_version_5_sqlite_ledger_learns_the_rectified_event(tmp_path):
    """Ledgers made before rectification: the events table is rebuilt with the wider check,
    its rows, hashes, indexes and append-only triggers as they were."""
    path = tmp_path / "ledger.sqlite"
    rx = Rx(path, folder=tmp_path)
    old = join(rx, OLD)
    join(rx, NEW)
    rx.ledger.close()
    db = sqlite3.connect(path, isolation_level=None)
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'events'").fetchone()[0]
    db.execute("PRAGMA writable_schema = ON")  # the check as version 5 wrote it
    db.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'events'", (sql.replace(", 'rectified'", ""),))
    db.execute(f"PRAGMA schema_version = {db.execute('PRAGMA schema_version').fetchone()[0] + 1}")
    db.execute("PRAGMA writable_schema = OFF")
    db.execute("PRAGMA user_version = 5")
    db.close()
    with pytest.raises(sqlite3.IntegrityError), sqlite3.connect(path) as raw:  # what version 5 refuses
        raw.execute("INSERT INTO events SELECT id + 100, ts, record_id, campaign, 'rectified', purposes,"
                    " notice_version, locale, method, prev_hash, hash FROM events LIMIT 1")
    rows = sqlite3.connect(path).execute("SELECT * FROM events ORDER BY id").fetchall()
    store = Ledger(path)
    assert store.migrated == (5, 6)
    assert sqlite3.connect(path).execute("SELECT * FROM events ORDER BY id").fetchall() == rows
    rectify.rectify(store, OLD, NEW)
    assert proof.verify(store).ok
    raw = sqlite3.connect(path)
    names = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger')")}
    assert {"events_record", "events_append_only_u", "events_append_only_d", "records_append_only_d"} <= names
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("UPDATE events SET method = 'x' WHERE record_id = ?", (old,))
    assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store.close()


def test_a_version_5_postgresql_ledger_learns_the_rectified_event(tmp_path):
    url = postgres.server().new_database()
    rx = Rx(url, folder=tmp_path)
    join(rx, OLD)
    join(rx, NEW)
    rx.ledger.close()
    raw = postgres.raw(rx.ledger)
    raw.execute("ALTER TABLE events DROP CONSTRAINT events_event_check")
    raw.execute("ALTER TABLE events ADD CONSTRAINT events_event_check CHECK (event IN"
                " ('requested', 'given', 'refused', 'withdrawn', 'expired', 'erased'))")
    raw.execute("UPDATE schema_version SET version = 5")
    raw.close()
    store = Ledger.open(url, key=b"test-key")
    assert store.migrated == (5, 6)
    rectify.rectify(store, OLD, NEW)
    assert proof.verify(store).ok and ("rectified",) in rx.rows("SELECT event FROM events")
    store.close()
