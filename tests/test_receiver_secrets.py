"""Secrets at rest: outside `optin serve` no confirmation token, code or withdraw link is stored
or logged in clear. Checked on the bytes the databases really wrote (SQLite's files with their
write-ahead log, PostgreSQL's data directory and WAL) and on everything logged, after real
submissions; the local preview alone keeps its outbox."""
from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
from pathlib import Path

import pytest
from werkzeug.test import Client

from generator.receiver.app import create_app
from generator.receiver.senders import Delivery, Sender, Senders
from support import postgres
from support.projects import example_project
from support.receiver import Rx, shown, signup, token_of

BOTH = dict(campaign="kedai-harmoni", locale="ms", purposes=["promotions", "newsletter"], phone="+60123456789",
            email="siti@example.com")


def secrets_of(message) -> list[str]:
    """The link's token, the code (as shown and as typed without its dash) and the withdraw link's token."""
    stop = re.findall(r"/unsubscribe\?t=([A-Za-z0-9_-]{43})", message.body)  # tests/test_receiver_withdraw.py
    return [token_of(message), message.code, message.code.replace("-", ""), *stop]


def files_of(path: Path) -> bytes:
    """The SQLite ledger as stored: the database, its write-ahead log and shared memory."""
    found = [p for p in path.parent.glob(path.name + "*") if not p.name.endswith(".key")]
    assert path in found
    return b"".join(p.read_bytes() for p in found)


def assert_absent(secrets: list[str], *haystacks: bytes | str) -> None:
    for secret in secrets:
        assert len(secret) >= 8
        for hay in haystacks:
            data = hay if isinstance(hay, bytes) else hay.encode("utf-8")
            assert secret.encode("utf-8") not in data, f"{secret!r} stored or logged in clear"


class Echo(Sender):
    """A provider that refuses every message and quotes it in its error, as some do."""

    name = "echo"

    def send(self, message) -> Delivery:
        return Delivery(None, "failed", f"rejected message to {message.recipient}: {message.body}")


def test_production_keeps_no_secret_in_the_database_files_or_the_log(tmp_path, monkeypatch, caplog):
    """What gunicorn runs (create_app, no provider configured: every channel falls back to the
    outbox sender): the messages are made and handed on, but neither the ledger nor the log
    holds their link, code or withdraw link."""
    monkeypatch.delenv("OPTIN_DATABASE_URL", raising=False)
    caplog.set_level(logging.DEBUG)
    here = example_project(tmp_path / "project")
    path, sent = tmp_path / "prod.sqlite", []
    app = create_app(campaigns=str(here.campaigns_dir), ledger=str(path), project=here, on_message=sent.append)
    client = Client(app)
    res = client.post("/api/submit", json=shown(app, signup(**BOTH)))
    assert res.status_code == 202, res.get_json()
    assert sorted(m.channel for m in sent) == ["email", "whatsapp"]
    secrets = [s for m in sent for s in secrets_of(m)]
    # the messages are real: the link confirms
    ok = client.post("/api/confirm", json={"campaign": "kedai-harmoni", "token": token_of(sent[1]), "purposes": ["*"]})
    assert ok.status_code == 200
    db = sqlite3.connect(path)
    try:
        assert db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM tokens").fetchone()[0] == 2
    finally:
        db.close()
    assert "not delivered" in caplog.text  # the operator hears that no provider took them
    app.ledger.close()
    assert_absent(secrets, files_of(path), caplog.text)


def test_a_provider_error_quoting_the_message_is_stored_and_logged_without_its_secrets(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "l.sqlite"
    rx = Rx(path, preview=False, senders=Senders({ch: Echo() for ch in ("whatsapp", "sms", "email")}))
    assert rx.post("submit", shown(rx.app, signup(**BOTH))).status_code == 202
    secrets = [s for m in rx.sent for s in secrets_of(m)]
    errors = [e for (e,) in rx.rows("SELECT error FROM deliveries WHERE status = 'failed'")]
    assert len(errors) == 2 and all("<secret>" in e and "<recipient>" in e for e in errors)
    assert "rejected message" in caplog.text
    rx.ledger.close()
    assert_absent(secrets, files_of(path), caplog.text, "\n".join(errors))


def test_postgresql_writes_no_secret_to_its_data_directory(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    rx = Rx(postgres.target("postgresql", tmp_path), folder=tmp_path, preview=False)
    try:
        assert rx.post("submit", shown(rx.app, signup(**BOTH))).status_code == 202
        secrets = [s for m in rx.sent for s in secrets_of(m)]
        db = postgres.raw(rx.ledger)
        try:
            postgres.run(db, "CHECKPOINT")  # tables and WAL on disk
            dump = "\n".join(str(row) for table in ("records", "events", "tokens", "outbox", "deliveries",
                                                    "unsubscribe_tokens")
                             for row in postgres.run(db, f"SELECT * FROM {table}").fetchall())
        finally:
            db.close()
    finally:
        rx.ledger.close()
    data = postgres.server().data
    stored = b"".join(p.read_bytes() for p in sorted(data.rglob("*"))
                      if p.is_file() and {"base", "pg_wal"} & set(p.relative_to(data).parts))
    assert len(stored) > 1_000_000  # the tables and the log were read
    assert_absent(secrets, dump, stored, caplog.text)


def test_the_local_preview_keeps_its_outbox(tmp_path):
    """`optin serve` shows the messages as sent (preview=True): link and code included."""
    rx = Rx(tmp_path / "l.sqlite", preview=True)
    rx.post("submit", shown(rx.app, signup()))
    (message,) = rx.sent
    assert rx.rows("SELECT link, code FROM outbox") == [(message.link, message.code)]


def test_codes_are_digested_with_the_ledger_key_not_found_offline(tmp_path):
    """A copy of the database alone cannot be searched for a 40-bit code: its digest is keyed
    with the ledger key, which is never in the database."""
    path = tmp_path / "l.sqlite"
    rx = Rx(path, preview=False)
    rx.post("submit", shown(rx.app, signup()))
    (message,) = rx.sent
    plain = message.code.replace("-", "")
    ((stored, handle),) = rx.rows("SELECT code_hash, code_handle FROM tokens")
    assert stored != hashlib.sha256(("code:" + plain).encode()).hexdigest()
    assert handle not in {hashlib.sha256(v.encode()).hexdigest() for v in (plain[:3], "handle:" + plain[:3])}
    rx.ledger.close()
    assert_absent([rx.ledger.key.decode()], files_of(path))
    confirmed = Rx(path, preview=False, folder=tmp_path / "again")  # the key file opens it again
    res = confirmed.post("confirm", {"campaign": "nordlys-sko", "code": message.code, "purposes": ["*"]})
    assert res.status_code == 200 and confirmed.events()[-1][3] == "confirm-page:code"


@pytest.fixture(autouse=True)
def _key_from_the_key_file(monkeypatch):
    monkeypatch.delenv("OPTIN_LEDGER_KEY", raising=False)
