"""`optin serve` (site + receiver + outbox on one local server, real HTTP) and
`optin ledger export`; 200 concurrent submissions against a real server on 127.0.0.1."""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.receiver.ratelimit import Limit, Limits
from generator.serve_cli import LocalServer

CAMPAIGNS = Path(__file__).resolve().parent.parent / "campaigns"
ROOMY = Limits(per_address=Limit(10_000, 60), per_contact=Limit(100, 60), wrong_codes=Limit(100, 60))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    sent = []
    server = LocalServer([CAMPAIGNS], ledger=folder / "ledger.sqlite", limits=ROOMY,
                         on_message=sent.append).start()
    server.sent = sent
    yield server
    server.close()


def http(url: str, body: dict | None = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, dict(res.headers), res.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def submission(served, phone: str, locale: str = "nb") -> dict:
    view = served.build.views["nordlys-sko"][locale]
    return {"campaign": "nordlys-sko", "locale": locale, "purposes": ["offers"], "phone": phone,
            "notice_version": view.notice_version, "wording_version": view.wording_version}


def test_pages_point_at_the_local_receiver(served):
    status, headers, body = http(f"{served.url}/nordlys-sko/nb/")
    html = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert f'action="{served.url}/api/submit"' in html
    assert f"connect-src {served.url}" in html  # CSP allows the local receiver only
    confirm = http(f"{served.url}/kedai-harmoni/ms/confirm.html")[2].decode()
    assert f'action="{served.url}/api/confirm"' in confirm


def test_static_files_folders_and_traversal(served):
    status, headers, _ = http(f"{served.url}/")
    assert status == 200
    assert http(f"{served.url}/nope.html")[0] == 404
    assert http(f"{served.url}/../../etc/passwd")[0] == 404
    assert http(f"{served.url}/%2e%2e/%2e%2e/etc/passwd")[0] == 404
    req = urllib.request.Request(f"{served.url}/nordlys-sko/nb")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.build_opener(NoRedirect).open(req)
    assert exc.value.code == 301 and exc.value.headers["Location"] == "/nordlys-sko/nb/"


def test_outbox_page_lists_messages(served):
    assert http(f"{served.url}/api/submit", submission(served, "+4741234567", "en"))[0] == 202
    status, headers, body = http(f"{served.url}/_outbox")
    html = body.decode()
    assert status == 200 and "default-src 'none'" in headers["Content-Security-Policy"]
    assert "+4741234567" in html and 'class="confirm-link"' in html
    assert f"{served.url}/nordlys-sko/en/confirm.html?t=" in html
    rows = json.loads(http(f"{served.url}/_outbox.json")[2])
    assert rows[0]["recipient"] == "+4741234567" and rows[0]["locale"] == "en"


def test_200_concurrent_submissions_all_land(served):
    before = sqlite3.connect(served.ledger.path).execute("SELECT COUNT(*) FROM records").fetchone()[0]
    phones = [f"+479{n:07d}" for n in range(1000000, 1000200)]
    results: list = [None] * len(phones)
    start = threading.Barrier(len(phones))

    def worker(i: int) -> None:
        start.wait()
        status, _, body = http(f"{served.url}/api/submit", submission(served, phones[i]))
        results[i] = (status, json.loads(body))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(phones))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert [r[0] for r in results] == [202] * 200, [r for r in results if r[0] != 202][:3]
    db = sqlite3.connect(served.ledger.path)
    try:
        stored = {row[0] for row in db.execute("SELECT phone FROM records")}
        assert set(phones) <= stored
        assert db.execute("SELECT COUNT(*) FROM records").fetchone()[0] == before + 200
        ids = [r[1]["record_id"] for r in results]
        placeholders = ",".join("?" * len(ids))
        assert db.execute(f"SELECT COUNT(*) FROM events WHERE event = 'requested' AND record_id IN ({placeholders})",
                          ids).fetchone()[0] == 200
        assert db.execute(f"SELECT COUNT(*) FROM tokens WHERE record_id IN ({placeholders})", ids).fetchone()[0] == 200
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()


def test_ledger_export_jsonl_and_csv(tmp_path):
    ledger = tmp_path / "l.sqlite"
    sent = []
    server = LocalServer([CAMPAIGNS], ledger=ledger, limits=ROOMY, on_message=sent.append).start()
    try:
        http(f"{server.url}/api/submit", submission(server, "+4791111111"))
        http(f"{server.url}/api/submit", submission(server, "+4792222222"))
        token = sent[0].link.split("t=")[1].split("&")[0]
        http(f"{server.url}/api/confirm", {"campaign": "nordlys-sko", "locale": "nb", "token": token, "purposes": ["*"]})
        http(f"{server.url}/api/withdraw", {"campaign": "nordlys-sko", "locale": "nb", "phone": "91111111",
                                             "country_code": "47", "purposes": ["offers"]})
        notice = server.build.views["nordlys-sko"]["nb"].notice_version
    finally:
        server.close()
    runner = CliRunner()
    res = runner.invoke(main, ["ledger", "export", "--ledger", str(ledger), "--contact", "+47 911 11 111"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(line) for line in res.output.splitlines()]
    assert [(r["event"], r["purposes"]) for r in lines] == [
        ("requested", ["offers"]), ("given", ["offers"]), ("withdrawn", ["offers"])]
    first = lines[0]
    assert first["phone"] == "+4791111111" and first["notice_version"] == notice
    assert first["controller"]["name"] == "Nordlys Sko AS" and first["jurisdiction"] == "NO"
    assert first["language"] == "nb" and first["pii_categories"] == ["phone number"]
    assert first["notice_url"].endswith(f"/nordlys-sko/nb/privacy-{notice[:8]}.html")
    res = runner.invoke(main, ["ledger", "export", "--ledger", str(ledger), "--format", "csv",
                               "--campaign", "nordlys-sko"])
    assert res.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(res.output)))
    assert [r["event"] for r in rows] == ["requested", "requested", "given", "withdrawn"]
    assert rows[2]["method"] == "confirm-page:link" and rows[3]["method"] == "withdraw-page"
    assert runner.invoke(main, ["ledger", "export", "--ledger", str(ledger), "--campaign", "other"]).output == ""


def test_ledger_export_bad_input(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(main, ["ledger", "export", "--ledger", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 2 and "no ledger" in missing.output and "Traceback" not in missing.output
    (tmp_path / "l.sqlite").write_bytes(b"")
    bad = runner.invoke(main, ["ledger", "export", "--ledger", str(tmp_path / "l.sqlite"), "--contact", "hello"])
    assert bad.exit_code == 2 and "neither an email" in bad.output


def test_serve_reports_a_busy_port(served):
    port = int(served.url.rsplit(":", 1)[1])
    res = CliRunner().invoke(main, ["serve", "--port", str(port), str(CAMPAIGNS)])
    assert res.exit_code == 2 and "cannot listen" in res.output
