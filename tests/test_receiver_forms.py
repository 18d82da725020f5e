"""The reference receiver and forms posted without JavaScript: the browser follows a 303 to
the page (and its state fragment), or gets a small localised error page for a rejected signup."""
from __future__ import annotations

from support.receiver import FORM, NAV, NOTICE, SITE, WORDING, signup, versions


def test_form_submit_redirects_to_thanks_on_this_site(rx):
    form = ("campaign=nordlys-sko&locale=nb&purposes=offers&purposes=order_updates&phone=912+34+567"
            f"&country_code=47&notice_version={NOTICE}&wording_version={WORDING}&website="
            "&success_url=https%3A%2F%2Foptin.nordlyssko.example%2Fnordlys-sko%2Fnb%2Fthanks.html"
            "&redirect=https%3A%2F%2Foptin.nordlyssko.example%2Fnordlys-sko%2Fnb%2Fthanks.html")
    res = rx.post("submit", form, FORM, **NAV)
    assert res.status_code == 303
    # the campaign's public base_url is mapped to the local site (optin serve)
    assert res.headers["Location"] == f"{SITE}/nordlys-sko/nb/thanks.html"
    assert rx.events() == [("requested", ["offers", "order_updates"], "nb", "signup-page:form")]
    assert rx.sent[0].recipient == "+4791234567"


def test_form_redirects_never_leave_the_allowed_origins(rx):
    notice, wording = versions("nordlys-sko", "en")
    form = (f"campaign=nordlys-sko&locale=en&purposes=offers&phone=%2B4791234567&notice_version={notice}"
            f"&wording_version={wording}&success_url=https%3A%2F%2Fevil.example%2Fphish")
    res = rx.post("submit", form, FORM, **NAV)
    assert res.headers["Location"] == f"{SITE}/nordlys-sko/en/thanks.html"


def test_form_submit_error_shows_a_localised_page(rx):
    form = f"campaign=nordlys-sko&locale=de&purposes=offers&phone=12&notice_version={NOTICE}&wording_version={WORDING}"
    res = rx.post("submit", form, FORM, **NAV)
    assert res.status_code == 400 and res.mimetype == "text/html"
    html = res.get_data(as_text=True)
    assert '<html lang="de">' in html and 'data-error="invalid_phone"' in html
    assert rx.app.locales.translations("de").ugettext("Please enter a valid mobile number.") in html
    assert f'href="{SITE}/nordlys-sko/de/index.html"' in html
    assert rx.counts() == (0, 0, 0, 0)


def test_form_confirm_redirects_to_page_states(rx):
    rx.post("submit", signup())
    ok_url = f"{SITE}/nordlys-sko/nb/confirm.html#confirmed"
    wrong = rx.post("confirm", f"campaign=nordlys-sko&locale=nb&code=0000-0000&scope=all&success_url={ok_url}",
                    FORM, **NAV)
    assert wrong.status_code == 303 and wrong.headers["Location"] == f"{SITE}/nordlys-sko/nb/confirm.html#wrong_code"
    res = rx.post("confirm", f"campaign=nordlys-sko&locale=nb&code={rx.sent[0].code}&scope=all"
                             f"&success_url={ok_url}", FORM, **NAV)
    assert res.headers["Location"] == ok_url
    assert rx.events()[-1] == ("given", ["offers", "order_updates"], "nb", "confirm-page:code")
    again = rx.post("confirm", f"campaign=nordlys-sko&locale=nb&code={rx.sent[0].code}&scope=all"
                               f"&success_url={ok_url}", FORM, **NAV)
    assert again.headers["Location"].endswith("confirm.html#already_confirmed")
    unknown = rx.post("confirm", "campaign=nordlys-sko&locale=nb&code=1&purposes=zzz", FORM, **NAV)
    assert unknown.headers["Location"].endswith("/nordlys-sko/nb/confirm.html#bad_request")


def test_form_withdraw_redirects_to_page_states(rx):
    ok_url = f"{SITE}/nordlys-sko/en/withdraw.html#withdrawn"
    res = rx.post("withdraw", f"campaign=nordlys-sko&locale=en&phone=91234567&country_code=47&purposes=*"
                              f"&success_url={ok_url}", FORM, **NAV)
    assert res.headers["Location"] == ok_url
    bad = rx.post("withdraw", "campaign=nordlys-sko&locale=en&phone=1&country_code=47&purposes=offers", FORM, **NAV)
    assert bad.headers["Location"] == f"{SITE}/nordlys-sko/en/withdraw.html#invalid_phone"


def test_form_format_fetch_gets_json_not_redirects(rx):
    """endpoints.format: form — fetch() posts urlencoded and still wants JSON back."""
    form = f"campaign=nordlys-sko&locale=nb&purposes=offers&phone=%2B4791234567&notice_version={NOTICE}&wording_version={WORDING}"
    res = rx.post("submit", form, FORM, **{"Sec-Fetch-Mode": "cors", "Accept": "application/json"})
    assert res.status_code == 202 and res.get_json()["status"] == "pending"


def test_form_confirm_and_withdraw_without_success_url_show_the_success_state(rx):
    rx.post("submit", signup())
    res = rx.post("confirm", f"campaign=nordlys-sko&locale=nb&code={rx.sent[0].code}&scope=all", FORM, **NAV)
    assert res.status_code == 303 and res.headers["Location"] == f"{SITE}/nordlys-sko/nb/confirm.html#confirmed"
    res = rx.post("withdraw", "campaign=nordlys-sko&locale=en&phone=91234567&country_code=47&purposes=*", FORM, **NAV)
    assert res.status_code == 303 and res.headers["Location"] == f"{SITE}/nordlys-sko/en/withdraw.html#withdrawn"
    # a signup's thanks page has no state to show
    res = rx.post("submit", f"campaign=nordlys-sko&locale=nb&purposes=offers&phone=%2B4791234568"
                            f"&notice_version={NOTICE}&wording_version={WORDING}", FORM, **NAV)
    assert res.headers["Location"] == f"{SITE}/nordlys-sko/nb/thanks.html"
