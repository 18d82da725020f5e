"""Group commit (commits.py) on both backends: concurrent transactions of a process share
physical commits, a failing one is undone alone, a failed commit fails every transaction it
covered, and nothing returns before its commit did. And a duplicate submission racing its
twin (a browser retry, or two workers) gets the same answer as an ordinary duplicate."""
from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from werkzeug.test import Client

from generator.receiver import proof
from generator.receiver.app import Receiver, load_campaigns
from generator.receiver.ledger import Ledger
from support import postgres
from support.receiver import KEY, ROOMY, signup

REC = {"record_id": "r0", "created": "2026-01-01T10:00:00.000Z", "campaign": "nordlys-sko",
       "controller": {"name": "Nordlys Sko AS"}, "jurisdiction": "NO", "locale": "nb", "phone": "+4791234567",
       "email": None, "pii_categories": ["phone number"], "purposes": [{"id": "offers", "channel": "sms",
                                                                         "retention_months": 24}],
       "notice_version": "n" * 64, "wording_version": "w" * 64, "notice_url": "https://x.example/p.html",
       "page_url": "https://x.example/", "client_timestamp": "2026-01-01T10:00:00.000Z",
       "method": "signup-page:json", "extra": {}}


@pytest.fixture(params=postgres.BACKENDS)
def ledger(request, tmp_path):
    store = Ledger.open(postgres.target(request.param, tmp_path), key=KEY)
    yield store
    store.close()


def slow_commits(ledger, monkeypatch, seconds=0.05, fail_once=False):
    """Make each commit take a while (so writers queue behind it); optionally fail the next one."""
    writer = ledger.backend.writer
    finish, state = writer.finish, {"fail": fail_once}

    def slow(conn, commit):
        time.sleep(seconds)
        if commit and state["fail"]:
            state["fail"] = False
            finish(conn, False)
            raise OSError("disk full")
        finish(conn, commit)
    monkeypatch.setattr(writer, "finish", slow)
    return writer


def records(ledger) -> set[str]:
    with ledger.reading() as db:
        return {row[0] for row in db.execute("SELECT record_id FROM records")}


def run_threads(target, n):
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)


def test_concurrent_transactions_share_commits_and_undo_alone(ledger, monkeypatch):
    writer = slow_commits(ledger, monkeypatch)
    before = writer.commits
    outcomes = {}

    def write(i):
        try:
            with ledger.transaction() as db:
                Ledger.add_record(db, {**REC, "record_id": f"r{i}"})
                Ledger.add_event(db, REC["created"], {**REC, "record_id": f"r{i}"}, "requested", ["offers"], "nb", "t")
                if i % 4 == 3:
                    raise ValueError("a request that fails after writing")
            outcomes[i] = "ok"
        except ValueError:
            outcomes[i] = "failed"
    run_threads(write, 24)
    assert sorted(records(ledger)) == sorted(f"r{i}" for i, o in outcomes.items() if o == "ok")
    assert len(records(ledger)) == 18 and writer.commits - before < 24  # some commits served several
    verdict = proof.verify(ledger)
    assert verdict.ok and verdict.events == 18, verdict


def test_a_failed_commit_fails_every_transaction_it_covered(ledger, monkeypatch):
    slow_commits(ledger, monkeypatch, fail_once=True)
    answered = {}

    def write(i):
        try:
            with ledger.transaction() as db:
                Ledger.add_record(db, {**REC, "record_id": f"r{i}"})
            answered[i] = True
        except RuntimeError as exc:
            assert isinstance(exc.__cause__, OSError)
            answered[i] = False
    run_threads(write, 8)
    assert False in answered.values()
    assert records(ledger) == {f"r{i}" for i, ok in answered.items() if ok}  # nothing lost, nothing unanswered
    with ledger.transaction() as db:  # the writer goes on with a fresh connection
        Ledger.add_record(db, {**REC, "record_id": "after"})
    assert "after" in records(ledger)


def test_a_transaction_returns_only_once_committed(ledger, monkeypatch):
    """What a request acknowledges is committed: readers on other connections see it at once."""
    slow_commits(ledger, monkeypatch, seconds=0.02)
    missing = []

    def write(i):
        with ledger.transaction() as db:
            Ledger.add_record(db, {**REC, "record_id": f"r{i}"})
        if f"r{i}" not in records(ledger):
            missing.append(i)
    run_threads(write, 12)
    assert missing == [] and len(records(ledger)) == 12


@pytest.mark.parametrize("apps", [1, 2])
def test_a_duplicate_racing_its_twin_gets_the_ordinary_answer(tmp_path, apps, request):
    """Identical submissions released together, through one receiver or two (two processes or
    machines on one PostgreSQL ledger): every one is answered 202 with the record id, as a
    retry is, and the ledger holds one record with one `requested` event."""
    from support.projects import example_project

    url = postgres.target("postgresql", tmp_path)
    project = example_project(tmp_path / "project")
    stores = [Ledger.open(url, key=KEY) for _ in range(apps)]
    request.addfinalizer(lambda: [store.close() for store in stores])
    clients = [Client(Receiver(load_campaigns(project), store, project.locales, site_url="http://127.0.0.1:8999",
                               limits=ROOMY)) for store in stores]
    for trial in range(10):
        record_id = str(uuid.uuid4())
        body = json.dumps(signup(phone=f"+479123{trial:04d}", record_id=record_id))
        start, answers = threading.Barrier(6), []

        def submit(i):
            start.wait()
            res = clients[i % apps].post("/api/submit", data=body, content_type="application/json")
            answers.append((res.status_code, res.get_json()))
        run_threads(submit, 6)
        assert answers == [(202, {"status": "pending", "record_id": record_id})] * 6, answers
    with stores[0].reading() as db:
        assert db.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 10
        assert db.execute("SELECT COUNT(*) FROM events WHERE event = 'requested'").fetchone()[0] == 10
    assert proof.verify(stores[0]).ok


def test_a_nested_write_transaction_is_refused_not_a_deadlock(ledger):
    with ledger.transaction() as db:
        Ledger.add_record(db, REC)
        with pytest.raises(RuntimeError, match="inside another"):
            with ledger.transaction():
                pass
    assert records(ledger) == {"r0"}
    with ledger.transaction() as db:  # the thread writes on afterwards
        Ledger.add_record(db, {**REC, "record_id": "r1"})
    assert records(ledger) == {"r0", "r1"}
