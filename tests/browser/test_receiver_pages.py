"""The receiver's own pages in Chromium on a 375 x 740 phone, light and dark: the no-JavaScript
error page, the withdraw link's page (ask, then done) and the local outbox. Each fits the width
(long links and bodies wrap), is drawn by the campaign's theme (brand colour on the button or
link, the theme's font, the dark scheme's colours), passes axe and breaks no CSP rule (the inline
stylesheet is allowed by its hash, tests/test_receiver_looks.py)."""
from __future__ import annotations

import json
import re
import urllib.request

import pytest
from axe_playwright_python.sync_playwright import Axe

from generator.campaign import colors
from generator.check.browser import AXE_OPTIONS
from generator.site.assets import dark_palette
from support.forms import Guard

PHONE = {"width": 375, "height": 740}
STOP_LINK = re.compile(r"https?://\S+/unsubscribe\?t=[A-Za-z0-9_-]{43}")
_axe = Axe()

LOOK_JS = """selector => {
  const target = getComputedStyle(document.querySelector(selector));
  return {width: document.documentElement.scrollWidth, body: getComputedStyle(document.body).fontFamily,
          background: target.backgroundColor, color: target.color,
          dark: matchMedia('(prefers-color-scheme: dark)').matches};
}"""


def rgb(hex_colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)))


def violations(page) -> list[str]:
    found = _axe.run(page, options=AXE_OPTIONS).response["violations"]
    return [f"{v['id']}: " + "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:3]) for v in found]


def api(server, name: str, body: dict) -> int:
    request = urllib.request.Request(f"{server.url}/api/{name}", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return answer.status


def sign_up(server, cid: str, lang: str, contact: dict) -> list[dict]:
    """Every purpose of the campaign through the API; the messages sent to the contact."""
    campaign = next(c for c in server.build.campaigns if c.id == cid)
    view = server.build.views[cid][lang]
    body = {"campaign": cid, "locale": lang, "purposes": [p.id for p in campaign.purposes], "phone": contact["phone"],
            "notice_version": view.notice_version, "wording_version": view.wording_version}
    if any(p.channel == "email" for p in campaign.purposes):
        body["email"] = contact["email"]
    assert api(server, "submit", body) == 202
    return [dict(r) for r in server.ledger.outbox() if r["recipient"] in (contact["phone"], contact["email"])]


@pytest.fixture(scope="module")
def phone(browser, flow_server):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    yield page, Guard.on(page, [flow_server.url])
    context.close()


def check(phone, selector: str, primary: str, label: str) -> dict[str, list[str]]:
    """The page as loaded, in the light and the dark scheme: width, theme, axe; problems by scheme."""
    page, _ = phone
    problems = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        look = page.evaluate(LOOK_JS, selector)
        assert look["dark"] == (scheme == "dark")
        assert look["width"] <= PHONE["width"], f"{label}: {look['width']}px wide"
        assert look["body"].startswith("system-ui"), f"{label}: font {look['body']}"  # the theme's, not the default
        want = primary if scheme == "light" else dark_palette({"primary": primary})["primary"]
        assert rgb(want) in (look["background"], look["color"]), f"{label} ({scheme}): {look}"
        found = violations(page)
        if found:
            problems[scheme] = found
    page.emulate_media(color_scheme="light")
    return problems


def test_receiver_pages_on_a_phone(phone, flow_server, flow_contact):
    page, guard = phone
    nordlys = next(c for c in flow_server.build.campaigns if c.id == "nordlys-sko")
    primary = nordlys.colors["primary"]
    problems = {}
    # the error page: the signup form posted by the browser itself, with a bad number
    page.goto(f"{flow_server.url}/nordlys-sko/en/")
    page.check("#purpose-offers")
    page.fill("#phone", "12")
    with page.expect_navigation():
        page.eval_on_selector("#signup", "form => form.submit()")  # no submit event: no script involved
    assert page.locator("#error").get_attribute("data-error") == "invalid_phone"
    assert page.locator("a.brand").inner_text() == nordlys.brand_name
    problems["error"] = check(phone, ".button", primary, "error page")
    # the withdraw link of a confirmed sign-up: ask, then done
    contact = flow_contact()
    (message,) = [m for m in sign_up(flow_server, "nordlys-sko", "en", contact) if m["link"]]
    token = re.search(r"[?&]t=([^&]+)", message["link"]).group(1)
    assert api(flow_server, "confirm", {"campaign": "nordlys-sko", "token": token, "purposes": ["*"]}) == 200
    page.goto(STOP_LINK.search(message["body"]).group(0))
    assert page.locator("#stop-state").get_attribute("data-state") == "ask"
    problems["stop ask"] = check(phone, "button.button", primary, "stop page")
    with page.expect_navigation():
        page.click("button.button")
    assert page.locator("#stop-state").get_attribute("data-state") == "done"
    problems["stop done"] = check(phone, "main a", primary, "stop done page")
    # the outbox: several campaigns (the default theme's colours), long links and bodies
    sign_up(flow_server, "kedai-harmoni", "ms", flow_contact("MY"))
    page.goto(f"{flow_server.url}/_outbox")
    assert page.locator("li.message").count() >= 4
    problems["outbox"] = check(phone, "a.confirm-link", colors.DEFAULTS["primary"], "outbox")
    widest = page.evaluate("Math.max(...[...document.querySelectorAll('li.message, pre')].map(e => e.scrollWidth))")
    assert widest <= PHONE["width"]
    # a 4xx page logs its status; anything else (a CSP "Refused to ...") is a failure
    errors = [e for e in guard.errors if "responded with a status of 4" not in e]
    assert errors == [] and not any("Refused to" in e for e in guard.errors), errors
    assert guard.foreign == []
    assert {k: v for k, v in problems.items() if v} == {}
