"""The receiver takes a sign-up's notice_version and wording_version only when the campaign
published them for that locale (campaigns/<id>.notices/published.json) or shows them now: a
forged hash or another locale's version is no proof of what the person saw (422, naming the
field, nothing stored)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.test import Client

from generator.cli.main import main
from generator.pipeline.serve import LocalServer
from generator.project import package_data
from generator.receiver.app import Receiver, load_campaigns
from generator.receiver.ledger import Ledger
from generator.site import notices, published
from generator.site.views import resolve_all
from support import projects
from support.projects import FIXTURES
from support.receiver import FORM, NAV, ROOMY, event_counts

SITE = "http://127.0.0.1:8999"
ZEROS = "0" * 64


def receiver(project, tmp_path: Path, name: str = "ledger.sqlite"):
    ledger = Ledger(tmp_path / name)
    return Client(Receiver(load_campaigns(project), ledger, project.locales, site_url=SITE, limits=ROOMY)), ledger


def body(versions: dict, campaign="nordlys-sko", locale="nb", purposes=("offers",), phone="+4791234567") -> dict:
    return {"campaign": campaign, "locale": locale, "purposes": list(purposes), "phone": phone,
            "notice_version": versions["notice_version"], "wording_version": versions["wording_version"]}


def submit(client, data):
    return client.post("/api/submit", data=json.dumps(data), content_type="application/json")


def shown(view) -> dict:
    return {"notice_version": view.notice_version, "wording_version": view.wording_version}


@pytest.fixture
def examples(tmp_path):
    project = projects.example_project(tmp_path / "examples")
    campaign = next(c for c in load_campaigns(project) if c.id == "nordlys-sko")
    return project, {lang: shown(v) for lang, v in resolve_all(campaign, project.locales).items()}


def fresh_project(tmp_path: Path):
    """The English-only fixture campaign, nothing archived, with its own copy of the locales."""
    root = tmp_path / "project"
    (root / "campaigns").mkdir(parents=True)
    shutil.copy(FIXTURES / "notices" / "fjord-solo.yaml", root / "campaigns" / "fjord-solo.yaml")
    shutil.copytree(package_data("locales"), root / "locales")
    return projects.project(root)


def publish(root: Path, monkeypatch) -> dict:
    monkeypatch.chdir(root)
    assert CliRunner().invoke(main, ["approve", "fjord-solo", "--by", "Lea Legal"]).exit_code == 0
    result = CliRunner().invoke(main, ["build", "--strict"])
    assert result.exit_code == 0, result.output
    return json.loads((root / "site" / "fjord-solo" / "versions.json").read_text())["locales"]["en"]["current"]


def change_notice(root: Path, word: str) -> None:
    path = root / "locales" / "en" / "notice.md"
    text = path.read_text(encoding="utf-8")
    changed = re.sub(r"( \{ #automated \})", rf" {word}\1", text, count=1)
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    notices._env.cache_clear()


def test_forged_versions_are_refused_naming_the_field(tmp_path, examples):
    project, now = examples
    client, ledger = receiver(project, tmp_path)
    zeros = submit(client, body({"notice_version": ZEROS, "wording_version": now["nb"]["wording_version"]}))
    assert zeros.status_code == 422
    assert zeros.get_json()["error"] == "unknown_version" and zeros.get_json()["field"] == "notice_version"
    assert "never published for campaign nordlys-sko, locale nb" in zeros.get_json()["message"]
    wording = submit(client, body({"notice_version": now["nb"]["notice_version"], "wording_version": ZEROS}))
    assert wording.status_code == 422 and wording.get_json()["field"] == "wording_version"
    assert event_counts(ledger) == {}, "nothing stored"
    # a form posted without JavaScript gets the localised error page, not a 500
    form = (f"campaign=nordlys-sko&locale=nb&purposes=offers&phone=%2B4791234567&notice_version={ZEROS}"
            f"&wording_version={ZEROS}")
    page = client.post("/api/submit", data=form, content_type=FORM, headers=NAV)
    assert page.status_code == 422 and page.mimetype == "text/html"
    assert event_counts(ledger) == {}


def test_another_locales_versions_are_refused_and_the_locales_own_accepted(tmp_path, examples):
    project, now = examples
    client, ledger = receiver(project, tmp_path)
    assert now["nb"]["notice_version"] != now["de"]["notice_version"]
    wrong = submit(client, body(now["nb"], locale="de"))
    assert wrong.status_code == 422 and wrong.get_json()["field"] == "notice_version"
    mixed = submit(client, body({**now["de"], "wording_version": now["nb"]["wording_version"]}, locale="de"))
    assert mixed.status_code == 422 and mixed.get_json()["field"] == "wording_version"
    assert event_counts(ledger) == {}
    right = submit(client, body(now["de"], locale="de"))
    assert right.status_code == 202, right.get_json()
    assert event_counts(ledger) == {"requested": 1}


def test_current_versions_of_a_never_published_campaign_are_accepted(tmp_path):
    """A receiver in front of a draft (nothing archived yet) takes what the campaign renders now."""
    project = fresh_project(tmp_path)
    campaign = load_campaigns(project)[0]
    client, _ = receiver(project, tmp_path)
    now = shown(resolve_all(campaign, project.locales)["en"])
    assert submit(client, body(now, "fjord-solo", "en")).status_code == 202
    assert not published.archive_dir(campaign).exists()
    assert submit(client, body({**now, "notice_version": ZEROS}, "fjord-solo", "en")).status_code == 422


def test_an_earlier_published_version_is_accepted_until_dropped(tmp_path, monkeypatch):
    project = fresh_project(tmp_path)
    old = publish(project.root, monkeypatch)
    change_notice(project.root, "Changed")
    new = publish(project.root, monkeypatch)
    assert old["notice_version"] != new["notice_version"]
    client, ledger = receiver(projects.project(project.root), tmp_path)
    open_tab = submit(client, body(old, "fjord-solo", "en"))  # a page loaded before the new notice went live
    assert open_tab.status_code == 202, open_tab.get_json()
    assert submit(client, body(new, "fjord-solo", "en", phone="+4791234568")).status_code == 202

    dropped = CliRunner().invoke(main, ["review", "fjord-solo", "--drop", old["notice_version"][:8],
                                        "--by", "Lea Legal", "--reason", "never public"])
    assert dropped.exit_code == 0, dropped.output
    refused = submit(client, body(old, "fjord-solo", "en", phone="+4791234569"))  # the running receiver too
    assert refused.status_code == 422 and refused.get_json()["field"] == "notice_version"
    assert event_counts(ledger) == {"requested": 2}
    later, _ = receiver(projects.project(project.root), tmp_path, "later.sqlite")
    assert submit(later, body(old, "fjord-solo", "en")).status_code == 422


def test_local_server_accepts_the_versions_it_built(tmp_path):
    project = fresh_project(tmp_path)
    server = LocalServer(project, ledger=tmp_path / "serve.sqlite", limits=ROOMY)
    try:
        now = shown(server.build.views["fjord-solo"]["en"])
        client = Client(server.receiver)
        assert submit(client, body(now, "fjord-solo", "en")).status_code == 202
        assert submit(client, body({**now, "wording_version": ZEROS}, "fjord-solo", "en")).status_code == 422
        manifest = json.loads((server.site_dir / "fjord-solo" / "versions.json").read_text())
        assert manifest["locales"]["en"]["current"] == now
        assert manifest["locales"]["en"]["notice_versions"] == [now["notice_version"]]
    finally:
        server.close()
    assert not published.archive_dir(server.build.campaigns[0]).exists(), "serve publishes nothing"


def test_versions_json_lists_the_published_and_current_versions(tmp_path, monkeypatch):
    project = fresh_project(tmp_path)
    old = publish(project.root, monkeypatch)
    change_notice(project.root, "Draft")
    assert CliRunner().invoke(main, ["build"]).exit_code == 0  # a draft: shown, not published
    manifest = json.loads((project.root / "site" / "fjord-solo" / "versions.json").read_text())["locales"]["en"]
    assert manifest["notice_versions"] == [old["notice_version"], manifest["current"]["notice_version"]]
    assert manifest["wording_versions"] == [old["wording_version"]], "the wording did not change"
    record = published.read(project.root / "campaigns" / "fjord-solo.notices")
    assert [e["version"] for e in record["en"][published.NOTICE]] == [old["notice_version"]]
