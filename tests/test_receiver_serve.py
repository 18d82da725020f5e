"""`optin serve` (site + receiver + outbox on one local server, real HTTP) and
`optin ledger export`; 200 concurrent submissions against a real server on 127.0.0.1; the real
`optin serve` command and the receiver under a production WSGI server (waitress), each in a
subprocess. Every build uses a temporary project holding copies of the example campaigns (a
build archives notices there)."""
from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import sys
import threading
import urllib.error
import urllib.request
from http.client import HTTPConnection
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli.main import main
from generator.pipeline.serve import LocalServer
from generator.receiver.ratelimit import Limit, Limits
from support.processes import Process
from support.projects import builtin_locales, example_project
from support.receiver import event_counts
from support.receiver import versions as page_versions

ROOMY = Limits(per_address=Limit(10_000, 60), per_contact=Limit(100, 60), wrong_codes=Limit(100, 60))


def project_file(project) -> Path:
    """The project's optin.toml (empty: every setting its default), for `optin -f`."""
    path = project.root / "optin.toml"
    if not path.exists():
        path.write_text("", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project of the example campaigns (with logos, approvals and archived notices)."""
    return example_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def served(tmp_path_factory, project):
    folder = tmp_path_factory.mktemp("serve")
    sent = []
    server = LocalServer(project, ledger=folder / "ledger.sqlite", limits=ROOMY, on_message=sent.append).start()
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


FORM = "application/x-www-form-urlencoded"
FORM_BODY = f"campaign=nordlys-sko&locale=nb&purposes=offers&phone=%2B4791234567&notice_version={'a' * 64}" \
            f"&wording_version={'b' * 64}"


@pytest.mark.parametrize("ctype,body", [
    ("application/json", json.dumps({"campaign": "nordlys-sko", "padding": "x" * 40_000})),
    (FORM, FORM_BODY + "&x=" + "y" * 40_000),
], ids=["json", "form"])
def test_chunked_oversized_bodies_get_413_from_the_local_server(served, ctype, body):
    """Werkzeug's own server ends a chunked body for the app; too long is 413, never cut short."""
    before = event_counts(served.ledger)
    status, error = post_chunked(f"{served.url}/api/submit", body.encode(), ctype)
    assert status == 413 and error["error"] == "too_large"
    assert event_counts(served.ledger) == before


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


def test_ledger_export_jsonl_and_csv(tmp_path, project):
    ledger = tmp_path / "l.sqlite"
    sent = []
    server = LocalServer(project, ledger=ledger, limits=ROOMY, on_message=sent.append).start()
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
    config = str(project_file(project))
    res = runner.invoke(main, ["-f", config, "ledger", "export", "--ledger", str(ledger),
                               "--contact", "+47 911 11 111"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(line) for line in res.output.splitlines()]
    assert [(r["event"], r["purposes"]) for r in lines] == [
        ("requested", ["offers"]), ("given", ["offers"]), ("withdrawn", ["offers"])]
    first = lines[0]
    assert first["phone"] == "+4791111111" and first["notice_version"] == notice
    assert first["controller"]["name"] == "Nordlys Sko AS" and first["jurisdiction"] == "NO"
    assert first["language"] == "nb" and first["pii_categories"] == ["phone number"]
    assert first["notice_url"].endswith(f"/nordlys-sko/nb/privacy-{notice[:8]}.html")
    res = runner.invoke(main, ["-f", config, "ledger", "export", "--ledger", str(ledger), "--format", "csv",
                               "--campaign", "nordlys-sko"])
    assert res.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(res.output)))
    assert [r["event"] for r in rows] == ["requested", "requested", "given", "withdrawn"]
    assert rows[2]["method"] == "confirm-page:link" and rows[3]["method"] == "withdraw-page"
    assert runner.invoke(main, ["-f", config, "ledger", "export", "--ledger", str(ledger),
                                "--campaign", "other"]).output == ""


def test_ledger_export_bad_input(tmp_path):
    runner = CliRunner()
    config = str(project_file(example_project(tmp_path / "project")))
    missing = runner.invoke(main, ["-f", config, "ledger", "export", "--ledger", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 2 and "no ledger" in missing.output
    assert isinstance(missing.exception, SystemExit)
    (tmp_path / "l.sqlite").write_bytes(b"")
    bad = runner.invoke(main, ["-f", config, "ledger", "export", "--ledger", str(tmp_path / "l.sqlite"),
                               "--contact", "hello"])
    assert bad.exit_code == 2 and "neither an email" in bad.output
    assert isinstance(bad.exception, SystemExit)


def test_serve_reports_a_busy_port(served, project):
    port = int(served.url.rsplit(":", 1)[1])
    res = CliRunner().invoke(main, ["-f", str(project_file(project)), "serve", "--port", str(port)])
    assert res.exit_code == 2 and "cannot listen" in res.output
    assert isinstance(res.exception, SystemExit)


# -- real processes: `optin serve` and a production WSGI server ------------------------------
def versions(html: str) -> dict:
    return {k: re.search(rf'name="{k}" value="([0-9a-f]{{64}})"', html).group(1)
            for k in ("notice_version", "wording_version")}


def test_optin_serve_prints_each_message_in_the_terminal(tmp_path):
    """The real command, as a marketer runs it in a project folder: the outbox is printed on stdout."""
    here = example_project(tmp_path / "project")
    project_file(here)
    campaigns = here.campaigns_dir
    before = sorted(p.name for p in campaigns.iterdir())
    ledger = tmp_path / "ledger.sqlite"
    serve = Process([sys.executable, "-m", "generator", "serve", "--port", "0", "--ledger", str(ledger)],
                    cwd=here.root)
    try:
        url = serve.until(r"^Serving 2 campaign\(s\) at (http://127\.0\.0\.1:\d+)/$").group(1)
        serve.until(r"^Outbox: ")
        page = http(f"{url}/nordlys-sko/nb/")[2].decode()
        status, _, body = http(f"{url}/api/submit", {
            "campaign": "nordlys-sko", "locale": "nb", "purposes": ["offers", "order_updates"],
            "phone": "+4791234567", **versions(page)})
        assert status == 202, body
        serve.until(r"^--- outbox: whatsapp to \+4791234567 \(nordlys-sko, nb\) ---$")
        start = len(serve.seen)
        serve.until(r"/nordlys-sko/nb/withdraw\.html$")
        text = "\n".join(serve.seen[start:])
        t = builtin_locales().translations("nb")
        assert text.startswith(t.ugettext("%(business)s: please confirm your sign-up") % {"business": "Nordlys Sko"})
        link = re.search(rf"{re.escape(url)}/nordlys-sko/nb/confirm\.html\?t=[\w-]{{43}}&p=offers,order_updates", text)
        code = re.search(r"\b([0-9A-Z]{4}-[0-9A-Z]{4})\b", text)
        assert link and code, text
        assert t.ugettext("You can stop at any time:") in text
        assert "WhatsApp-meldinger: svar STOPP" in text and "SMS-meldinger: svar UNSUB" in text
        # the printed code is the real one
        status, _, body = http(f"{url}/api/confirm", {"campaign": "nordlys-sko", "locale": "nb",
                                                      "code": code.group(1), "purposes": ["*"]})
        assert status == 200 and json.loads(body)["purposes"] == ["offers", "order_updates"]
    finally:
        code = serve.stop()
    assert code == 0 and serve.seen[-1] == "stopped"
    assert sorted(p.name for p in campaigns.iterdir()) == before  # serving builds elsewhere


def post_chunked(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, dict]:
    """POST with Transfer-Encoding: chunked (no Content-Length), in 4 KB chunks."""
    parts = url.split("/", 3)
    conn = HTTPConnection(parts[2], timeout=30)
    try:
        chunks = (body[i:i + 4096] for i in range(0, len(body), 4096))
        conn.request("POST", "/" + parts[3], body=chunks, encode_chunked=True,
                     headers={"Content-Type": content_type, "Transfer-Encoding": "chunked"})
        res = conn.getresponse()
        return res.status, json.loads(res.read())
    finally:
        conn.close()


def test_receiver_runs_under_waitress(tmp_path):
    """The README's production set-up: create_app under waitress, settings from OPTIN_* variables."""
    here = example_project(tmp_path / "project")
    ledger = tmp_path / "prod.sqlite"
    server = Process([sys.executable, "-m", "waitress", "--listen=127.0.0.1:0", "--threads=4",
                      "--call", "generator.receiver.app:create_app"], cwd=tmp_path,
                     env={"OPTIN_CONFIG": str(project_file(here)), "OPTIN_CAMPAIGNS": str(here.campaigns_dir),
                          "OPTIN_LEDGER": str(ledger), "OPTIN_ORIGINS": "https://shop.example"})
    try:
        url = server.until(r"Serving on (http://127\.0\.0\.1:\d+)").group(1)
        body = {"campaign": "nordlys-sko", "locale": "nb", "purposes": ["offers"], "phone": "+4791234567",
                "notice_version": page_versions()[0], "wording_version": page_versions()[1]}
        status, headers, answer = http(f"{url}/api/submit", body, {"Origin": "https://shop.example"})
        assert status == 202 and json.loads(answer)["status"] == "pending", answer
        assert headers["Access-Control-Allow-Origin"] == "https://shop.example"
        # chunked bodies through a real server: read to the end when small, 413 when too large
        assert post_chunked(f"{url}/api/submit", json.dumps({**body, "phone": "+4791234568"}).encode())[0] == 202
        status, error = post_chunked(f"{url}/api/submit", json.dumps({**body, "padding": "x" * 40_000}).encode())
        assert status == 413 and error["error"] == "too_large"
        status, error = post_chunked(f"{url}/api/submit", (FORM_BODY + "&x=" + "y" * 40_000).encode(), FORM)
        assert status == 413 and error["error"] == "too_large"
    finally:
        server.stop()
    db = sqlite3.connect(ledger)
    try:
        assert [r[0] for r in db.execute("SELECT phone FROM records ORDER BY created")] == ["+4791234567", "+4791234568"]
    finally:
        db.close()
