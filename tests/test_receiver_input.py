"""The reference receiver's input handling: bodies that are malformed, too deep, too large
(with Content-Length or chunked), of the wrong type or with text SQLite cannot store all get
a 4xx JSON answer, never a 500, and write nothing; the honeypot looks like a real answer."""
from __future__ import annotations

import io
import json
import uuid

import pytest

from support.receiver import FORM, NAV, NOTICE, WORDING, signup


BAD_SUBMITS = [
    ("{not json", "application/json", 400, "malformed"),
    ("[1, 2]", "application/json", 400, "malformed"),
    (b"\xff\xfe", "application/json", 400, "malformed"),
    (signup(campaign="nope"), "application/json", 404, "unknown_campaign"),
    (signup(locale="sv"), "application/json", 400, "unknown_locale"),
    (signup(purposes=["offers", "spam"]), "application/json", 400, "unknown_purpose"),
    (signup(purposes=[]), "application/json", 400, "no_purpose"),
    (signup(purposes="offers,order_updates"), "application/json", 400, "unknown_purpose"),
    (signup(purposes=[1]), "application/json", 400, "malformed"),
    (signup(phone="12"), "application/json", 400, "invalid_phone"),
    (signup(phone=None), "application/json", 400, "invalid_phone"),
    (signup(phone=4791234567), "application/json", 400, "malformed"),
    (signup("kedai-harmoni", "ms", ["newsletter"], phone=None, email="not-an-email"), "application/json", 400, "invalid_email"),
    (signup(notice_version="abc"), "application/json", 400, "malformed"),
    (signup(record_id="not-a-uuid"), "application/json", 400, "malformed"),
    (signup(record_id="6ba7b810-9dad-11d1-80b4-00c04fd430c8"), "application/json", 400, "malformed"),  # UUID1
    (signup(birthday="x"), "application/json", 202, None),  # ignored: no purpose asks for a birthday
    (json.dumps(signup(padding="x" * 17_000)), "application/json", 413, "too_large"),
    ("campaign=nordlys-sko&" + "x=" + "y" * 17_000, "application/x-www-form-urlencoded", 413, "too_large"),
    # nested deeper than Python's JSON parser can go, yet well under 16 KB
    ("[" * 5000 + "]" * 5000, "application/json", 400, "malformed"),
    ('{"campaign": "nordlys-sko", "x": ' + "[" * 5000 + "]" * 5000 + "}", "application/json", 400, "malformed"),
    ('{"a": ' + '{"a": ' * 2000 + "1" + "}" * 2001, "application/json", 400, "malformed"),
    # a lone surrogate is valid JSON syntax but no character: SQLite cannot store it
    (json.dumps(signup(page_url="\ud800")), "application/json", 400, "malformed"),
    (json.dumps(signup(name="x\udfff")), "application/json", 400, "malformed"),
    (json.dumps(signup(purposes=["offers", "\ud800"])), "application/json", 400, "malformed"),
    (json.dumps({**signup(), "\udc80": "x"}), "application/json", 400, "malformed"),
    (json.dumps(signup()), "text/plain", 415, "bad_content_type"),
    (json.dumps(signup()), "multipart/form-data; boundary=x", 415, "bad_content_type"),
]


@pytest.mark.parametrize("body,ctype,status,code", BAD_SUBMITS)
def test_bad_submits_get_a_4xx_json_and_write_nothing(rx, body, ctype, status, code):
    res = rx.post("submit", body, ctype)
    assert res.status_code == status
    if code:
        assert res.mimetype == "application/json"
        assert res.get_json()["error"] == code and isinstance(res.get_json()["message"], str)
        assert rx.counts() == (0, 0, 0, 0) and rx.sent == []


@pytest.mark.parametrize("body,code", [
    ({"campaign": "nordlys-sko", "token": "abc"}, "no_purpose"),
    ({"campaign": "nordlys-sko", "purposes": ["*"]}, "wrong_code"),
    ({"campaign": "nordlys-sko", "code": "----", "purposes": ["*"]}, "wrong_code"),
    ({"campaign": "nordlys-sko", "code": ["x"], "purposes": ["*"]}, "malformed"),
    ({"campaign": "nordlys-sko", "token": "t", "purposes": ["gift"]}, "unknown_purpose"),
    ({"campaign": 7, "token": "t", "purposes": ["*"]}, "malformed"),
])
def test_bad_confirms(rx, body, code):
    res = rx.post("confirm", body)
    assert 400 <= res.status_code < 500 and res.get_json()["error"] == code


def post_chunked(rx, body: bytes, content_type: str, **headers):
    """A body sent with Transfer-Encoding: chunked: no Content-Length; the server ends the
    stream itself (wsgi.input_terminated), as werkzeug's, waitress and gunicorn do."""
    return rx.client.post("/api/submit", input_stream=io.BytesIO(body), content_type=content_type,
                          headers=headers, environ_overrides={"wsgi.input_terminated": True,
                                                              "HTTP_TRANSFER_ENCODING": "chunked"})


FORM_BODY = (f"campaign=nordlys-sko&locale=nb&purposes=offers&phone=%2B4791234567"
             f"&notice_version={NOTICE}&wording_version={WORDING}")
CHUNKED = [
    (json.dumps(signup(padding="x" * 17_000)), "application/json", 413, "too_large"),
    (FORM_BODY + "&x=" + "y" * 17_000, FORM, 413, "too_large"),
    (json.dumps(signup(padding="x" * (16 * 1024 - len(json.dumps(signup(padding=""))) + 1))),
     "application/json", 413, "too_large"),  # one byte over
    (json.dumps(signup(padding="x" * (16 * 1024 - len(json.dumps(signup(padding="")))))),
     "application/json", 202, None),  # exactly 16 KB
    (json.dumps(signup()), "application/json", 202, None),
    (FORM_BODY, FORM, 202, None),
]


@pytest.mark.parametrize("body,ctype,status,code", CHUNKED, ids=["json-big", "form-big", "json-limit+1",
                                                                  "json-limit", "json", "form"])
def test_chunked_bodies_are_read_up_to_the_limit(rx, body, ctype, status, code):
    res = post_chunked(rx, body.encode(), ctype)
    assert res.status_code == status, res.get_data(as_text=True)
    if code:
        assert res.get_json()["error"] == code
        assert rx.counts() == (0, 0, 0, 0) and rx.sent == []
    else:
        assert rx.counts()[0] == 1 and len(rx.sent) == 1


def test_chunked_form_without_javascript_too_large(rx):
    res = post_chunked(rx, (FORM_BODY + "&x=" + "y" * 17_000).encode(), FORM, **NAV)
    assert res.status_code == 413 and res.mimetype == "text/html"
    assert rx.counts() == (0, 0, 0, 0)


def test_a_surrogate_in_a_redirect_is_refused_not_a_crash(rx):
    body = signup(success_url="/\ud800", redirect="/\ud800")
    res = rx.post("submit", json.dumps(body), "application/json", **NAV)
    assert res.status_code == 400 and rx.counts() == (0, 0, 0, 0)


def test_honeypot_pretends_success_and_keeps_nothing(rx):
    res = rx.post("submit", signup(website="http://spam.example"))
    assert res.status_code == 202 and res.get_json()["status"] == "pending"
    assert rx.counts() == (0, 0, 0, 0) and rx.sent == []


def test_honeypot_answer_looks_like_a_real_one(rx):
    """A bot must not tell the honeypot from a real sign-up by its answer."""
    answers = [rx.post("submit", signup(phone=f"+47912345{i:02d}", website="x")).get_json()["record_id"]
               for i in range(2)]
    real = rx.post("submit", signup()).get_json()["record_id"]
    for record_id in answers + [real]:
        assert uuid.UUID(record_id).version == 4 and str(uuid.UUID(record_id)) == record_id
    assert answers[0] != answers[1] and "0" * 8 not in answers[0]
    # with the page's record_id, both echo it, as a retry needs
    mine = str(uuid.uuid4())
    assert rx.post("submit", signup(record_id=mine, website="x")).get_json()["record_id"] == mine
    # what a real sign-up refuses, the honeypot refuses the same way
    bad = rx.post("submit", signup(record_id="0" * 36, website="x"))
    assert bad.status_code == 400 and bad.get_json()["error"] == "malformed"
    assert rx.counts()[0] == 1 and len(rx.sent) == 1
