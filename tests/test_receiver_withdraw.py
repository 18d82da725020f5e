"""Withdrawal, as easy as signing up and no easier to abuse: every message carries the
recipient's own withdraw link (GET shows a button, only the POST withdraws), each withdrawal
keeps its evidence (truncated client address, user agent, method), the withdraw page is limited
per contact, and the person is told on the channel concerned."""
from __future__ import annotations

import json
import re
from html import unescape


from generator.receiver.ratelimit import Limit, Limits
from generator.receiver.senders import Senders
from generator.receiver.senders.outbox import Outbox
from generator.receiver.senders.smtp import SMTPSender
from support.fakes import SMTPFake
from support.receiver import FORM, ROOMY, Rx, shown, signup, token_of

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", "REMOTE_ADDR": "203.0.113.77"}
EMAIL = "siti@example.com"


def stop_link(message) -> str:
    """The message's own withdraw link, as the person sees it in the text."""
    found = re.findall(r"https?://\S+/unsubscribe\?t=[A-Za-z0-9_-]{43}", message.body)
    assert len(found) == 1, message.body
    return found[0]


def local(url: str) -> str:
    """The link's path on the test client (the campaign's receiver lives at another host)."""
    return "/api/unsubscribe?" + url.split("?", 1)[1]


def browse(rx, method: str, url: str, **kwargs):
    environ = {"REMOTE_ADDR": BROWSER["REMOTE_ADDR"]}
    return rx.client.open(local(url), method=method, headers={"User-Agent": BROWSER["User-Agent"]},
                          environ_base=environ, **kwargs)


def sign_up_and_confirm(rx, **body):
    assert rx.post("submit", shown(rx.app, signup(**body))).status_code == 202
    both = body.get("email") and body.get("phone", "the default") is not None
    messages = rx.sent[-2:] if both else rx.sent[-1:]
    for message in messages:
        ok = rx.post("confirm", {"campaign": message.campaign, "token": token_of(message), "purposes": ["*"]})
        assert ok.status_code == 200
    return messages


def evidence(rx):
    return rx.rows("SELECT e.event, e.method, v.address, v.user_agent FROM events e"
                   " JOIN event_evidence v ON v.event_id = e.id ORDER BY e.id")


def outbox(rx, kind_text: str):
    return [row for row in rx.rows("SELECT channel, recipient, body FROM outbox ORDER BY id") if kind_text in row[2]]


def test_the_link_in_a_real_message_withdraws_only_after_its_button(rx):
    (message,) = sign_up_and_confirm(rx)
    url = stop_link(message)
    page = browse(rx, "GET", url)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'method="post"' in html and "Nordlys Sko" in html and page.headers["Content-Language"] == "nb"
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
    # a mail scanner or link preview fetching it (twice, even) changes nothing
    browse(rx, "GET", url)
    assert [e[0] for e in rx.events()] == ["requested", "given"]
    done = browse(rx, "POST", url, data="confirm=withdraw", content_type=FORM)
    assert done.status_code == 200 and 'data-state="done"' in done.get_data(as_text=True)
    # The page promises no more than the campaign's stop_within_hours (24 h by default) allows.
    t = rx.app.locales.translations("nb")
    promise = t.ugettext("Your consent is withdrawn. A message already on its way may still arrive within the next "
                         "%(within)s; after that, you get no more of these messages.") % {"within": "24 timer"}
    assert promise in unescape(done.get_data(as_text=True))
    assert rx.events()[-1] == ("withdrawn", ["offers", "order_updates"], "nb", "withdraw-link")
    assert evidence(rx) == [("withdrawn", "withdraw-link", "203.0.113.0/24", BROWSER["User-Agent"])]
    again = browse(rx, "GET", url)
    assert 'data-state="nothing"' in again.get_data(as_text=True)
    assert rx.client.get("/api/unsubscribe?t=" + "A" * 43).status_code == 404


def test_an_email_link_stops_only_the_email_purposes(rx):
    whatsapp, email = sign_up_and_confirm(rx, campaign="kedai-harmoni", locale="ms",
                                          purposes=["promotions", "newsletter"], phone="+60123456789", email=EMAIL)
    assert (whatsapp.channel, email.channel) == ("whatsapp", "email")
    assert email.unsubscribe_url == stop_link(email)  # the List-Unsubscribe address is the same link
    assert stop_link(whatsapp) != stop_link(email)
    browse(rx, "POST", stop_link(email), data="confirm=withdraw", content_type=FORM)
    assert rx.events()[-1] == ("withdrawn", ["newsletter"], "ms", "withdraw-link")
    said = rx.app.locales.translations("ms").ugettext("Your consent to these messages from %(business)s was withdrawn:")
    (notice,) = outbox(rx, said % {"business": "Kedai Harmoni"})
    assert notice[:2] == ("email", EMAIL)  # the WhatsApp purpose stays, and hears nothing


def test_the_withdraw_page_keeps_evidence_and_tells_the_person(rx):
    sign_up_and_confirm(rx)
    res = rx.client.post("/api/withdraw", data=json.dumps({"campaign": "nordlys-sko", "locale": "de",
                                                            "phone": "+4791234567", "purposes": ["offers"]}),
                         content_type="application/json", headers={"User-Agent": "curl/8.5.0"},
                         environ_base={"REMOTE_ADDR": "2001:db8:abcd:12::7"})
    assert res.status_code == 200
    assert rx.events()[-1] == ("withdrawn", ["offers"], "de", "withdraw-page")
    assert evidence(rx) == [("withdrawn", "withdraw-page", "2001:db8:abcd::/48", "curl/8.5.0")]
    t = rx.app.locales.translations("nb")  # the notice speaks the sign-up's language
    said = t.ugettext("Your consent to these messages from %(business)s was withdrawn:") % {"business": "Nordlys Sko"}
    (notice,) = outbox(rx, said)
    assert notice[:2] == ("whatsapp", "+4791234567")  # the channel of the purpose withdrawn
    assert "/nordlys-sko/nb/" in notice[2]  # how to sign up again, if it was not them
    assert rx.rows("SELECT kind, channel, status FROM deliveries ORDER BY id")[-1] == ("withdrawal", "whatsapp",
                                                                                        "outbox")
    # nothing withdrawn (unknown contact): no message to anyone, the same answer
    quiet = rx.post("withdraw", {"campaign": "nordlys-sko", "phone": "+4799999999", "purposes": ["*"]})
    assert quiet.status_code == 200 and len(outbox(rx, said)) == 1


def test_the_withdraw_page_is_limited_per_contact(tmp_path):
    limits = Limits(per_address=ROOMY.per_address, per_contact=ROOMY.per_contact, wrong_codes=ROOMY.wrong_codes,
                    withdrawals=Limit(3, 3600))
    rx = Rx(tmp_path / "l.sqlite", limits=limits)
    body = {"campaign": "nordlys-sko", "locale": "nb", "phone": "+4791234567", "purposes": ["*"]}
    answers = [rx.client.post("/api/withdraw", data=json.dumps(body), content_type="application/json",
                              environ_base={"REMOTE_ADDR": f"198.51.100.{i}"}) for i in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]  # from four addresses: the contact counts
    limited = answers[-1]
    assert limited.mimetype == "application/json" and limited.get_json()["error"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    # the same number typed another way is the same contact; another person is not limited
    typed = rx.post("withdraw", {**body, "phone": "912 34 567", "country_code": "47"})
    assert typed.status_code == 429
    assert rx.post("withdraw", {**body, "phone": "+4791234568"}).status_code == 200


def test_one_address_cannot_withdraw_a_number_range(tmp_path):
    limits = Limits(per_address=ROOMY.per_address, per_contact=ROOMY.per_contact, wrong_codes=ROOMY.wrong_codes,
                    withdrawals_per_address=Limit(4, 3600))
    rx = Rx(tmp_path / "l.sqlite", limits=limits)
    def withdraw(phone: str, address: str):
        body = {"campaign": "nordlys-sko", "locale": "nb", "phone": phone, "purposes": ["*"]}
        return rx.client.post("/api/withdraw", data=json.dumps(body), content_type="application/json",
                              environ_base={"REMOTE_ADDR": address}).status_code
    assert [withdraw(f"+479123456{i}", "198.51.100.7") for i in range(6)] == [200] * 4 + [429] * 2
    assert withdraw("+4791234569", "198.51.100.8") == 200  # another address is not limited


def test_the_notice_and_the_one_click_headers_go_through_real_smtp(tmp_path):
    with SMTPFake() as smtp:
        mail = SMTPSender("127.0.0.1", "hei@kedaiharmoni.example", port=smtp.port, security="plain")
        rx = Rx(tmp_path / "l.sqlite", preview=False,
                senders=Senders({"whatsapp": Outbox(), "sms": Outbox(), "email": mail}))
        (message,) = sign_up_and_confirm(rx, campaign="kedai-harmoni", locale="ms", purposes=["newsletter"],
                                         phone=None, email=EMAIL)
        [(_, _, confirmation)] = smtp.messages
        assert confirmation["List-Unsubscribe"] == f"<{stop_link(message)}>"
        assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert stop_link(message) in confirmation.get_content()
        # the mail client's one-click POST (RFC 8058) withdraws and the person hears of it
        one_click = browse(rx, "POST", stop_link(message), data={"List-Unsubscribe": "One-Click"})
        assert one_click.status_code == 200
        assert rx.events()[-1] == ("withdrawn", ["newsletter"], "ms", "one-click-unsubscribe")
        assert evidence(rx)[-1][1:] == ("one-click-unsubscribe", "203.0.113.0/24", BROWSER["User-Agent"])
        [_, (_, recipients, notice)] = smtp.messages
        assert recipients == [EMAIL] and "Kedai Harmoni" in notice["Subject"]
        assert "List-Unsubscribe" not in notice  # no list mail: a notice of what happened
        text = notice.get_content()
        assert "/kedai-harmoni/ms/" in text and rx.app.campaigns["kedai-harmoni"].brand_name in text
        rx.ledger.close()
