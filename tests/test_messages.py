"""The messages behind the flow: messages.json per campaign (every locale and channel, named
placeholders intact), the WhatsApp template requests (valid against Meta's shape, Meta's body
rules enforced at build time), and the receiver sending the same text."""
from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from support import projects

from generator.campaign.model import load
from generator.errors import BuildError
from generator.i18n.catalogs import po_path, pot_path, read_catalog
from generator.pipeline.build import build
from generator.receiver.messages import confirmation
from generator.site import messages as texts
from generator.site import whatsapp

SCHEMA = json.loads((Path(whatsapp.__file__).parent / "schema" / "whatsapp-template.schema.json").read_text())
NEW_MSGIDS = (texts.SUBSCRIBED, texts.SUBSCRIBED_TO, texts.OPTED_OUT)
PHONE_MESSAGES = {texts.CONFIRMATION, texts.SUBSCRIBED_MESSAGE, texts.OPT_OUT_REPLY, texts.WITHDRAWAL}
EMAIL_MESSAGES = {texts.CONFIRMATION, texts.SUBSCRIBED_MESSAGE, texts.WITHDRAWAL}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    project = projects.example_project(tmp_path_factory.mktemp("messages"))
    out = project.root / "site"
    build(project, None, out)
    campaigns = {cid: load(project.campaign_file(cid), project)[0] for cid in projects.EXAMPLE_IDS}
    return project, out, campaigns


def read(out: Path, cid: str, name: str) -> dict:
    return json.loads((out / cid / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("cid", projects.EXAMPLE_IDS)
def test_every_locale_has_every_message(built, cid):
    _, out, campaigns = built
    campaign, data = campaigns[cid], read(out, cid, "messages.json")
    assert sorted(data) == sorted(campaign.locales)
    english = data["en"]
    for lang, channels in data.items():
        assert sorted(channels) == sorted(campaign.channels)
        for channel, msgs in channels.items():
            assert set(msgs) == (EMAIL_MESSAGES if channel == "email" else PHONE_MESSAGES), (lang, channel)
            for name, text in msgs.items():
                assert text.strip() and "%(" not in text, (lang, channel, name)
                assert campaign.brand_name in text
                if lang != "en":
                    assert text != english[channel][name], f"{lang} {channel} {name} is not translated"


@pytest.mark.parametrize("cid", projects.EXAMPLE_IDS)
def test_placeholders_survive_translation(built, cid):
    _, out, campaigns = built
    campaign = campaigns[cid]
    for lang, channels in read(out, cid, "messages.json").items():
        for channel, msgs in channels.items():
            body = msgs[texts.CONFIRMATION]
            for name in ("link", "code", "duration", "stop_url"):
                assert body.count("{" + name + "}") == 1, (lang, channel, name)
            assert set(re.findall(r"\{(\w+)\}", body)) == {"link", "code", "duration", "stop_url"}
            assert f"{campaign.base_url}/{cid}/{lang}/withdraw.html" in body
            assert set(re.findall(r"\{(\w+)\}", msgs[texts.SUBSCRIBED_MESSAGE])) == set()
        if "whatsapp" in channels:
            assert campaign.opt_out["whatsapp"][lang] in channels["whatsapp"][texts.CONFIRMATION]


def test_new_strings_are_in_the_template_and_translated_with_their_placeholders():
    pot = read_catalog(pot_path(projects.REPO / "locales"))
    for msgid in NEW_MSGIDS:
        assert pot.get(msgid) is not None, msgid
    for lang in projects.LOCALES:
        catalog = read_catalog(po_path(projects.REPO / "locales", lang), lang)
        for msgid in NEW_MSGIDS:
            message = catalog.get(msgid)
            assert message is not None and message.string and "fuzzy" not in message.flags, (lang, msgid)
            assert re.findall(r"%\(\w+\)s", message.string) == re.findall(r"%\(\w+\)s", msgid), (lang, msgid)
            assert (message.string == msgid) == (lang == "en"), (lang, msgid)


def test_messages_json_is_deterministic(built, tmp_path):
    project, out, _ = built
    again = tmp_path / "again"
    build(project, None, again)
    for cid in projects.EXAMPLE_IDS:
        for name in ("messages.json", "whatsapp-templates.json"):
            first = (out / cid / name).read_bytes()
            assert first == (again / cid / name).read_bytes()
            text = first.decode("utf-8")
            assert text == json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False, indent=2) + "\n"
            assert "\\u00" not in text  # ensure_ascii=False: ø, ü stay readable


def test_the_receiver_sends_the_text_the_build_wrote(built):
    project, out, campaigns = built
    campaign = campaigns["nordlys-sko"]
    data = read(out, "nordlys-sko", "messages.json")
    for lang in campaign.locales:
        ids = [p.id for p in campaign.purposes]
        link, code = "https://x.example/c?t=abc&p=offers,order_updates", "AB12-CD34"
        withdraw = f"{campaign.base_url}/nordlys-sko/{lang}/withdraw.html"
        stop = "https://x.example/api/unsubscribe?t=" + "s" * 43
        sent = confirmation(project.locales.translations(lang), campaign, lang, ["whatsapp", "sms"], "+4790000000",
                            ids, link, code, withdraw, 48, stop_url=stop)
        values = {"link": link, "code": code, "duration": texts.duration(48, lang), "withdraw_url": withdraw,
                  "stop_url": stop}
        assert sent.body == texts.fill(data[lang]["whatsapp"][texts.CONFIRMATION], values)


@pytest.mark.parametrize("cid", projects.EXAMPLE_IDS)
def test_whatsapp_templates_validate_against_the_schema(built, cid):
    _, out, campaigns = built
    campaign = campaigns[cid]
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    requests = read(out, cid, "whatsapp-templates.json")
    assert sorted(requests) == sorted(campaign.locales)
    assert {r["language"] for r in requests.values()} == {"nb", "de", "ms", "en_GB", "es"}
    for lang, req in requests.items():
        errors = [e.message for e in validator.iter_errors(req)]
        assert errors == [], (lang, errors)
        assert req["name"] == cid.replace("-", "_") + "_confirmation" and req["category"] == "UTILITY"
        parts = {c["type"]: c for c in req["components"]}
        body = parts["BODY"]
        assert re.findall(r"\{\{(\d+)\}\}", body["text"]) == ["1", "2", "3", "4"]  # link, code, duration, stop_url
        assert len(body["example"]["body_text"][0]) == 4
        if "FOOTER" in parts:
            assert len(parts["FOOTER"]["text"]) <= 60 and parts["FOOTER"]["text"] not in body["text"]
        [button] = parts["BUTTONS"]["buttons"]
        prefix = f"{campaign.base_url}/{cid}/{lang}/confirm.html?"
        assert button["url"] == prefix + "{{1}}" and button["example"][0].startswith(prefix + "t=")


def test_a_short_opt_out_line_becomes_the_footer(built):
    _, out, _ = built
    en = {c["type"]: c for c in read(out, "kedai-harmoni", "whatsapp-templates.json")["en"]["components"]}
    assert en["FOOTER"]["text"] == "You can stop at any time: reply STOP to any message."
    # two keywords (WhatsApp STOPP, SMS UNSUB) take several lines: they stay in the body
    nb = {c["type"]: c for c in read(out, "nordlys-sko", "whatsapp-templates.json")["nb"]["components"]}
    assert "FOOTER" not in nb and "STOPP" in nb["BODY"]["text"] and "UNSUB" in nb["BODY"]["text"]


def test_the_schema_rejects_what_meta_rejects(built):
    _, out, _ = built
    good = read(out, "kedai-harmoni", "whatsapp-templates.json")["en"]
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for text in ("{{1}} starts it", "it ends with {{1}}", "two {{1}} {{2}} side by side", "x" * 1025):
        bad = copy.deepcopy(good)
        bad["components"][0]["text"] = text
        assert not validator.is_valid(bad), text
    bad = copy.deepcopy(good)
    bad["name"] = "Kedai-Harmoni"
    assert not validator.is_valid(bad)


BROKEN_BODIES = {
    "parameter at the start": lambda lines: ["{link} is your link"] + lines[1:],
    "parameter at the end": lambda lines: lines + ["Your code: {code}"],
    "adjacent parameters": lambda lines: lines[:3] + ["{link} {code} here"] + lines[3:],
    "body length": lambda lines: lines[:3] + ["word " * 220] + lines[3:],
}


@pytest.mark.parametrize("rule", sorted(BROKEN_BODIES))
def test_a_body_breaking_a_rule_fails_the_build(tmp_path, monkeypatch, rule):
    real = texts.confirmation_lines
    monkeypatch.setattr(texts, "confirmation_lines", lambda *a, **kw: BROKEN_BODIES[rule](real(*a, **kw)))
    project = projects.example_project(tmp_path / "p")
    with pytest.raises(BuildError, match=rf"campaign kedai-harmoni, locale ms: {rule}"):
        build(project, None, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing half-built is published


def test_a_long_footer_is_refused(built):
    _, out, _ = built
    req = copy.deepcopy(read(out, "kedai-harmoni", "whatsapp-templates.json")["en"])
    whatsapp.check(req, "kedai-harmoni", "en")
    footer = next(c for c in req["components"] if c["type"] == "FOOTER")
    footer["text"] = "x" * 61
    with pytest.raises(BuildError, match="campaign kedai-harmoni, locale en: footer length"):
        whatsapp.check(req, "kedai-harmoni", "en")


def test_no_templates_without_whatsapp_or_without_base_url(built, tmp_path):
    project, _, campaigns = built
    kedai = campaigns["kedai-harmoni"]
    email_only = replace(kedai, purposes=tuple(p for p in kedai.purposes if p.channel == "email"))
    assert whatsapp.write_whatsapp_templates(email_only, project.locales, tmp_path) == []
    warnings = whatsapp.write_whatsapp_templates(replace(kedai, base_url=""), project.locales, tmp_path)
    assert len(warnings) == 1 and "base_url" in warnings[0]
    assert not (tmp_path / "kedai-harmoni" / "whatsapp-templates.json").exists()
    assert texts.write_messages(email_only, project.locales, tmp_path) == []
    data = read(tmp_path, "kedai-harmoni", "messages.json")
    assert all(list(channels) == ["email"] for channels in data.values())


def test_an_sms_over_the_segment_limit_warns(built, tmp_path):
    project, _, campaigns = built
    warnings = texts.write_messages(campaigns["nordlys-sko"], project.locales, tmp_path)
    # the confirmation request is about 700-800 characters (with the recipient's own withdraw
    # link): 6 GSM-7 segments; Spanish has á, í, ó, ú, which GSM-7 lacks, so it goes as UCS-2
    [confirm] = [w for w in warnings if "SMS confirmation" in w]
    assert f"more than {texts.MAX_SMS_SEGMENTS} segments" in confirm
    assert "nb 6 GSM-7" in confirm and re.search(r"es \d+ UCS-2 because of [óíáú]+", confirm)
    assert texts.sms_warnings(campaigns["nordlys-sko"], read(tmp_path, "nordlys-sko", "messages.json"),
                              limit=20) == []
    assert texts.write_messages(campaigns["kedai-harmoni"], project.locales, tmp_path) == []  # no SMS
