"""Receiver benchmark: 200 and 1,000 concurrent sign-ups against gunicorn (2 workers, gthread)
on each ledger backend; prints requests/s, p50/p99 latency and rows = acknowledged requests.

    PYTHONPATH=tests .venv/bin/python bench/bench_receiver.py [--sizes 200 1000] [--threads 8]

PostgreSQL: a durable server (fsync on) started from Debian's binaries in a temporary folder
(tests/support/postgres.py), or an existing database with --database postgresql://…
Every request is a new sign-up (its own phone number and record_id), all released at once.
Also prints the gunicorn workers' CPU time per request, and what the ledger layer alone sustains
(a sign-up's transactions from 16 threads, no HTTP, no app code).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path

from generator.receiver.ledger import Ledger

REPO = Path(__file__).resolve().parent.parent
KEY = "bench-key"
# The outbox stands in for a provider (no network here); its "not delivered" warning per
# message is silenced so the figures measure the receiver and its ledger, not stderr.
APP = """
import logging

from generator.receiver.app import create_app
from generator.receiver.ratelimit import Limit, Limits

logging.getLogger("optin.receiver").setLevel(logging.ERROR)
app = create_app(limits=Limits(per_address=Limit(10**7, 60), per_contact=Limit(100, 60), wrong_codes=Limit(100, 60)),
                 purge_interval=0)
"""


SHOWN = {"notice_version": "a" * 64, "wording_version": "b" * 64}  # set by main(): what the page shows


def body(i: int, record_id: str) -> dict:
    return {"campaign": "nordlys-sko", "locale": "nb", "purposes": ["offers", "order_updates"],
            "phone": f"+479{1000000 + i:07d}", **SHOWN,
            "client_timestamp": "2026-11-23T19:00:00.000Z", "record_id": record_id}


def shown(project) -> dict:
    """The versions the example campaign's page shows (the receiver takes no other)."""
    from generator.receiver.app import load_campaigns
    from generator.site.views import resolve

    campaign = next(c for c in load_campaigns(project) if c.id == "nordlys-sko")
    view = resolve(campaign, "nb", project.locales)
    return {"notice_version": view.notice_version, "wording_version": view.wording_version}


def burst(port: int, count: int, offset: int) -> tuple[float, list[float], int]:
    """`count` requests released together; (seconds, latencies, acknowledged)."""
    start = threading.Barrier(count + 1)
    latencies, acked, lock = [], [0], threading.Lock()

    def one(i: int) -> None:
        data = json.dumps(body(offset + i, str(uuid.uuid4())))
        start.wait()
        began = time.perf_counter()
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("POST", "/api/submit", data, {"Content-Type": "application/json"})
            res = conn.getresponse()
            res.read()
            conn.close()
            ok = res.status == 202
        except OSError:
            ok = False
        with lock:
            latencies.append(time.perf_counter() - began)
            acked[0] += ok
    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, acked[0]


def run(target: str, project: Path, count: int, threads: int, workdir: Path) -> dict:
    port = 18000 + os.getpid() % 1000 + count % 97
    env = {**os.environ, "PYTHONPATH": str(workdir), "OPTIN_CONFIG": str(project / "optin.toml"),
           "OPTIN_LEDGER": target, "OPTIN_LEDGER_KEY": KEY}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", str(threads),
                               "-b", f"127.0.0.1:{port}", "--backlog", "2048", "--log-level", "warning",
                               "benchapp:app"], cwd=workdir, env=env)
    try:
        for _ in range(300):
            try:
                HTTPConnection("127.0.0.1", port, timeout=1).connect()
                break
            except OSError:
                time.sleep(0.1)
        burst(port, 20, 9_000_000 // 10)  # warm-up: both workers loaded and connected
        workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        cpu = cpu_seconds(workers)
        seconds, latencies, acked = burst(port, count, 0)
        cpu = cpu_seconds(workers) - cpu
    finally:
        server.terminate()
        server.wait(timeout=30)
    store = Ledger.open(target, key=KEY.encode())
    with store.reading() as db:
        rows = db.execute("SELECT COUNT(*) FROM records").fetchone()[0] - 20
    store.close()
    q = statistics.quantiles(latencies, n=100)
    return {"requests": count, "rps": count / seconds, "p50": q[49] * 1000, "p99": q[98] * 1000,
            "acked": acked, "rows": rows, "cpu_ms": cpu / count * 1000}


def cpu_seconds(pids) -> float:
    """CPU time (user + system) the processes used so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def ledger_only(target: str, count: int, threads: int) -> dict:
    """The ledger's part of a sign-up without HTTP or the app: the request's transaction (record,
    event, token, queued delivery) and the delivery's outcome, from `threads` threads of this
    process; what the ledger layer alone can sustain."""
    from generator.receiver import deliveries

    store = Ledger.open(target, key=KEY.encode())
    rec = {"created": "2026-11-23T19:00:00.000Z", "campaign": "nordlys-sko", "controller": {"name": "x"},
           "jurisdiction": "NO", "locale": "nb", "email": None, "pii_categories": ["phone number"],
           "purposes": [{"id": "offers", "channel": "whatsapp", "retention_months": 24}], **SHOWN,
           "notice_url": "https://x.example/p.html", "page_url": "https://x.example/",
           "client_timestamp": "2026-11-23T19:00:00.000Z", "method": "signup-page:json", "extra": {}}

    def one(i: int) -> None:
        record = {**rec, "record_id": str(uuid.uuid4()), "phone": f"+478{1000000 + i:07d}"}
        message_id = str(uuid.uuid4())
        with store.transaction() as db:
            assert Ledger.record(db, record["record_id"]) is None
            Ledger.add_record(db, record)
            Ledger.add_event(db, record["created"], record, "requested", ["offers"], "nb", record["method"])
            Ledger.add_token(db, uuid.uuid4().hex, uuid.uuid4().hex, record, ["offers"], "2026-11-25T19:00:00.000Z")
            deliveries.add(db, record["created"], message_id, record, channel="whatsapp", kind="confirmation",
                           purposes=["offers"], locale="nb", site_url="", api_url="", provider="outbox",
                           status="queued")
        with store.transaction() as db:
            deliveries.follow(db, record["created"], deliveries.latest(db, message_id), "outbox")

    def worker(n: int) -> None:
        for i in range(n, count, threads):
            one(i)
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    began, cpu = time.perf_counter(), time.process_time()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    commits = getattr(getattr(store.backend, "writer", None), "commits", 0)
    store.close()
    return {"submits": count, "per_s": count / seconds, "cpu_ms": cpu / count * 1000, "commits": commits}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--database", help="an existing PostgreSQL database (emptied tables are not made)")
    args = parser.parse_args()
    from support.projects import example_project  # PYTHONPATH=tests

    results, alone = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "benchapp.py").write_text(APP, encoding="utf-8")
        here = example_project(tmp / "project")
        SHOWN.update(shown(here))
        project = here.root
        (project / "optin.toml").write_text("", encoding="utf-8")
        pg = None
        if not args.database:
            from support.postgres import Server
            pg = Server(durable=True).start()
        try:
            for backend in ("sqlite", "postgresql"):
                for count in args.sizes:
                    if backend == "sqlite":
                        target = str(tmp / f"bench-{count}.sqlite")
                    else:
                        target = args.database or pg.new_database()
                    results.append({"backend": backend, **run(target, project, count, args.threads, tmp)})
                    print(results[-1], file=sys.stderr)
                target = str(tmp / "ledger-only.sqlite") if backend == "sqlite" else args.database or pg.new_database()
                alone.append({"backend": backend, **ledger_only(target, max(args.sizes), 16)})
        finally:
            if pg:
                pg.stop()
    print(f"gunicorn -w 2 -k gthread --threads {args.threads}, {os.cpu_count()} cores")
    print(f"{'backend':<11} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'acked':>6} {'rows':>6}"
          f" {'server CPU ms/req':>18}")
    for r in results:
        print(f"{r['backend']:<11} {r['requests']:>8} {r['rps']:>8.0f} {r['p50']:>8.0f} {r['p99']:>8.0f}"
              f" {r['acked']:>6} {r['rows']:>6} {r['cpu_ms']:>18.2f}")
    print("\nthe ledger alone (a sign-up's two transactions, 16 threads of one process, no HTTP):")
    print(f"{'backend':<11} {'submits':>8} {'per s':>8} {'CPU ms each':>12} {'commits':>8}")
    for r in alone:
        print(f"{r['backend']:<11} {r['submits']:>8} {r['per_s']:>8.0f} {r['cpu_ms']:>12.2f} {r['commits']:>8}")


if __name__ == "__main__":
    main()
