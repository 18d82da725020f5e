"""Rate limits behind a reverse proxy, under real waitress and gunicorn processes started with the
operator guide's own flags (read from docs/operator.md) on 127.0.0.1: two clients the proxy
names in X-Forwarded-For get a bucket each, and a client reaching the server directly
(from 127.0.0.2) cannot choose its bucket by sending the header itself."""
from __future__ import annotations

import json

import pytest

from support.servers import DIRECT, PROXY, Server

PER_ADDRESS = 60  # ratelimit.Limits().per_address: what a production server counts


@pytest.fixture(scope="module", params=["waitress", "gunicorn"])
def server(request, tmp_path_factory):
    running = Server(request.param, tmp_path_factory.mktemp(request.param))
    yield running
    running.stop()


def hit(server: Server, forwarded_for: str | None, source: str = PROXY) -> int:
    """One cheap request (an empty confirm: counted per address, then refused as malformed)."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    status, body = server.post("/api/confirm", headers=headers, source=source)
    assert status in (400, 429), body
    assert json.loads(body)["error"] in ("malformed", "rate_limited")
    return status


def test_each_client_behind_the_proxy_has_its_own_bucket(server):
    first = [hit(server, "198.51.100.7") for _ in range(PER_ADDRESS + 1)]
    assert first == [400] * PER_ADDRESS + [429]
    # another client through the same proxy is not limited by the first one's requests
    assert hit(server, "198.51.100.8") == 400
    assert hit(server, "198.51.100.7") == 429


def test_a_spoofed_header_from_a_direct_peer_does_not_change_the_bucket(server):
    """From 127.0.0.2 (not the proxy) every request names another X-Forwarded-For: all of them
    count against 127.0.0.2, and none against the addresses it named."""
    spoofed = [hit(server, f"203.0.113.{i}", source=DIRECT) for i in range(PER_ADDRESS + 1)]
    assert spoofed == [400] * PER_ADDRESS + [429]
    assert hit(server, None, source=DIRECT) == 429
    assert hit(server, "203.0.113.5") == 400  # through the proxy that address is still fresh


def test_waitress_without_trusted_proxy_is_named_in_the_log(tmp_path):
    """The mistake the guide warns of: OPTIN_PROXIES=1 but no --trusted-proxy. waitress drops
    X-Forwarded-For, every client shares the proxy's bucket, and the receiver says so once."""
    server = Server("waitress", tmp_path, documented_env=False, env={"OPTIN_PROXIES": "1"},
                    extra=["--trusted-proxy=", "--trusted-proxy-headers="])
    try:
        assert hit(server, "198.51.100.7") == 400
        server.until(r"trusted proxy 127\.0\.0\.1 carries no X-Forwarded-For.*--trusted-proxy", timeout=10)
    finally:
        server.stop()
