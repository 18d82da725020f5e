"""`optin audit`: over a ledger the real receiver wrote (support/audit_ledger.py), a clean one
reports no problem and exits 0; each seeded problem is found with its record id and the run
exits 1; bad input exits 2. The funnel, the withdrawal routes and their suppression times,
the weekly series and the settings are checked against what the scenario did, and no report
holds a contact. The Python API runs on both backends, the command line on SQLite."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from support import postgres
from support.audit_ledger import PHONES, clean, published, seed_problems

from generator.cli.main import main
from generator.receiver import audit
from generator.receiver.audit_render import render


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture(params=postgres.BACKENDS)
def scene(request, tmp_path):
    made = clean(postgres.target(request.param, tmp_path), tmp_path)
    yield made
    made.rx.ledger.close()


def report_of(scene, **extra) -> dict:
    return audit.build(scene.rx.ledger, scene.campaigns, published=published(scene.rx),
                       settings=scene.rx.project.receiver, **extra)


def test_a_clean_ledger_has_no_problem(scene):
    report = report_of(scene)
    assert report["problems"] == [] and report["summary"]["problems"] == 0
    assert report["summary"]["chain"] == "intact"
    assert report["scope"] == {"campaigns": ["kedai-harmoni", "nordlys-sko"], "whole_project": True}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", report["generated"])
    idle, funnel = report["funnel"]
    assert idle["campaign"] == "kedai-harmoni" and idle["signups"] == 0 and idle["confirmation_rate"] is None
    assert (funnel["signups"], funnel["confirmed"], funnel["expired"], funnel["pending"]) == (4, 3, 1, 0)
    assert funnel["confirmation_rate"] == 0.75 and funnel["median_seconds_to_confirm"] == 240
    offers = next(p for p in funnel["purposes"] if p["purpose"] == "offers")
    assert (offers["requested"], offers["given"], offers["withdrawn"], offers["expired"]) == (4, 3, 2, 1)
    assert funnel["locales"] == [{"locale": "nb", "signups": 4, "confirmed": 3, "confirmation_rate": 0.75}]
    routes = {r["route"]: r for r in report["withdrawals"]["routes"]}
    assert set(routes) == {"withdraw page", "reply keyword STOP"}
    # the fake provider's opt-out API is called right after each withdrawal, on the same clock
    assert all(r["count"] == 1 and r["suppressed"] == 1 and r["median_seconds"] == 0 for r in routes.values())
    weeks = report["weekly"]
    assert sum(w["signups"] for w in weeks) == 4 and sum(w["confirmations"] for w in weeks) == 3
    assert sum(sum(w["withdrawals"].values()) for w in weeks) == 2
    settings = report["settings"]
    assert settings["campaigns"][1]["purposes"][0] == {"purpose": "offers", "channel": "whatsapp",
                                                       "retention_months": 24}
    assert settings["token_hours"] == 48 and settings["code_minutes"] > 0
    assert set(settings["providers"]) == {"whatsapp", "sms", "email"}


def test_each_seeded_problem_is_found_with_its_record(scene, tmp_path):
    seeded = seed_problems(scene)
    site = tmp_path / "site"  # the built site's notice pages: the current one only
    current = scene.rx.rows("SELECT notice_version FROM records WHERE record_id = ?", scene.ids["a"])[0][0]
    (site / "nordlys-sko" / "nb").mkdir(parents=True)
    (site / "nordlys-sko" / "nb" / f"privacy-{current[:8]}.html").write_text("<!DOCTYPE html>")
    report = report_of(scene, site=site)
    found = {p["code"]: {i["record_id"] for i in p["items"]} for p in report["problems"]}
    assert found == {**{code: {record} for code, record in seeded.items()},
                     "notice_page_missing": {seeded["unpublished_version"]}}
    chain = next(p for p in report["problems"] if p["code"] == "chain_broken")
    assert chain["items"][0]["event_id"] > 0 and "changed" in chain["items"][0]["detail"]
    overdue = next(p for p in report["problems"] if p["code"] == "retention_overdue")
    assert overdue["items"][0]["detail"] == "retention_ended"
    assert report["summary"]["chain"] == "broken"
    assert report["summary"]["records_concerned"] == len(set(seeded.values()))


def test_a_record_is_overdue_only_once_the_purge_has_had_its_day(scene):
    """Retention is judged by retention.purge itself: a withdrawal an hour ago is not yet overdue."""
    scene.at(now() - timedelta(hours=1))
    res = scene.rx.post("withdraw", {"campaign": "nordlys-sko", "locale": "nb", "phone": PHONES["c"],
                                     "purposes": ["*"]})
    assert res.status_code == 200
    assert report_of(scene)["problems"] == []
    late = report_of(scene, now=now() + timedelta(days=2))["problems"]
    assert [(p["code"], [i["record_id"] for i in p["items"]]) for p in late] == [
        ("retention_overdue", [scene.ids["c"]])]


def test_the_scope_is_one_campaign(scene):
    report = report_of(scene, scope=["kedai-harmoni"])
    assert report["scope"]["campaigns"] == ["kedai-harmoni"] and report["funnel"][0]["signups"] == 0
    assert report["withdrawals"]["events"] == [] and report["weekly"] == []


def test_no_report_holds_a_contact(scene):
    seed_problems(scene)
    report = report_of(scene)
    for text in (render(report, "json"), render(report, "html")):
        for phone in PHONES.values():
            assert phone not in text and phone[3:] not in text


# -- the command line -------------------------------------------------------------------------
@pytest.fixture
def local(tmp_path):
    made = clean(tmp_path / "ledger.sqlite", tmp_path)
    (made.rx.project.root / "optin.toml").write_text('[receiver]\nledger = "../ledger.sqlite"\n')
    yield made
    made.rx.ledger.close()


def cli(scene, *args):
    return CliRunner().invoke(main, ["-f", str(scene.rx.project.root / "optin.toml"), "audit", *args])


def test_cli_exits_0_when_clean_and_1_naming_the_records_when_not(local, tmp_path):
    res = cli(local, "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["problems"] == []
    seeded = seed_problems(local)
    out = tmp_path / "audit.html"
    res = cli(local, "nordlys-sko", "--out", str(out))
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit)
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'http-equiv="Content-Security-Policy"' in page
    assert all(record in page for record in seeded.values())
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    res = cli(local, "--format", "json")
    assert res.exit_code == 1
    codes = {p["code"] for p in json.loads(res.stdout)["problems"]}
    assert codes == set(seeded)


def test_cli_bad_input_exits_2(local, tmp_path):
    res = cli(local, "no-such-campaign")
    assert res.exit_code == 2 and "unknown campaign 'no-such-campaign'" in res.output
    res = cli(local, "--site", str(tmp_path / "missing"))
    assert res.exit_code == 2 and "no such folder" in res.output
    res = cli(local, "--ledger", str(tmp_path / "none.sqlite"))
    assert res.exit_code == 2 and "no ledger" in res.output
