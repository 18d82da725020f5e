"""Legal review and approval: `optin review`, `optin approve` and `optin build --strict`
against the approved texts: the signup page's texts, the messages, the WhatsApp template and
the thanks, confirm and withdraw pages (the archive of published versions: test_archive.py)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.campaign import model
from generator.cli.main import main
from generator.legal import approval, review
from generator.pipeline import build as pipeline
from generator.pipeline.build import draft
from generator.project import package_data
from generator.site import notices
from generator.site.views import resolve_all
from support import projects
from support.projects import FIXTURES as ALL_FIXTURES
from support.projects import REPO

FIXTURES = ALL_FIXTURES / "notices"
SCREENSHOTS = REPO / "screenshots"  # git-ignored: for a person to look at
# fjord-kaffe per locale: its two labels, summary, opt-out, notice, the WhatsApp and email
# messages (no template: no base_url) and the three flow pages
KAFFE_KEYS = {"label:offers", "label:news", "summary", "opt_out", "notice",
              "message:whatsapp:confirmation", "message:whatsapp:subscribed", "message:whatsapp:opt_out_reply",
              "message:whatsapp:withdrawal", "message:email:confirmation", "message:email:subscribed",
              "message:email:withdrawal", "page:thanks", "page:confirm", "page:withdraw"}


@pytest.fixture(autouse=True)
def in_project(tmp_path, monkeypatch):
    """Every test works in a project in `tmp_path` (commands find it as the current folder)."""
    monkeypatch.chdir(tmp_path)


def texts_of(path: Path):
    """(campaign, views, texts) of one campaign file, as `optin review` and `optin approve` see it."""
    result = draft(projects.project(path.parent.parent), [path])
    campaign = result.campaigns[0]
    return campaign, result.views[campaign.id], result.texts[campaign.id]


def campaign_copy(tmp_path: Path, name: str) -> Path:
    """The fixture campaign in the campaigns folder of the project in `tmp_path`."""
    folder = tmp_path / "campaigns"
    folder.mkdir(exist_ok=True)
    shutil.copy(FIXTURES / f"{name}.yaml", folder / f"{name}.yaml")
    return folder / f"{name}.yaml"


@pytest.fixture
def own_locales(tmp_path):
    """The project's own copy of the locales: its notices are rendered, the built-in ones stay untouched."""
    copy = tmp_path / "locales"
    shutil.copytree(package_data("locales"), copy)
    return copy


@pytest.fixture
def no_translation_warnings(monkeypatch):
    """--strict also fails on incomplete catalogs; these tests are about legal texts only."""
    monkeypatch.setattr(pipeline, "translation_warnings", lambda project, langs: [])


def change_one_word(locales: Path, lang: str) -> None:
    """What a translator does: one more word in one heading of one locale's notice."""
    path = locales / lang / "notice.md"
    text = path.read_text(encoding="utf-8")
    changed = re.sub(r"( \{ #automated \})", r" Endret\1", text, count=1)
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    notices._env.cache_clear()


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_strict_build_needs_an_approval(tmp_path, no_translation_warnings):
    path = campaign_copy(tmp_path, "fjord-solo")
    out = tmp_path / "site"
    plain = run("build", str(path), "--out", str(out))
    assert plain.exit_code == 0
    assert "warning: campaign fjord-solo: legal texts not approved: no fjord-solo.approved.json" in plain.output
    strict = run("build", str(path), "--out", str(tmp_path / "strict"), "--strict")
    assert strict.exit_code == 2 and isinstance(strict.exception, SystemExit)
    assert "legal texts differ from the approved versions" in strict.output
    assert not (tmp_path / "strict").exists()


def test_change_fails_strict_shows_in_review_and_approve_fixes_it(tmp_path, own_locales, no_translation_warnings):
    path = campaign_copy(tmp_path, "fjord-kaffe")
    out = tmp_path / "site"
    approved = run("approve", str(path), "--by", "Lea Legal")
    assert approved.exit_code == 0, approved.output
    lock = json.loads((tmp_path / "campaigns" / "fjord-kaffe.approved.json").read_text(encoding="utf-8"))
    first_nb = lock["locales"]["nb"]["items"]["notice"]
    assert first_nb["approved_by"] == "Lea Legal" and re.match(r"\d{4}-\d\d-\d\dT", first_nb["approved_at"])
    assert set(lock["locales"]["en"]["items"]) == KAFFE_KEYS
    assert run("build", str(path), "--out", str(out), "--strict").exit_code == 0

    change_one_word(own_locales, "nb")
    strict = run("build", str(path), "--out", str(out), "--strict")
    assert strict.exit_code == 2
    problems = [line.strip() for line in strict.output.splitlines() if line.strip().startswith("campaign ")]
    assert len(problems) == 1, strict.output
    assert problems[0].startswith("campaign fjord-kaffe, locale nb, notice: differs from the version approved "
                                  "by Lea Legal")
    plain = run("build", str(path), "--out", str(out))
    assert plain.exit_code == 0 and "warning: campaign fjord-kaffe, locale nb, notice: differs" in plain.output

    doc = run("review", str(path), "--out", str(tmp_path / "review"))
    assert doc.exit_code == 0 and "fjord-kaffe: 29 approved, 1 changed, 0 not approved yet" in doc.output
    page = (tmp_path / "review" / "fjord-kaffe.html").read_text(encoding="utf-8")
    assert page.count('class="cell changed"') == 1
    assert re.search(r'<div class="cell changed"><h3><span lang="nb">', page)
    assert "<ins>Endret </ins>" in page or "<ins> Endret</ins>" in page
    text = (tmp_path / "review" / "fjord-kaffe.md").read_text(encoding="utf-8")
    assert re.search(r"^\+## .*Endret$", text, re.M) and re.search(r"^-## ", text, re.M)

    again = run("approve", str(path), "--by", "Per Legal")
    assert again.exit_code == 0 and "approved 1 text(s)" in again.output and "nb notice" in again.output
    assert run("build", str(path), "--out", str(out), "--strict").exit_code == 0
    lock = json.loads((tmp_path / "campaigns" / "fjord-kaffe.approved.json").read_text(encoding="utf-8"))
    assert lock["locales"]["nb"]["items"]["notice"]["approved_by"] == "Per Legal"
    assert lock["locales"]["en"]["items"]["notice"]["approved_by"] == "Lea Legal", "unchanged texts keep their approval"


def test_legal_texts_hash_is_the_published_notice_version(example_project):
    campaign, problems = model.load(example_project.campaigns_dir / "kedai-harmoni.yaml", example_project)
    assert not problems
    views = resolve_all(campaign, example_project.locales)
    texts = approval.legal_texts(views["ms"])
    assert texts["notice"].hash == views["ms"].notice_version
    assert [lang for lang, _ in texts["summary"].fragments] == ["ms", "en"], "PDPA: BM and English"
    assert any("BERHENTI" in line for line in texts["opt_out"].lines)


def test_review_and_approve_by_campaign_id_and_bad_input(tmp_path, monkeypatch):
    path = campaign_copy(tmp_path, "fjord-solo")
    monkeypatch.chdir(tmp_path)
    result = run("review", "fjord-solo")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "review" / "fjord-solo.html").is_file() and (tmp_path / "review" / "fjord-solo.md").is_file()
    (tmp_path / "taken").write_text("a file, not a folder", encoding="utf-8")
    blocked = run("review", "fjord-solo", "--out", str(tmp_path / "taken"))
    assert blocked.exit_code == 2 and "cannot write the review of fjord-solo" in blocked.output
    missing_by = run("approve", "fjord-solo")
    assert missing_by.exit_code == 2 and "--by" in missing_by.output
    blank = run("approve", "fjord-solo", "--by", "  ")
    assert blank.exit_code == 2 and "name of the person" in blank.output
    bad_locale = run("approve", "fjord-solo", "--by", "Lea", "--locale", "xx")
    assert bad_locale.exit_code == 2 and "has no locale xx" in bad_locale.output
    assert not (tmp_path / "campaigns" / "fjord-solo.approved.json").exists()
    ok = run("approve", "fjord-solo", "--by", "Lea")
    assert ok.exit_code == 0 and path.with_name("fjord-solo.approved.json").is_file()
    assert "nothing new to approve" in run("approve", "fjord-solo", "--by", "Lea").output
    path.with_name("fjord-solo.approved.json").write_text("{broken", encoding="utf-8")
    broken = run("build", str(path), "--out", str(tmp_path / "site"))
    assert broken.exit_code == 2 and "cannot read the approval file" in broken.output
    unknown = run("review", "no-such-campaign")
    assert unknown.exit_code == 2 and isinstance(unknown.exception, SystemExit)


def test_example_campaigns_are_approved(tmp_path):
    """The repo's own strict build must pass the legal check: re-run `optin approve` after
    legal has reviewed a change to the example texts (checked on a copy of them)."""
    result = draft(projects.example_project(tmp_path))
    assert {c.id for c in result.campaigns} == set(projects.EXAMPLE_IDS)
    for campaign in result.campaigns:
        problems = approval.check(campaign, result.texts[campaign.id])
        assert problems == [], ("example texts changed since approval; read `optin review`, then run "
                                "`optin approve --by NAME` and commit campaigns/*.approved.json:\n"
                                + "\n".join(problems))


@pytest.mark.parametrize("campaign_id", ["nordlys-sko", "kedai-harmoni"])
def test_review_document_opens_in_chromium(page, tmp_path, campaign_id):
    project = projects.example_project(tmp_path / "project")
    campaign, views, texts = texts_of(project.campaigns_dir / f"{campaign_id}.yaml")
    html_path, _, counts = review.write(campaign, views, texts, tmp_path)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(html_path.as_uri())
    assert page.title() == f"Legal review: {campaign.brand_name} ({campaign_id})"
    assert requests == [html_path.as_uri()], "self-contained: no other request"
    assert errors == [], "the CSP allows the document's own <style> (by hash) and nothing else"
    assert page.locator(".row").first.evaluate("e => getComputedStyle(e).display") == "grid"
    cells = page.locator("section:has(h2#item-notice) .cell")
    assert cells.count() == len(campaign.locales)
    assert page.locator(".cell code").first.inner_text().strip()
    if campaign_id == "kedai-harmoni":
        ms = page.locator('section:has(h2#item-notice) .cell:has(h3 span[lang="ms"]) .lang-part')
        assert [ms.nth(i).get_attribute("lang") for i in range(ms.count())] == ["ms", "en"]
    assert sum(counts.values()) == sum(len(items) for items in texts.values())
    assert page.locator("section:has(h2#item-page\\:confirm) .cell").count() == len(campaign.locales)
    assert page.locator("table", has_text="Published versions").count() == 1
    SCREENSHOTS.mkdir(exist_ok=True)
    shot = SCREENSHOTS / f"review-{campaign_id}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


def test_review_diff_is_visible_in_chromium(page, tmp_path, own_locales):
    path = campaign_copy(tmp_path, "fjord-kaffe")
    approval.approve(*texts_of(path), "Lea Legal")
    change_one_word(own_locales, "nb")
    html_path, _, counts = review.write(*texts_of(path), tmp_path / "review")
    assert counts == {"approved": 29, "changed": 1, "new": 0}
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(html_path.as_uri())
    inserted = page.locator(".cell.changed .diff ins")
    assert inserted.count() == 1 and inserted.inner_text().strip() == "Endret"
    assert inserted.is_visible()
    inserted.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "review-diff.png"))


def test_approving_one_locale_leaves_the_others_unapproved(tmp_path, no_translation_warnings):
    path = campaign_copy(tmp_path, "fjord-kaffe")
    assert run("approve", str(path), "--by", "Lea Legal", "--locale", "en").exit_code == 0
    campaign, _, texts = texts_of(path)
    problems = approval.check(campaign, texts)
    assert len(problems) == len(KAFFE_KEYS) and all(p.startswith("campaign fjord-kaffe, locale nb, ") for p in problems)
    strict = run("build", str(path), "--out", str(tmp_path / "site"), "--strict")
    assert strict.exit_code == 2 and "campaign fjord-kaffe, locale nb, notice: not approved" in strict.output
    assert run("approve", str(path), "--by", "Per Legal", "--locale", "nb").exit_code == 0
    assert run("build", str(path), "--out", str(tmp_path / "site"), "--strict").exit_code == 0
    lock = json.loads(path.with_name("fjord-kaffe.approved.json").read_text(encoding="utf-8"))
    assert {lang: v["items"]["notice"]["approved_by"] for lang, v in lock["locales"].items()} == \
        {"en": "Lea Legal", "nb": "Per Legal"}


def change_msgstr(locales: Path, lang: str, msgid: str, new: str) -> None:
    """What a translator does in the catalog: one message says something else."""
    path = locales / lang / "LC_MESSAGES" / "messages.po"
    text = path.read_text(encoding="utf-8")
    changed = re.sub(rf'(msgid "{re.escape(msgid)}"\nmsgstr )"[^"\n]*"', lambda m: f'{m.group(1)}"{new}"', text, count=1)
    assert changed != text, msgid
    path.write_text(changed, encoding="utf-8")


def test_changed_message_and_page_texts_fail_a_strict_build_naming_them(tmp_path, own_locales,
                                                                          no_translation_warnings):
    path = campaign_copy(tmp_path, "fjord-kaffe")
    assert run("approve", str(path), "--by", "Lea Legal").exit_code == 0
    assert run("build", str(path), "--strict", "--out", str(tmp_path / "site")).exit_code == 0

    change_msgstr(own_locales, "nb", "You asked to get messages from %(business)s:",
                  "Du har sagt ja til alt fra %(business)s:")
    strict = run("build", str(path), "--strict", "--out", str(tmp_path / "site"))
    assert strict.exit_code == 2 and isinstance(strict.exception, SystemExit)
    problems = sorted(re.match(r"(campaign .*?): ", line.strip()).group(1)
                      for line in strict.output.splitlines() if line.strip().startswith("campaign "))
    assert problems == ["campaign fjord-kaffe, locale nb, message:email:confirmation",
                        "campaign fjord-kaffe, locale nb, message:whatsapp:confirmation"], strict.output
    assert "differs from the version approved by Lea Legal" in strict.output

    change_msgstr(own_locales, "nb", "Almost done: check your messages", "Nesten ferdig: sjekk innboksen")
    strict = run("build", str(path), "--strict", "--out", str(tmp_path / "site"))
    assert strict.exit_code == 2 and "campaign fjord-kaffe, locale nb, page:thanks: differs" in strict.output
    doc = run("review", str(path), "--out", str(tmp_path / "review"))
    text = (tmp_path / "review" / "fjord-kaffe.md").read_text(encoding="utf-8")
    assert "fjord-kaffe: 27 approved, 3 changed" in doc.output
    assert "+Du har sagt ja til alt fra Fjord Kaffe:" in text and "+# Nesten ferdig: sjekk innboksen" in text

    again = run("approve", str(path), "--by", "Per Legal")
    assert again.exit_code == 0 and "approved 3 text(s)" in again.output and "nb page:thanks" in again.output
    assert run("build", str(path), "--strict", "--out", str(tmp_path / "site")).exit_code == 0


@pytest.mark.parametrize("name", ["fjord-kaffe", "kedai-harmoni"])
def test_review_shows_messages_and_pages_of_every_locale(tmp_path, name):
    """What the review shows is what the build writes: every line of every message in
    messages.json and every heading of the flow pages, per locale (kedai-harmoni: all five,
    its ms pages in Malay and English)."""
    if name == "fjord-kaffe":
        path = campaign_copy(tmp_path, name)
    else:
        path = projects.example_project(tmp_path).campaigns_dir / f"{name}.yaml"
    langs = model.load(path, projects.project(path.parent.parent))[0].locales
    out = tmp_path / "site"
    assert run("build", str(path), "--out", str(out)).exit_code == 0
    assert run("review", str(path), "--out", str(tmp_path / "review")).exit_code == 0
    text = (tmp_path / "review" / f"{name}.md").read_text(encoding="utf-8")
    parts = re.split(rf"^## ({'|'.join(langs)}): .*$", text, flags=re.M)  # the locale sections, in turn
    sections = dict(zip(parts[1::2], parts[2::2]))
    assert set(sections) == set(langs) and len(langs) >= 2
    messages = json.loads((out / name / "messages.json").read_text(encoding="utf-8"))
    assert set(messages) == set(langs)
    for lang, channels in messages.items():
        for channel, bodies in channels.items():
            assert {"confirmation", "subscribed", "withdrawal"} <= set(bodies)
            for kind, body in bodies.items():
                assert f"### {lang} message:{channel}:{kind}:" in sections[lang]
                for line in filter(str.strip, body.splitlines()):
                    assert line.strip() in sections[lang], (lang, channel, kind, line)
        for page in ("thanks", "confirm", "withdraw"):
            built = (out / name / lang / f"{page}.html").read_text(encoding="utf-8")
            main = built.split('<main id="main"', 1)[1]
            for heading in re.findall(r"<h1[^>]*>(.*?)</h1>", main):
                assert f"# {notices.normalise(heading)}" in sections[lang], (lang, page, heading)
    if name == "fjord-kaffe":
        assert "Du har bedt om å få meldinger fra Fjord Kaffe:" in sections["nb"]
        assert "You asked to get messages from Fjord Kaffe:" in sections["en"]
    else:
        assert "Your consent to these messages from Kedai Harmoni was withdrawn:" in sections["en"]


def test_whatsapp_template_is_a_legal_text(tmp_path):
    project = projects.example_project(tmp_path)
    campaign, _, texts = texts_of(project.campaigns_dir / "nordlys-sko.yaml")
    assert campaign.base_url and "whatsapp" in campaign.channels
    site = tmp_path / "site"
    assert run("build", str(project.campaigns_dir / "nordlys-sko.yaml"), "--out", str(site)).exit_code == 0
    templates = json.loads((site / "nordlys-sko" / "whatsapp-templates.json").read_text(encoding="utf-8"))
    for lang in campaign.locales:
        template = texts[lang]["whatsapp_template"]
        body = next(c for c in templates[lang]["components"] if c["type"] == "BODY")["text"]
        lines = [line for line in body.splitlines() if line.strip()]
        assert template.lines[:len(lines)] == lines and template.lines[-1].startswith("[button] ")
