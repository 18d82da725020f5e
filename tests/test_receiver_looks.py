"""The receiver's own pages (no-JavaScript error, withdraw link, local outbox) carry the campaign's
theme inline: the CSP allows exactly that <style> by its sha256 (never 'unsafe-inline'), the
brand colours and the brand's link to the signup page are the campaign's, and without a campaign
the default theme in its own colours. The browser side: tests/browser/test_receiver_pages.py."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import shutil

from werkzeug.test import Client

from generator.campaign import colors
from generator.receiver.local import LocalSite
from generator.receiver.look import Looks
from generator.site.assets import brand_css
from support.receiver import FORM, NAV, SITE, Rx, shown, signup, token_of

LOCAL = {"Host": "127.0.0.1:8999"}


def styled(response) -> str:
    """The page's one <style>, after checking the CSP allows it by its hash and nothing else."""
    html = response.get_data(as_text=True)
    (css,) = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    policy = response.headers["Content-Security-Policy"]
    assert f"style-src 'sha256-{digest}'" in policy and "unsafe" not in policy
    assert policy.startswith("default-src 'none';") and "script-src" not in policy
    markup = re.sub(r"<style>.*?</style>", "", html, flags=re.DOTALL)
    assert "<script" not in markup and not re.search(r"<[^>]*\son\w+=", markup)  # no inline handlers
    return css


def stop_path(message) -> str:
    return "/api/unsubscribe?" + message.stop_url.split("?", 1)[1]


def test_the_error_page_is_in_the_campaigns_theme(rx):
    form = "campaign=nordlys-sko&locale=de&purposes=offers&phone=12"
    res = rx.post("submit", form, FORM, **NAV)
    assert res.status_code == 400 and res.headers["Content-Language"] == "de"
    css = styled(res)
    campaign = rx.app.campaigns["nordlys-sko"]
    assert brand_css(campaign.colors) in css and f"--primary:{campaign.colors['primary']}" in css
    assert "prefers-color-scheme: dark" in css and ".outbox .message" in css
    # the error page may show inside an embedded form's iframe: not forbidden to frame
    assert "frame-ancestors" not in res.headers["Content-Security-Policy"]
    html = res.get_data(as_text=True)
    assert f'<a class="brand" href="{SITE}/nordlys-sko/de/index.html">{campaign.brand_name}</a>' in html


def test_an_unknown_campaigns_error_page_has_the_default_look(rx):
    res = rx.post("submit", "campaign=nope&locale=de&phone=12", FORM, **NAV)
    assert res.status_code == 404 and res.headers["Content-Language"] == "en"
    assert brand_css(colors.DEFAULTS) in styled(res)
    assert 'class="brand"' not in res.get_data(as_text=True)


def test_the_stop_page_states_are_in_the_campaigns_theme(rx):
    assert rx.post("submit", shown(rx.app, signup())).status_code == 202
    (message,) = rx.sent
    assert rx.post("confirm", {"campaign": "nordlys-sko", "token": token_of(message), "purposes": ["*"]}).status_code == 200
    campaign = rx.app.campaigns["nordlys-sko"]
    ask = rx.client.get(stop_path(message))
    done = rx.client.post(stop_path(message), data="confirm=withdraw", content_type=FORM)
    for res, state in ((ask, "ask"), (done, "done")):
        assert res.status_code == 200 and f'data-state="{state}"' in res.get_data(as_text=True)
        assert brand_css(campaign.colors) in styled(res)
        assert "form-action 'self'" in res.headers["Content-Security-Policy"]
        assert f'href="{SITE}/nordlys-sko/nb/index.html"' in res.get_data(as_text=True)
    assert '<button class="button" type="submit">' in ask.get_data(as_text=True)
    invalid = rx.client.get("/api/unsubscribe?t=" + "A" * 43)
    assert invalid.status_code == 404 and brand_css(colors.DEFAULTS) in styled(invalid)
    assert 'class="brand"' not in invalid.get_data(as_text=True)


def test_the_outbox_page_is_themed_and_translated(rx, tmp_path):
    assert rx.post("submit", shown(rx.app, signup())).status_code == 202
    res = Client(LocalSite(tmp_path, rx.app)).get("/_outbox", headers=LOCAL)
    assert res.status_code == 200 and res.headers["Content-Language"] == "en"  # two campaigns, two default locales
    css = styled(res)
    assert brand_css(colors.DEFAULTS) in css and "overflow-wrap: anywhere" in css
    html = res.get_data(as_text=True)
    assert '<html lang="en">' in html and '<li class="message" data-campaign="nordlys-sko" data-locale="nb">' in html
    assert '<a href="/nordlys-sko/nb/index.html">Nordlys Sko</a>' in html and "WhatsApp" in html
    # one campaign: its look, and its locale
    single = Rx(tmp_path / "one.sqlite", folder=tmp_path / "one")
    try:
        single.app.campaigns.pop("kedai-harmoni")
        nb = Client(LocalSite(tmp_path, single.app)).get("/_outbox", headers=LOCAL)
        t = single.app.locales.translations("nb")
        assert nb.headers["Content-Language"] == "nb" and f"<h1>{t.ugettext('Outbox')}</h1>" in nb.get_data(as_text=True)
        assert brand_css(single.app.campaigns["nordlys-sko"].colors) in styled(nb)
        assert f"<p>{t.ugettext('No messages yet.')}</p>" in nb.get_data(as_text=True)
    finally:
        single.ledger.close()


def test_a_child_themes_stylesheet_and_a_projects_theme_are_used(rx, tmp_path):
    campaign = dataclasses.replace(rx.app.campaigns["nordlys-sko"], theme="compact")
    looks = Looks(rx.project.theme_dirs)
    compact = str(looks.of(campaign).css)
    assert compact.index("optin default theme") < compact.index("Compact theme") < compact.index(".outbox")
    assert compact.count("optin default theme") == 1 and "flow.css" not in compact and ".state" not in compact
    # a project's own theme, even one whose text would end the <style> element
    mine = tmp_path / "themes" / "mine"
    shutil.copytree(rx.project.theme_dirs[-1] / "compact", mine)
    (mine / "theme.toml").write_text('name = "mine"\nparent = "default"\n', encoding="utf-8")
    (mine / "static" / "compact.css").write_text("/* </style><script>alert(1)</script> */\n.brand { color: red }\n",
                                                 encoding="utf-8")
    css = str(Looks([tmp_path / "themes", *rx.project.theme_dirs]).of(dataclasses.replace(campaign, theme="mine")).css)
    assert ".brand { color: red }" in css and "</" not in css
    # a theme that cannot be found still gives a page, in the default theme
    assert "optin default theme" in str(looks.of(dataclasses.replace(campaign, theme="gone")).css)
