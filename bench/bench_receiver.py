"""Receiver benchmark: 200 and 1,000 concurrent sign-ups against gunicorn (2 workers, gthread)
on each ledger backend; prints requests/s, p50/p99 latency and rows = acknowledged requests.

    PYTHONPATH=tests .venv/bin/python bench/bench_receiver.py [--sizes 200 1000] [--threads 8]

PostgreSQL: a durable server (fsync on) started from Debian's binaries in a temporary folder
(tests/support/postgres.py), or an existing database with --database postgresql://…
Every request is a new sign-up (its own phone number and record_id), all released at once.
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
APP = """
from generator.receiver.app import create_app
from generator.receiver.ratelimit import Limit, Limits

app = create_app(limits=Limits(per_address=Limit(10**7, 60), per_contact=Limit(100, 60), wrong_codes=Limit(100, 60)))
"""


def body(i: int, record_id: str) -> dict:
    return {"campaign": "nordlys-sko", "locale": "nb", "purposes": ["offers", "order_updates"],
            "phone": f"+479{1000000 + i:07d}", "notice_version": "a" * 64, "wording_version": "b" * 64,
            "client_timestamp": "2026-11-23T19:00:00.000Z", "record_id": record_id}


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
        seconds, latencies, acked = burst(port, count, 0)
    finally:
        server.terminate()
        server.wait(timeout=30)
    store = Ledger.open(target, key=KEY.encode())
    rows = store.counts()["records"] - 20
    store.close()
    q = statistics.quantiles(latencies, n=100)
    return {"requests": count, "rps": count / seconds, "p50": q[49] * 1000, "p99": q[98] * 1000,
            "acked": acked, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--database", help="an existing PostgreSQL database (emptied tables are not made)")
    args = parser.parse_args()
    from support.projects import example_project  # PYTHONPATH=tests

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "benchapp.py").write_text(APP, encoding="utf-8")
        project = example_project(tmp / "project").root
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
        finally:
            if pg:
                pg.stop()
    print(f"gunicorn -w 2 -k gthread --threads {args.threads}, {os.cpu_count()} cores")
    print(f"{'backend':<11} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'acked':>6} {'rows':>6}")
    for r in results:
        print(f"{r['backend']:<11} {r['requests']:>8} {r['rps']:>8.0f} {r['p50']:>8.0f} {r['p99']:>8.0f}"
              f" {r['acked']:>6} {r['rows']:>6}")


if __name__ == "__main__":
    main()
