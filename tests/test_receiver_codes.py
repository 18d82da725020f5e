"""Short codes: a typed code is checked only against the pending record its handle names, that
record allows MAX_CODE_FAILURES wrong tries, a code lives CODE_MINUTES (the link keeps its 48
hours), and many wrong codes across one campaign pause code entry while links keep working.
The messages state those periods as they are."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from generator.receiver import tokens
from generator.receiver.ratelimit import Limit, Limits
from generator.site import messages as texts
from support.receiver import ROOMY, Rx, shown, signup, token_of

ROOMY_BUT = dict(per_address=ROOMY.per_address, per_contact=ROOMY.per_contact, wrong_codes=ROOMY.wrong_codes)


@pytest.fixture
def rx(tmp_path):
    made = Rx(tmp_path / "l.sqlite", preview=False)
    yield made
    made.ledger.close()


def sign_up(rx, phone="+4791234567", **extra):
    assert rx.post("submit", shown(rx.app, signup(phone=phone, **extra))).status_code == 202
    return rx.sent[-1]


def confirm(rx, address: str, campaign="nordlys-sko", **given):
    """A confirmation from `address` (each guess from its own: the per-address limit is not what stops them)."""
    return rx.client.post("/api/confirm", data=json.dumps({"campaign": campaign, "purposes": ["*"], **given}),
                          content_type="application/json", environ_base={"REMOTE_ADDR": address})


def failures(rx) -> dict[str, int]:
    return dict(rx.rows("SELECT record_id, code_failures FROM tokens"))


def other_secret(code: str) -> str:
    """The same handle with a wrong secret."""
    plain = code.replace("-", "")
    last = "0" if plain[-1] != "0" else "1"
    return plain[:-1] + last


def test_a_code_is_checked_only_against_the_record_its_handle_names(rx):
    a, b = sign_up(rx), sign_up(rx, "+4791234568")
    records = [r for (r,) in rx.rows("SELECT record_id FROM records ORDER BY created, rowid")]
    assert a.code[:3] != b.code[:3]  # the handles of open codes differ
    mixed = a.code.replace("-", "")[:3] + b.code.replace("-", "")[3:]  # a's handle, b's secret
    res = confirm(rx, "198.51.100.1", code=mixed)
    assert res.status_code == 400 and res.get_json()["error"] == "wrong_code"
    assert failures(rx) == {records[0]: 1, records[1]: 0}  # only the record the handle names counts it
    unknown = confirm(rx, "198.51.100.2", code="ZZZZ-ZZZZ" if not a.code.startswith("ZZZ") else "YYYY-YYYY")
    assert unknown.get_json()["error"] == "wrong_code" and failures(rx) == {records[0]: 1, records[1]: 0}
    assert confirm(rx, "198.51.100.3", code=b.code.lower()).status_code == 200
    again = confirm(rx, "198.51.100.4", code=b.code)
    assert again.status_code == 409 and again.get_json()["error"] == "already_confirmed"


def test_five_wrong_tries_kill_the_code_but_not_the_link(rx):
    message = sign_up(rx)
    wrong = other_secret(message.code)
    answers = [confirm(rx, f"203.0.113.{i}", code=wrong).get_json()["error"]
               for i in range(tokens.MAX_CODE_FAILURES)]
    assert tokens.MAX_CODE_FAILURES == 5 and answers == ["wrong_code"] * 5
    dead = confirm(rx, "203.0.113.99", code=message.code)  # the right code, too late
    assert dead.status_code == 410 and dead.get_json()["error"] == "expired_token"
    assert "no longer works" in dead.get_json()["message"]
    assert [e[0] for e in rx.events()] == ["requested"]
    assert confirm(rx, "203.0.113.100", token=token_of(message)).status_code == 200


def test_a_code_lives_thirty_minutes_the_link_48_hours(rx):
    first = sign_up(rx)
    rx.clock.now += timedelta(minutes=texts.CODE_MINUTES - 1)
    second = sign_up(rx, "+4791234568")
    assert confirm(rx, "192.0.2.1", code=first.code).status_code == 200  # 29 minutes: fine
    rx.clock.now += timedelta(minutes=2)
    late = confirm(rx, "192.0.2.2", code=second.code)
    assert late.status_code == 200  # the second one is only 2 minutes old
    third = sign_up(rx, "+4791234569")
    rx.clock.now += timedelta(minutes=texts.CODE_MINUTES + 1)
    expired = confirm(rx, "192.0.2.3", code=third.code)
    assert expired.status_code == 410 and expired.get_json()["error"] == "expired_token"
    assert "30 minutes" in expired.get_json()["message"]
    rx.clock.now += timedelta(hours=47)
    assert confirm(rx, "192.0.2.4", token=token_of(third)).status_code == 200
    assert "expired" not in [e[0] for e in rx.events()]  # a code running out expires nothing


def test_the_message_states_both_periods_truly(rx):
    message = sign_up(rx, locale="en")
    assert "The link expires in 48 hours and the code in 30 minutes." in message.body
    assert "The link and the code expire" not in message.body
    assert tokens.CODE_TTL == timedelta(minutes=30) == timedelta(minutes=texts.CODE_MINUTES)
    ((link_expires, code_expires, created),) = rx.rows(
        "SELECT t.expires, t.code_expires, r.created FROM tokens t JOIN records r USING (record_id)")
    assert (link_expires, code_expires) == ("2026-11-25T19:00:00.000Z", "2026-11-23T19:30:00.000Z")
    assert created == "2026-11-23T19:00:00.000Z"


def test_the_build_states_the_code_period_as_the_receiver_applies_it(example_site):
    data = json.loads((example_site / "nordlys-sko" / "messages.json").read_text(encoding="utf-8"))
    for channel in ("whatsapp", "sms"):
        body = data["en"][channel][texts.CONFIRMATION]
        assert "The link expires in {duration} and the code in 30 minutes." in body
    pages = [p.read_text(encoding="utf-8") for p in example_site.rglob("*.html")]
    assert pages and not [p for p in pages if "48 hours" in p or "48 timer" in p or "48 Stunden" in p]


def test_many_wrong_codes_across_the_campaign_pause_code_entry_not_links(tmp_path):
    rx = Rx(tmp_path / "l.sqlite", preview=False, limits=Limits(**ROOMY_BUT, campaign_codes=Limit(3, 900)))
    message = sign_up(rx)
    for i in range(3):  # three strangers, three wrong codes
        assert confirm(rx, f"198.51.100.{i}", code=f"ZZZ{i}-ZZZZ").status_code == 400
    paused = confirm(rx, "192.0.2.200", code=message.code)  # a fresh address, the right code
    assert paused.status_code == 429 and paused.get_json()["error"] == "rate_limited"
    assert int(paused.headers["Retry-After"]) > 0 and "link" in paused.get_json()["message"]
    # another campaign's codes are not paused, and this campaign's links still confirm
    other = sign_up(rx, campaign="kedai-harmoni", locale="ms", purposes=["promotions"], phone="+60123456789")
    assert confirm(rx, "192.0.2.201", campaign="kedai-harmoni", code=other.code).status_code == 200
    assert confirm(rx, "192.0.2.202", token=token_of(message)).status_code == 200


def test_an_open_code_never_shares_its_handle(rx, monkeypatch):
    real, calls = tokens.new_code, []

    def clashing(handle=None):
        calls.append(handle)
        return real("ABC") if len(calls) <= 2 else real(handle)

    monkeypatch.setattr(tokens, "new_code", clashing)
    first, second = sign_up(rx), sign_up(rx, "+4791234568")
    assert first.code.startswith("ABC") and not second.code.startswith("ABC") and len(calls) == 3
    assert confirm(rx, "192.0.2.1", code=first.code).status_code == 200
    assert confirm(rx, "192.0.2.2", code=second.code).status_code == 200
