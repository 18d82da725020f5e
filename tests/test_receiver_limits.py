"""The reference receiver's rate limits and retries: per contact, per address, wrong codes
(with Retry-After), and a retry of the same record_id that neither counts nor changes anything."""
from __future__ import annotations

import json

import pytest
from support.receiver import FORM, NAV, Rx, shown, signup

from generator.receiver.ratelimit import Limit, Limits


def test_retry_with_same_record_id_is_not_a_second_record(rx):
    body = signup(record_id="0b8f1a52-7c7e-4b5e-9a57-4c6c4f1e2d3a")
    first, second = rx.post("submit", body), rx.post("submit", body)
    assert first.status_code == second.status_code == 202
    assert second.get_json()["record_id"] == "0b8f1a52-7c7e-4b5e-9a57-4c6c4f1e2d3a"
    assert rx.counts() == (1, 1, 1, 1) and len(rx.sent) == 1
    clash = rx.post("submit", {**body, "phone": "+4791234568"})
    assert clash.status_code == 409 and clash.get_json()["error"] == "duplicate_record"


def test_rate_limit_per_contact(tmp_path):
    rx = Rx(tmp_path / "l.sqlite", limits=Limits(per_address=Limit(100, 60), per_contact=Limit(3, 3600),
                                                  wrong_codes=Limit(100, 60)))
    statuses = [rx.post("submit", signup()).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    limited = rx.post("submit", signup())
    assert limited.get_json()["error"] == "rate_limited" and int(limited.headers["Retry-After"]) > 0
    assert rx.post("submit", signup(phone="+4791234568")).status_code == 202  # another person is fine
    assert rx.counts()[0] == 4


def test_rate_limit_per_address(tmp_path):
    rx = Rx(tmp_path / "l.sqlite", limits=Limits(per_address=Limit(5, 600), per_contact=Limit(100, 60),
                                                  wrong_codes=Limit(100, 60)))
    statuses = [rx.post("submit", signup(phone=f"+479123456{i}")).status_code for i in range(7)]
    assert statuses == [202] * 5 + [429] * 2
    other = rx.client.post("/api/submit", data=json.dumps(signup(phone="+4791234500")),
                           content_type="application/json", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 202


def test_wrong_codes_are_limited_per_address(tmp_path):
    rx = Rx(tmp_path / "l.sqlite", limits=Limits(per_address=Limit(100, 60), per_contact=Limit(100, 60),
                                                  wrong_codes=Limit(3, 900)))
    rx.post("submit", signup())
    guesses = [rx.post("confirm", {"campaign": "nordlys-sko", "code": f"0000-000{i}", "purposes": ["*"]})
               .get_json()["error"] for i in range(4)]
    assert guesses == ["wrong_code"] * 3 + ["rate_limited"]
    # even the right code waits now: guessing cannot continue
    right = rx.post("confirm", {"campaign": "nordlys-sko", "code": rx.sent[0].code, "purposes": ["*"]})
    assert right.status_code == 429


def test_retries_do_not_use_up_the_contact_limit(tmp_path):
    """The documented 'same answer' for a retry holds even past the per-contact limit."""
    rx = Rx(tmp_path / "l.sqlite", limits=Limits(per_address=Limit(100, 60), per_contact=Limit(3, 3600),
                                                  wrong_codes=Limit(100, 60)))
    body = signup(record_id="0b8f1a52-7c7e-4b5e-9a57-4c6c4f1e2d3a")
    answers = [rx.post("submit", {**body, "client_timestamp": f"2026-11-23T19:00:0{i}.000Z"}) for i in range(6)]
    assert [a.status_code for a in answers] == [202] * 6
    assert {a.get_json()["record_id"] for a in answers} == {body["record_id"]}
    assert rx.counts() == (1, 1, 1, 1) and len(rx.sent) == 1
    # the limit still counts new requests: two more sign-ups of the same number, then 429
    statuses = [rx.post("submit", signup()).status_code for _ in range(3)]
    assert statuses == [202, 202, 429]


@pytest.mark.parametrize("change", [
    {"purposes": ["offers"]}, {"locale": "en"}, {"notice_version": "c" * 64}, {"wording_version": "d" * 64},
    {"campaign": "kedai-harmoni", "locale": "en", "purposes": ["promotions"], "phone": "+4791234567"},
])
def test_record_id_reused_with_other_answers_is_a_conflict(rx, change):
    body = signup(record_id="0b8f1a52-7c7e-4b5e-9a57-4c6c4f1e2d3a")
    assert rx.post("submit", body).status_code == 202
    res = rx.post("submit", {**body, **change})
    assert res.status_code == 409
    assert res.get_json()["error"] == "duplicate_record" and res.get_json()["field"] == "record_id"
    assert rx.counts() == (1, 1, 1, 1) and len(rx.sent) == 1


def test_wrong_code_limit_says_when_to_retry(tmp_path):
    rx = Rx(tmp_path / "l.sqlite", limits=Limits(per_address=Limit(100, 60), per_contact=Limit(100, 60),
                                                  wrong_codes=Limit(2, 900)))
    for _ in range(2):
        rx.post("confirm", {"campaign": "nordlys-sko", "code": "0000-0000", "purposes": ["*"]})
    limited = rx.post("confirm", {"campaign": "nordlys-sko", "code": "0000-0000", "purposes": ["*"]})
    assert limited.status_code == 429 and limited.get_json()["error"] == "rate_limited"
    assert 0 < int(limited.headers["Retry-After"]) <= 900
    # the same for a form posted without JavaScript (303 to the page's rate_limited state)
    form = rx.post("confirm", "campaign=nordlys-sko&locale=nb&code=0000-0000&scope=all", FORM, **NAV)
    assert form.headers["Location"].endswith("confirm.html#rate_limited") and int(form.headers["Retry-After"]) > 0


# -- the limiter's memory ----------------------------------------------------------------------
class Ticks:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_keys_whose_windows_ended_are_forgotten():
    from generator.receiver.ratelimit import RateLimiter

    clock = Ticks()
    limiter, limit = RateLimiter(clock=clock), Limit(3, 60)
    for i in range(1000):
        assert limiter.hit(("contact", "c", f"+4791{i:06d}"), limit) == 0
    assert len(limiter) == 1000
    clock.now += 61  # every window has ended: one more hit, and the rest is gone
    limiter.hit(("address", "198.51.100.1"), limit)
    assert len(limiter) == 1
    # a key still inside its window stays, and still counts
    for _ in range(3):
        limiter.hit(("address", "198.51.100.2"), limit)
    clock.now += 30
    limiter.hit(("address", "198.51.100.3"), limit)
    assert limiter.hit(("address", "198.51.100.2"), limit) > 0


def test_the_table_never_grows_past_its_cap():
    from generator.receiver.ratelimit import RateLimiter

    clock = Ticks()
    limiter, limit = RateLimiter(clock=clock, max_keys=50), Limit(1, 3600)
    for i in range(500):
        clock.now += 0.001
        limiter.hit(("address", f"a{i}"), limit)
        assert len(limiter) <= 50
    # the least recently used went first: the newest are still counted, the oldest forgotten
    assert limiter.hit(("address", "a499"), limit) > 0
    assert limiter.hit(("address", "a0"), limit) == 0


def test_limiter_keys_are_keyed_hashes(rx):
    assert rx.post("submit", shown(rx.app, signup())).status_code == 202
    assert rx.post("submit", shown(rx.app, signup("kedai-harmoni", "ms", ["newsletter"], phone=None,
                                                  email="kari@example.com"))).status_code == 202
    keys = rx.app.limiter.inner.keys()
    assert {k[0] for k in keys} == {"address", "contact"} and len(keys) == 3
    text = repr(keys)
    assert "4791234567" not in text and "kari" not in text and "127.0.0.1" not in text
    assert all(len(k) == 2 and len(k[1]) == 32 for k in keys)


def test_an_ipv6_client_counts_as_its_slash_64(tmp_path):
    rx = Rx(tmp_path / "l.sqlite", limits=Limits(per_address=Limit(2, 600), per_contact=Limit(100, 60),
                                                  wrong_codes=Limit(100, 60)))
    statuses = [rx.client.post("/api/confirm", data="{}", content_type="application/json",
                               environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{i}"}).status_code for i in range(1, 4)]
    assert statuses == [400, 400, 429]
    other = rx.client.post("/api/confirm", data="{}", content_type="application/json",
                           environ_base={"REMOTE_ADDR": "2001:db8:1:3::1"})
    assert other.status_code == 400
