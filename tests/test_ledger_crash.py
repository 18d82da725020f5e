"""A receiver killed with SIGKILL in the middle of a burst of sign-ups loses no write it
acknowledged: the real WSGI app under waitress in its own process, on each backend. Every
request answered 202 is in the ledger afterwards, and the hash chain verifies."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.client import HTTPConnection, HTTPException

import pytest

from generator.receiver import proof
from generator.receiver.ledger import Ledger
from support import postgres
from support.postgres import free_port
from support.projects import example_project
from support.receiver import KEY, signup

APP = """
from generator.receiver.app import create_app
from generator.receiver.ratelimit import Limit, Limits

app = create_app(limits=Limits(per_address=Limit(10**6, 60), per_contact=Limit(100, 60), wrong_codes=Limit(100, 60)))
"""
THREADS, PER_THREAD, KILL_AFTER = 8, 60, 40  # the kill comes after 40 acknowledgements (or 20 s)


def wait_for(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if process.poll() is not None:
            raise AssertionError(f"the receiver exited: {process.stderr.read().decode(errors='replace')}")
        try:
            HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the receiver did not start listening")


@pytest.mark.parametrize("backend", postgres.BACKENDS)
def test_kill_9_mid_burst_loses_no_acknowledged_write(backend, tmp_path):
    target = postgres.target(backend, tmp_path)
    here = example_project(tmp_path / "project")
    (here.root / "optin.toml").write_text("", encoding="utf-8")
    (tmp_path / "crashapp.py").write_text(APP, encoding="utf-8")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "OPTIN_CONFIG": str(here.root / "optin.toml"),
           "OPTIN_CAMPAIGNS": str(here.campaigns_dir), "OPTIN_LEDGER": str(target),
           "OPTIN_LEDGER_KEY": KEY.decode()}
    env.pop("OPTIN_DATABASE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}", "--threads=8",
                               "crashapp:app"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    acked, lock = [], threading.Lock()
    try:
        wait_for(port, server)

        def burst(n: int) -> None:
            for i in range(PER_THREAD):
                record_id = str(uuid.uuid4())
                body = signup(phone=f"+4791{n:02d}{i:04d}", record_id=record_id)
                try:
                    conn = HTTPConnection("127.0.0.1", port, timeout=10)
                    conn.request("POST", "/api/submit", json.dumps(body), {"Content-Type": "application/json"})
                    res = conn.getresponse()
                    answer = json.loads(res.read())
                    conn.close()
                except (OSError, ValueError, HTTPException):  # a body cut off by the kill: not acknowledged
                    return  # the server is gone
                if res.status == 202:
                    assert answer["record_id"] == record_id
                    with lock:
                        acked.append(record_id)
        threads = [threading.Thread(target=burst, args=(n,), daemon=True) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        end = time.monotonic() + 20
        while len(acked) < KILL_AFTER and time.monotonic() < end and any(t.is_alive() for t in threads):
            time.sleep(0.005)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        for thread in threads:
            thread.join(timeout=15)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert len(acked) >= KILL_AFTER // 2, server.stderr.read().decode(errors="replace")[-2000:]
    assert len(acked) < THREADS * PER_THREAD  # killed mid-burst, not after it
    store = Ledger.open(target, key=KEY)
    try:
        with store.reading() as db:
            stored = {row[0] for row in db.execute("SELECT record_id FROM records")}
        assert set(acked) <= stored, f"{len(set(acked) - stored)} acknowledged sign-ups lost"
        verdict = proof.verify(store)
        assert verdict.ok and verdict.events == len(stored), verdict
    finally:
        store.close()
