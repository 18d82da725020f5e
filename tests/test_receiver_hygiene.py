"""Requests that used to get through or break the receiver: emails with NUL, escapes, zero-width
or look-alike characters; javascript: page URLs; record ids spelled another way; plus
addresses around the per-contact limit; redirects to another site; cross-site requests
without an Origin; Host names not served (DNS rebinding); and, through real servers (Werkzeug's
as under `optin serve`, gunicorn, waitress), broken chunked bodies, clients that leave or stall
mid-body, and a flood of stalled connections. None is a 500; none is a traceback."""
from __future__ import annotations

import dataclasses
import json
import logging
import socket
import threading
import time

import pytest
from werkzeug.serving import make_server
from werkzeug.test import Client

from generator.receiver.app import Receiver, load_campaigns
from generator.receiver.ledger import Ledger
from generator.receiver.local import LocalSite
from generator.receiver.ratelimit import Limit, Limits
from support.receiver import NAV, SITE, Rx, shown, signup
from support.servers import Server, body_of, raw, status_of


def valid(rx, *args, **kwargs) -> dict:
    """A sign-up with the versions the campaign's page shows."""
    return shown(rx.app, signup(*args, **kwargs))


def email_signup(rx, email: str, **kwargs) -> dict:
    return valid(rx, "kedai-harmoni", "ms", ["newsletter"], phone=None, email=email, **kwargs)


# -- input ---------------------------------------------------------------------------------
def test_a_record_id_spelled_another_way_is_the_same_record(rx):
    record_id = "0b8f1a52-7c7e-4b5e-9a57-4c6c4f1e2d3a"
    answers = [rx.post("submit", valid(rx, record_id=spelling))
               for spelling in (record_id, record_id.replace("-", ""), record_id.upper())]
    assert [a.status_code for a in answers] == [202] * 3
    assert {a.get_json()["record_id"] for a in answers} == {record_id}
    assert rx.counts() == (1, 1, 1, 1) and len(rx.sent) == 1


UNSAFE_EMAILS = [
    "kari\x00@example.com", "kari\x1b[31m@example.com", "kari\u200b@example.com", "kari@exa\u200dmple.com",
    "kari@ex\u0430mple.com",        # Cyrillic а among Latin letters
    "kari@\u0440\u0430\u0443\u0440\u0430l.com",   # раураl: Cyrillic with one Latin l
    "kari@\u0440\u0430\u0443\u0440\u0430.com",    # раура: all Cyrillic look-alikes, under .com
    "k\u0430ri@example.com",        # the same trick in the local part
    "kari@[203.0.113.7]", '"kari nordmann"@example.com', "Kari <kari@example.com>", "kari@localhost",
]


def test_unsafe_emails_are_refused(rx):
    for email in UNSAFE_EMAILS:
        res = rx.post("submit", email_signup(rx, email))
        assert res.status_code == 400, email
        assert (res.get_json()["error"], res.get_json()["field"]) == ("invalid_email", "email"), email
    assert rx.counts() == (0, 0, 0, 0) and rx.sent == []


def test_an_email_domain_is_stored_in_one_form_and_withdrawing_finds_it(rx):
    assert rx.post("submit", email_signup(rx, "Kari@B\u00fccher.Example")).status_code == 202
    assert rx.rows("SELECT email FROM records") == [("kari@xn--bcher-kva.example",)]
    # the same address spelled in ASCII is a retry of the same person, not someone else
    res = rx.post("withdraw", {"campaign": "kedai-harmoni", "locale": "ms", "purposes": ["*"],
                               "email": "KARI@xn--bcher-kva.example"})
    assert res.status_code == 200
    assert [e for e, *_ in rx.events()] == ["requested", "withdrawn"]


def test_plus_addresses_share_one_contact_limit_and_are_stored_as_given(tmp_path):
    rx = Rx(tmp_path / "l.sqlite", limits=Limits(per_address=Limit(100, 60), per_contact=Limit(3, 3600),
                                                  wrong_codes=Limit(100, 60)))
    statuses = [rx.post("submit", email_signup(rx, f"kari+{tag}@example.com")).status_code
                for tag in ("a", "b", "c", "d")]
    assert statuses == [202, 202, 202, 429]
    assert rx.post("submit", email_signup(rx, "kari@example.com")).status_code == 429
    assert rx.post("submit", email_signup(rx, "ola+a@example.com")).status_code == 202  # another person
    assert sorted(r[0] for r in rx.rows("SELECT email FROM records")) == [
        "kari+a@example.com", "kari+b@example.com", "kari+c@example.com", "ola+a@example.com"]


PAGE_URLS = [
    (f"{SITE}/nordlys-sko/nb/?utm_source=poster", True),
    ("javascript:alert(document.cookie)", False), (" java\tscript:alert(1)", False),
    ("data:text/html,<script>alert(1)</script>", False), ("https://evil.example/nordlys-sko/nb/", False),
    ("//evil.example/", False), ("ftp://127.0.0.1:8999/x", False), ("not a url", False),
]


def test_page_url_is_kept_only_for_the_sites_own_pages(rx):
    for i, (page_url, kept) in enumerate(PAGE_URLS):
        record_id = f"0b8f1a52-7c7e-4b5e-9a57-4c6c4f1e2d{i:02d}"
        assert rx.post("submit", valid(rx, phone=f"+47912345{i:02d}", page_url=page_url,
                                       record_id=record_id)).status_code == 202
        stored = rx.rows("SELECT page_url FROM records WHERE record_id = ?", record_id)[0][0]
        assert stored == (page_url if kept else f"{SITE}/nordlys-sko/nb/"), page_url


# -- redirects -----------------------------------------------------------------------------
def test_a_line_break_in_success_url_is_a_redirect_not_a_500_after_the_commit(rx):
    """It used to fail only when the Location header was set, after the commit: the browser
    showed an error, the person tried again, and got a second message."""
    body = json.dumps(valid(rx, success_url="/nordlys-sko/nb/thanks.html\r\nSet-Cookie: a=b"))
    res = rx.post("submit", body, "application/json", **NAV)
    assert res.status_code == 303 and not {"\r", "\n"} & set(res.headers["Location"])
    assert "Set-Cookie" not in res.headers
    assert rx.counts()[0] == 1 and len(rx.sent) == 1


def test_a_success_url_that_is_no_url_is_refused_before_anything_is_written(rx):
    for value in (123, ["/x"], "/" + "x" * 3000):
        res = rx.post("submit", json.dumps(valid(rx, success_url=value)), "application/json", **NAV)
        assert res.status_code == 400, value
    assert rx.counts() == (0, 0, 0, 0) and rx.sent == []


@pytest.fixture
def bare(tmp_path, rx):
    """A receiver with no local site and campaigns without base_url: redirects have only the
    request to go by."""
    campaigns = [dataclasses.replace(c, base_url="") for c in load_campaigns(rx.project)]
    app = Receiver(campaigns, Ledger.open(tmp_path / "bare.sqlite"), rx.project.locales, limits=rx.app.limits)
    return Client(app), app


OFF_SITE = [
    "/\t/evil.example/", "//evil.example/", "/\\evil.example/", " \x01//evil.example/", "/\n/evil.example/",
    "\t//evil.example", "https://evil.example/", "javascript:alert(1)", "/\x00/evil.example/",
]


def test_a_redirect_never_leaves_the_site(bare):
    """No base_url, no local site, no Origin: only a path on this host, never //host."""
    client, app = bare
    for i, success_url in enumerate(OFF_SITE):
        body = shown(app, signup(phone=f"+47912345{i:02d}", success_url=success_url))
        res = client.post("/api/submit", data=json.dumps(body), content_type="application/json", headers=NAV)
        assert res.status_code == 303 and res.headers["Location"] == "/nordlys-sko/nb/thanks.html", success_url


def test_a_site_path_is_still_followed(bare):
    client, app = bare
    body = shown(app, signup(success_url="/nordlys-sko/nb/takk.html?kilde=plakat"))
    res = client.post("/api/submit", data=json.dumps(body), content_type="application/json", headers=NAV)
    assert res.status_code == 303 and res.headers["Location"] == "/nordlys-sko/nb/takk.html?kilde=plakat"


def test_a_doubled_slash_is_not_found_not_a_redirect(rx):
    for path in ("/api//submit", "/api/submit/", "/api//hooks/twilio"):
        res = rx.client.post(path, data="{}", content_type="application/json")
        assert res.status_code == 404 and res.get_json()["error"] == "not_found" and "Location" not in res.headers


# -- origins and hosts ---------------------------------------------------------------------
def test_a_cross_site_request_without_origin_is_refused(rx):
    res = rx.post("submit", valid(rx), **{"Sec-Fetch-Site": "cross-site"})
    assert res.status_code == 403 and res.get_json()["error"] == "forbidden_origin"
    assert rx.counts() == (0, 0, 0, 0)
    assert rx.post("submit", valid(rx), **{"Sec-Fetch-Site": "same-site"}).status_code == 202
    # the site's own pages on another site than the receiver send their Origin: allowed
    assert rx.post("submit", valid(rx, phone="+4791234568"), **{"Sec-Fetch-Site": "cross-site",
                                                                "Origin": SITE}).status_code == 202


HOSTS = [
    ("evil.example", False), ("127.0.0.1.evil.example", False), ("evil.example:8999", False),
    ("a b", False), ("localhost", True), ("127.0.0.1:8999", True), ("[::1]:8000", True),
    ("api.nordlyssko.example", True), ("OPTIN.NORDLYSSKO.EXAMPLE", True),
]


def test_only_the_configured_hosts_are_answered(rx):
    """The loopback names, and those of the campaigns' base_url and endpoints."""
    for host, served in HOSTS:
        for path in ("/api/submit", "/api/hooks/twilio"):
            res = rx.client.post(path, data="{}", content_type="application/json", headers={"Host": host})
            refused = res.status_code == 400 and res.get_json()["error"] == "bad_host"
            assert refused != served, (host, path)


def test_any_host_when_the_operator_says_so(tmp_path, rx):
    app = Receiver(load_campaigns(rx.project), Ledger.open(tmp_path / "any.sqlite"), rx.project.locales,
                   allowed_hosts="*")
    res = Client(app).post("/api/submit", data="{}", content_type="application/json", headers={"Host": "x.example"})
    assert res.status_code == 400 and res.get_json()["error"] == "malformed"


def test_the_local_outbox_answers_only_local_names(rx, tmp_path):
    (tmp_path / "site").mkdir()
    client = Client(LocalSite(tmp_path / "site", rx.app))
    assert rx.post("submit", valid(rx)).status_code == 202
    assert client.get("/_outbox.json", headers={"Host": "127.0.0.1:8999"}).status_code == 200
    rebound = client.get("/_outbox.json", headers={"Host": "attacker.example:8999"})
    assert rebound.status_code == 400 and rebound.get_json()["error"] == "bad_host"
    assert b"+4791234567" not in rebound.data
    assert client.get("/_outbox", headers={"Host": "attacker.example"}).status_code == 400


# -- bugs ----------------------------------------------------------------------------------
def test_a_bug_is_one_error_line_and_a_json_500(rx, monkeypatch, caplog):
    def broken(*args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(rx.app.flows, "submit", broken)
    with caplog.at_level(logging.ERROR):
        res = rx.post("submit", valid(rx))
    assert res.status_code == 500 and res.get_json()["error"] == "server_error"
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
    # outside the endpoints' own handling too (here: building the response), still JSON, logged once
    caplog.clear()
    monkeypatch.setattr(rx.app, "handle", broken)
    with caplog.at_level(logging.ERROR):
        res = rx.post("submit", valid(rx))
    assert res.status_code == 500 and res.get_json()["error"] == "server_error"
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1


# -- through real servers ------------------------------------------------------------------
BAD_CHUNK = (b"POST /api/submit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
SHORT = (b"POST /api/submit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         b"Content-Length: 1000\r\n\r\n{\"campaign\": \"nordlys-sko\"")


class Local:
    """The receiver under Werkzeug's threaded server in this process (as `optin serve` runs it)."""

    def __init__(self, rx, body_timeout: float):
        rx.app.body_timeout = body_timeout
        self.server = make_server("127.0.0.1", 0, rx.app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def raw(self, data: bytes, timeout: float = 30):
        return raw(self.port, data, timeout)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


BODY_TIMEOUT = {"local": 1, "gunicorn": 2, "waitress": 2}


@pytest.fixture(scope="module", params=["local", "gunicorn", "waitress"])
def served(request, tmp_path_factory):
    """Each server with short read timeouts: the receiver's own (body_timeout) under Werkzeug and
    gunicorn, waitress's channel timeout (the rest of each command as documented)."""
    folder = tmp_path_factory.mktemp(request.param)
    seconds = BODY_TIMEOUT[request.param]
    if request.param == "local":
        server = Local(Rx(folder / "ledger.sqlite"), seconds)
    elif request.param == "gunicorn":
        server = Server("gunicorn", folder, env={"OPTIN_BODY_TIMEOUT": str(seconds)})
    else:
        server = Server("waitress", folder, extra=[f"--channel-timeout={seconds}", "--cleanup-interval=1"])
    server.kind, server.seconds = request.param, seconds
    yield server
    server.stop()


def test_a_broken_chunk_header_is_a_400(served):
    _, answer = served.raw(BAD_CHUNK)
    assert status_of(answer) == 400, answer
    if served.kind != "waitress":  # waitress answers it itself, before the app
        assert json.loads(body_of(answer))["error"] == "malformed"


def test_a_body_shorter_than_announced_ends_within_bounds(served):
    took, answer = served.raw(SHORT, timeout=served.seconds + 10)
    assert served.seconds - 0.5 <= took <= served.seconds + 3, (took, answer)
    if served.kind == "waitress":
        assert answer == b""  # the channel timed out and was closed
    else:
        assert status_of(answer) == 408 and json.loads(body_of(answer))["error"] == "timeout"


def test_a_client_leaving_mid_body_is_one_warning_line(tmp_path, caplog):
    server = Local(Rx(tmp_path / "ledger.sqlite"), 10)
    try:
        with caplog.at_level(logging.INFO):
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                sock.sendall(SHORT)
                time.sleep(0.2)
            end = time.monotonic() + 10
            while time.monotonic() < end and not any("unreadable" in r.getMessage() for r in caplog.records):
                time.sleep(0.05)
    finally:
        server.stop()
    ours = [r for r in caplog.records if r.name.startswith("optin")]
    assert [(r.levelno, "unreadable" in r.getMessage()) for r in ours] == [(logging.WARNING, True)]
    assert ours[0].exc_info is None and "\n" not in ours[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_110_stalled_connections_do_not_lock_out_waitress(tmp_path):
    """waitress as documented (connection limit 1000, 30 s channel timeout): 110 clients that
    connect and send half a request leave room for a real one, answered at once."""
    server = Server("waitress", tmp_path)
    stalled = []
    try:
        for _ in range(110):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            sock.sendall(b"POST /api/confirm HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            stalled.append(sock)
        start = time.monotonic()
        status, body = server.post("/api/confirm", timeout=10)
        assert status == 400 and json.loads(body)["error"] == "malformed"
        assert time.monotonic() - start < 3
    finally:
        for sock in stalled:
            sock.close()
        server.stop()
