"""The receiver keeps the ledger by itself: it purges every [receiver] purge_interval seconds,
once across workers (a claim in the `maintenance` table; on PostgreSQL also an advisory lock),
and, when [receiver.backoffice] names a token, answers access and erase requests over HTTP
exactly as `optin ledger access` / `erase` print them. Both backends where it matters."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from werkzeug.test import Client

from generator.cli.main import main
from generator.errors import OptinError
from generator.receiver import scheduler
from generator.receiver.app import create_app
from generator.receiver.ledger import Ledger
from generator.receiver.ratelimit import Limit
from support import postgres
from support.projects import example_project

KEY = "test-key"
PHONE, OTHER = "+4791111111", "+4792222222"
TOKEN = "t" * 40


def add_consent(ledger, record_id, phone, withdrawn=None, given="2020-01-01T10:05:00.000Z"):
    rec = {"record_id": record_id, "created": "2020-01-01T10:00:00.000Z", "campaign": "nordlys-sko",
           "controller": {"name": "Nordlys Sko AS"}, "jurisdiction": "NO", "locale": "nb", "phone": phone,
           "email": None, "pii_categories": ["phone number"],
           "purposes": [{"id": "offers", "channel": "whatsapp", "retention_months": 1200}],
           "notice_version": "n" * 64, "wording_version": "w" * 64, "notice_url": "https://x.example/privacy.html",
           "page_url": "https://x.example/", "client_timestamp": "2020-01-01T10:00:00.000Z",
           "method": "signup-page:json", "extra": {}}
    with ledger.transaction() as db:
        Ledger.add_record(db, rec)
        Ledger.add_event(db, rec["created"], rec, "requested", ["offers"], "nb", rec["method"])
        Ledger.add_event(db, given, rec, "given", ["offers"], "nb", "confirm-page:link")
        if withdrawn:
            Ledger.add_event(db, withdrawn, rec, "withdrawn", ["offers"], "nb", "withdraw-page")


@pytest.fixture(params=postgres.BACKENDS)
def target(request, tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIN_LEDGER_KEY", KEY)
    monkeypatch.delenv("OPTIN_DATABASE_URL", raising=False)
    monkeypatch.delenv(scheduler.INTERVAL_ENV, raising=False)
    return postgres.target(request.param, tmp_path)


def phones(ledger) -> dict:
    with ledger.reading() as db:
        return {r[0]: r[1] for r in db.execute("SELECT record_id, phone FROM records")}


def app_for(tmp_path, target, **settings):
    here = example_project(tmp_path / "project")
    here.receiver.update(settings)
    return create_app(ledger=str(target), project=here)


# -- the scheduled purge ---------------------------------------------------------------------
def test_ended_rate_limit_windows_are_forgotten_by_the_receiver_itself(tmp_path, target):
    """The notice says the counts per address and contact go within two hours: each minute (here
    each 0.2 s) the receiver's thread forgets the windows that ended, with no request coming."""
    app = app_for(tmp_path, target, purge_interval=0.2)
    try:
        app.limiter.hit(("address", "203.0.113.9"), Limit(5, 0.5))
        app.limiter.hit(("contact", PHONE), Limit(5, 0.5))
        assert held(app) == 2
        end = time.monotonic() + 20
        while held(app) and time.monotonic() < end:
            time.sleep(0.05)
        assert held(app) == 0
    finally:
        app.purger.stop()
        app.ledger.close()


def held(app) -> int:
    inner = app.limiter.inner
    if hasattr(inner, "store"):  # PostgreSQL: the shared rate_limits table
        with app.ledger.reading() as db:
            return db.execute("SELECT COUNT(*) FROM rate_limits").fetchone()[0]
    return len(inner)


def test_the_receiver_purges_by_itself(tmp_path, target):
    store = Ledger.open(target, key=KEY.encode())
    add_consent(store, "gone", PHONE, withdrawn="2021-01-01T00:00:00.000Z")  # contact and proof both due
    add_consent(store, "kept", OTHER, given=(datetime.now(timezone.utc) - timedelta(days=1)).isoformat())
    app = app_for(tmp_path, target, purge_interval=0.2)
    try:
        assert app.purger is not None and app.purger.interval == 0.2
        end = time.monotonic() + 20
        while "gone" in phones(store) and time.monotonic() < end:
            time.sleep(0.05)
        assert phones(store) == {"kept": OTHER}  # erased, then its proof removed: no CLI involved
    finally:
        app.purger.stop()
        app.ledger.close()
    with store.reading() as db:
        row = db.execute("SELECT holder, started, finished, lease_until, outcome FROM maintenance"
                         " WHERE task = 'purge'").fetchone()
    assert row["finished"] >= row["started"] and row["lease_until"] is None
    assert row["outcome"].startswith("ok: ") and "proof_expired 1" in row["outcome"]
    store.close()


def test_the_purge_can_be_turned_off(tmp_path, target, monkeypatch):
    app = app_for(tmp_path, target, purge_interval=0)
    assert app.purger.interval == 0  # the thread stays, for the rate-limit counts only
    assert app.purger.runs == 0
    app.purger.stop()
    app.ledger.close()
    monkeypatch.setenv(scheduler.INTERVAL_ENV, "0")
    app = app_for(tmp_path / "2", target, purge_interval=5)  # the environment wins
    assert app.purger.interval == 0
    app.purger.stop()
    app.ledger.close()
    with pytest.raises(OptinError, match="purge_interval must be a number"):
        scheduler.interval_of({"purge_interval": "hourly"}, {})
    assert scheduler.interval_of({}, {}) == scheduler.DEFAULT_INTERVAL == 3600


def test_one_run_per_interval_across_workers(target):
    """Two workers (or machines) on one ledger: the first to look claims the run, the other
    waits for the next interval; a lease left by a killed worker lapses."""
    stores = [Ledger.open(target, key=KEY.encode()) for _ in range(2)]
    add_consent(stores[0], "gone", PHONE, withdrawn="2021-01-01T00:00:00.000Z")
    workers = [scheduler.Purger(store, {}, 3600) for store in stores]
    report = workers[0].run_once()
    assert report is not None and report["consent_ended"] == ["gone"]
    assert workers[1].run_once() is None and workers[0].run_once() is None  # not due again yet
    with stores[0].transaction() as db:  # a worker claimed it two hours ago and was killed
        db.execute("UPDATE maintenance SET started = '2000-01-01T00:00:00.000Z', finished = NULL,"
                   " lease_until = '2099-01-01T00:00:00.000Z', holder = 'dead'")
    assert workers[1].run_once() is None  # its lease still holds
    with stores[0].transaction() as db:
        db.execute("UPDATE maintenance SET lease_until = '2000-01-01T00:15:00.000Z'")
    assert workers[1].run_once() is not None and workers[1].runs == 1
    for store in stores:
        store.close()


def test_postgresql_runs_hold_an_advisory_lock(tmp_path):
    url = postgres.target("postgresql", tmp_path)
    first, second = (Ledger.open(url, key=KEY.encode()) for _ in range(2))
    try:
        with first.backend.exclusive("purge") as alone:
            assert alone
            with second.backend.exclusive("purge") as also:
                assert not also  # another process would skip its run meanwhile
            with second.backend.exclusive("other task") as other:
                assert other
        with second.backend.exclusive("purge") as alone:
            assert alone  # released with the run
    finally:
        first.close()
        second.close()


# -- back office -----------------------------------------------------------------------------
@pytest.fixture
def office(tmp_path, target, monkeypatch):
    monkeypatch.setenv("OPTIN_BACKOFFICE_TOKEN", TOKEN)
    store = Ledger.open(target, key=KEY.encode())
    add_consent(store, "r1", PHONE)
    add_consent(store, "r2", OTHER)
    app = app_for(tmp_path, target, purge_interval=0, backoffice={"token_env": "OPTIN_BACKOFFICE_TOKEN"})
    yield Client(app), store, app
    app.ledger.close()
    store.close()


def bearer(token=TOKEN):
    return {"Authorization": f"Bearer {token}"}


def test_back_office_is_off_by_default(tmp_path, target):
    app = app_for(tmp_path, target, purge_interval=0)
    client = Client(app)
    res = client.get("/api/backoffice/access", query_string={"contact": PHONE}, headers=bearer())
    assert res.status_code == 404 and res.get_json()["error"] == "not_found"
    assert client.post("/api/backoffice/erase", json={"contact": PHONE}, headers=bearer()).status_code == 404
    app.ledger.close()


@pytest.mark.parametrize("headers", [{}, bearer("wrong"), bearer(TOKEN + "x"), {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"}])
def test_back_office_refuses_a_wrong_token(office, headers, caplog):
    client, store, _ = office
    res = client.get("/api/backoffice/access", query_string={"contact": PHONE}, headers=headers)
    assert res.status_code == 401 and res.get_json()["error"] == "unauthorized"
    assert res.headers["WWW-Authenticate"].startswith("Bearer")
    res = client.post("/api/backoffice/erase", json={"contact": PHONE}, headers=headers)
    assert res.status_code == 401 and phones(store)["r1"] == PHONE
    assert TOKEN not in caplog.text


def test_back_office_answers_as_the_commands_do(office, tmp_path, monkeypatch):
    client, store, app = office
    res = client.get("/api/backoffice/access", query_string={"contact": "+47 911 11 111"}, headers=bearer())
    assert res.status_code == 200 and res.headers["Cache-Control"] == "no-store"
    project = tmp_path / "project"
    (project / "optin.toml").write_text("")
    cli = CliRunner().invoke(main, ["-f", str(project / "optin.toml"), "ledger", "access", "--ledger",
                                    str(postgres_target(store)), "--contact", PHONE])
    assert cli.exit_code == 0, cli.output
    assert res.get_json() == json.loads(cli.output)
    assert [r["record_id"] for r in res.get_json()["records"]] == ["r1"]
    bad = client.get("/api/backoffice/access?contact=hello", headers=bearer())
    assert bad.status_code == 400 and bad.get_json()["field"] == "contact"
    assert client.post("/api/backoffice/erase", data="[1]", content_type="application/json",
                       headers=bearer()).status_code == 400
    res = client.post("/api/backoffice/erase", json={"contact": PHONE, "reason": "asked by email"}, headers=bearer())
    assert res.status_code == 200, res.data
    report = res.get_json()
    assert report["erased_records"] == ["r1"] and report["reason"] == "asked by email"
    assert report["suppression"] == {"whatsapp": "unsupported", "sms": "unsupported"}
    assert phones(store) == {"r1": None, "r2": OTHER}
    if store.backend.name == "sqlite":
        data = b"".join(p.read_bytes() for p in (store.path, store.path.with_name(store.path.name + "-wal"))
                        if p.exists())
        assert PHONE.encode() not in data and OTHER.encode() in data
    again = client.get("/api/backoffice/access", query_string={"contact": PHONE}, headers=bearer()).get_json()
    assert [e["event"] for e in again["events"]][-1] == "erased"


def postgres_target(store):
    return store.path if store.backend.name == "sqlite" else store.backend.url


def test_back_office_settings_that_cannot_work_stop_the_start(tmp_path, target, monkeypatch):
    monkeypatch.delenv("OPTIN_BACKOFFICE_TOKEN", raising=False)
    for settings, message in (({"token_env": "OPTIN_BACKOFFICE_TOKEN"}, "at least 32 characters"),
                              ({"token": TOKEN}, "does not know token"), ({}, "needs token_env")):
        with pytest.raises(OptinError, match=message):
            app_for(tmp_path / message.replace(" ", "-"), target, purge_interval=0, backoffice=settings)
    monkeypatch.setenv("OPTIN_BACKOFFICE_TOKEN", "short")
    with pytest.raises(OptinError, match="at least 32"):
        app_for(tmp_path / "short", target, purge_interval=0, backoffice={"token_env": "OPTIN_BACKOFFICE_TOKEN"})


def test_wrong_tokens_are_rate_limited(office):
    client, _, app = office
    for _ in range(app.limits.wrong_codes.count):
        assert client.get("/api/backoffice/access", query_string={"contact": PHONE}, headers=bearer("nope")).status_code == 401
    res = client.get("/api/backoffice/access", query_string={"contact": PHONE}, headers=bearer())
    assert res.status_code == 429 and int(res.headers["Retry-After"]) >= 1
