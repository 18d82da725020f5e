"""The translators' workflow end to end, through the real `optin` command line, in a copy of the
project (generator, themes, locales, campaigns) so the repository's catalogs are never touched:
fallback + warning, --strict, broken placeholders, extract/update/status, adding a locale."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.i18n.catalogs import po_path, read_catalog
from generator.i18n.workflow import write
from support.projects import REPO, example_files

NORDLYS = "campaigns/nordlys-sko.yaml"


class Sandbox:
    """A copy of optin's own checkout: its project root's locales/ are the built-in ones, so
    `optin i18n` acts on them directly (as a translator working on optin does)."""

    def __init__(self, root: Path):
        self.root = root
        self.locales = root / "locales"

    def optin(self, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(self.root)}
        return subprocess.run([sys.executable, "-c", "from generator.cli.main import main; main()", *args],
                              cwd=self.root, env=env, capture_output=True, text=True, timeout=120)

    def po(self, lang: str) -> Path:
        return po_path(self.locales, lang)

    def edit_po(self, lang: str, msgid: str, old: str, new: str) -> int:
        """Replace `old` by `new` in the msgstr of `msgid` (one line); return the msgid's line."""
        path = self.po(lang)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        start = next(i for i, line in enumerate(lines) if line.startswith(f'msgid "{msgid}"'))
        at = next(i for i in range(start, len(lines)) if lines[i].startswith("msgstr"))
        assert old in lines[at], lines[at]
        lines[at] = lines[at].replace(old, new)
        path.write_text("".join(lines), encoding="utf-8")
        return start + 1


@pytest.fixture
def sandbox(tmp_path) -> Sandbox:
    root = tmp_path / "project"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("generator", "themes", "locales"):
        shutil.copytree(REPO / folder, root / folder, ignore=skip)
    shutil.copy(REPO / "babel.cfg", root / "babel.cfg")
    (root / "campaigns").mkdir()
    for file in example_files():  # without their notice archives
        if file.is_file():
            shutil.copy(file, root / "campaigns" / file.name)
    return Sandbox(root)


def without_landing_copy(sandbox: Sandbox) -> Path:
    """The example's `page:` block (marketing copy per locale) removed, so the page shows the
    catalog's own headline and the campaign's locales can change freely."""
    campaign = sandbox.root / NORDLYS
    yaml = campaign.read_text(encoding="utf-8")
    trimmed = re.sub(r"^page:\n(?:[ #].*\n|\n)*", "", yaml, flags=re.M)
    assert trimmed != yaml, "the example has no page: block any more"
    campaign.write_text(trimmed, encoding="utf-8")
    return campaign


def text(html_file: Path) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html_file.read_text(encoding="utf-8")).split())


def test_status_is_100_percent_for_all_five_locales(sandbox):
    run = sandbox.optin("i18n", "status")
    assert run.returncode == 0, run.stdout + run.stderr
    rows = {line.split()[0]: line.split() for line in run.stdout.splitlines()[1:] if line.strip()}
    for lang in ("nb", "de", "ms", "en", "es"):
        assert rows[lang][2] == "100%" and rows[lang][3:6] == ["0", "0", "0"], rows[lang]
    assert "missing" not in run.stdout.split("\n", 6)[-1]


def test_missing_translation_falls_back_to_english_with_a_warning(sandbox):
    sandbox.edit_po("nb", "Get messages from %(brand)s", "Få meldinger fra %(brand)s", "")
    catalog = read_catalog(sandbox.po("nb"), "nb")
    catalog["Skip to content"].flags.add("fuzzy")
    write(catalog, sandbox.po("nb"))
    without_landing_copy(sandbox)

    run = sandbox.optin("build", NORDLYS, "--out", "site")
    assert run.returncode == 0, run.stderr
    assert "locale nb: missing translation, English shown: 'Get messages from %(brand)s'" in run.stderr
    assert "locale nb: fuzzy translation, English shown: 'Skip to content'" in run.stderr
    assert "locale de:" not in run.stderr
    page = sandbox.root / "site" / "nordlys-sko" / "nb" / "index.html"
    assert "Get messages from Nordlys Sko" in text(page)  # English fallback, brand filled in
    assert ">Skip to content</a>" in page.read_text(encoding="utf-8")
    assert "Hva vil du motta?" in text(page)  # the rest stays Norwegian

    status = sandbox.optin("i18n", "status")
    assert status.returncode == 1
    assert "nb: missing:\n  'Get messages from %(brand)s'" in status.stdout
    assert "nb: fuzzy" in status.stdout and "'Skip to content'" in status.stdout

    strict = sandbox.optin("build", NORDLYS, "--out", "strict-site", "--strict")
    assert strict.returncode == 2
    assert "locale nb: missing translation, English shown: 'Get messages from %(brand)s'" in strict.stderr
    assert "Traceback" not in strict.stderr
    assert not (sandbox.root / "strict-site").exists()


@pytest.mark.parametrize("lang", ["de", "en"])  # en too: a slip in the English catalog also breaks pages
def test_broken_placeholder_fails_the_build_with_file_and_line(sandbox, lang):
    line = sandbox.edit_po(lang, "Get messages from %(brand)s", "%(brand)s", "%(marke)s")
    run = sandbox.optin("build", NORDLYS, "--out", "site")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"{sandbox.po(lang)}:{line}" in run.stderr and "%(brand)s" in run.stderr
    assert not (sandbox.root / "site").exists()
    status = sandbox.optin("i18n", "status")
    assert status.returncode == 1
    assert f"{sandbox.po(lang)}:{line}" in status.stdout


def test_new_template_string_extract_update_status(sandbox):
    thanks = sandbox.root / "themes" / "default" / "templates" / "thanks.html"
    source = thanks.read_text(encoding="utf-8")
    thanks.write_text(source.replace("{% endblock %}",
                                     "<p>{% trans %}A brand-new sentence{% endtrans %}</p>\n{% endblock %}"),
                      encoding="utf-8")
    stale = sandbox.optin("i18n", "status")
    assert stale.returncode == 1 and "messages.pot is out of date" in stale.stdout
    assert "'A brand-new sentence'" in stale.stdout

    assert sandbox.optin("i18n", "extract").returncode == 0
    assert 'msgid "A brand-new sentence"' in (sandbox.locales / "messages.pot").read_text(encoding="utf-8")
    assert sandbox.optin("i18n", "update").returncode == 0
    for lang in ("nb", "de", "ms", "es"):
        message = read_catalog(sandbox.po(lang), lang).get("A brand-new sentence")
        assert message is not None and message.string == ""
        assert read_catalog(sandbox.po(lang), lang)["Skip to content"].string  # existing translations kept
    assert read_catalog(sandbox.po("en"), "en")["A brand-new sentence"].string == "A brand-new sentence"

    status = sandbox.optin("i18n", "status")
    assert status.returncode == 1 and "out of date" not in status.stdout
    for lang in ("nb", "de", "ms", "es"):
        assert f"{lang}: missing:\n  'A brand-new sentence'" in status.stdout
    assert "en: missing" not in status.stdout
    build = sandbox.optin("build", NORDLYS, "--out", "site")
    assert "locale nb: missing translation, English shown: 'A brand-new sentence'" in build.stderr

    thanks.write_text(source, encoding="utf-8")  # the string goes away again
    assert sandbox.optin("i18n", "extract").returncode == 0
    assert sandbox.optin("i18n", "update").returncode == 0
    kept = read_catalog(sandbox.po("nb"), "nb")
    assert kept.get("A brand-new sentence") is None and len(kept.obsolete) == 1  # kept as #~
    assert sandbox.optin("i18n", "update", "--drop-obsolete").returncode == 0
    assert len(read_catalog(sandbox.po("nb"), "nb").obsolete) == 0
    assert sandbox.optin("i18n", "status").returncode == 0


SWEDISH = {
    "Get messages from %(brand)s": "Få meddelanden från %(brand)s",
    "What would you like to receive?": "Vad vill du få?",
    "WhatsApp messages from %(business)s about %(topic)s": "WhatsApp-meddelanden från %(business)s om %(topic)s",
    "offers and new arrivals": "erbjudanden och nyheter",
    "We keep your contact details for at most %(retention)s from your last confirmation, or until you withdraw.":
        "Vi sparar dina kontaktuppgifter i högst %(retention)s från din senaste bekräftelse, eller tills du återkallar samtycket.",
}


def test_a_new_locale_is_data_only(sandbox):
    """Swedish, as the README's "Translators" section describes it: init, translate, use."""
    run = sandbox.optin("i18n", "init", "sv")
    assert run.returncode == 0, run.stderr
    po, notice = sandbox.po("sv"), sandbox.locales / "sv" / "notice.md"
    assert po.is_file() and notice.read_text() == (sandbox.locales / "en" / "notice.md").read_text()
    assert "Language: sv" in po.read_text(encoding="utf-8")
    again = sandbox.optin("i18n", "init", "sv")
    assert again.returncode == 2 and "already exists" in again.stderr
    bad = sandbox.optin("i18n", "init", "xx_YY")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr

    status = sandbox.optin("i18n", "status")
    assert re.search(r"^sv\s+0\s+0%\s+0\s+\d+", status.stdout, re.M), status.stdout
    assert status.returncode == 0  # no campaign uses sv yet

    campaign = without_landing_copy(sandbox)
    yaml = campaign.read_text(encoding="utf-8")
    yaml = re.sub(r"^locales:.*$", "locales: [sv, en]", yaml, flags=re.M)
    yaml = re.sub(r"^default_locale:.*$", "default_locale: sv", yaml, flags=re.M)
    campaign.write_text(yaml, encoding="utf-8")
    assert sandbox.optin("i18n", "status").returncode == 1  # now sv is used and untranslated

    catalog = read_catalog(po, "sv")
    for message in catalog:
        if message.id:  # a translator's work; unlisted strings left as the English text
            message.string = SWEDISH.get(message.id, message.id)
    write(catalog, po)
    status = sandbox.optin("i18n", "status")
    assert status.returncode == 1, "the notice is still the English copy"
    assert re.search(r"^sv\s+\d+\s+100%\s+0\s+0\s+0\s+ENGLISH\s+yes$", status.stdout, re.M), status.stdout
    assert "sv: " in status.stdout and "is still the English notice copied by `optin i18n init`" in status.stdout
    english_notice = sandbox.optin("build", "campaigns/nordlys-sko.yaml", "--out", "site")
    assert english_notice.returncode == 0 and "locale sv: " in english_notice.stderr
    assert "is still the English notice" in english_notice.stderr
    strict = sandbox.optin("build", "campaigns/nordlys-sko.yaml", "--out", "site", "--strict")
    assert strict.returncode == 2 and "is still the English notice" in strict.stderr

    # The translator's work on the notice (here only its first heading, enough for the tools).
    notice.write_text(notice.read_text(encoding="utf-8").replace("## Who is responsible for your data",
                                                                 "## Vem som ansvarar för dina uppgifter", 1),
                      encoding="utf-8")
    status = sandbox.optin("i18n", "status")
    assert status.returncode == 0, status.stdout
    assert re.search(r"^sv\s+\d+\s+100%\s+0\s+0\s+0\s+yes", status.stdout, re.M)

    build = sandbox.optin("build", "campaigns/nordlys-sko.yaml", "--out", "site")
    assert build.returncode == 0, build.stderr
    assert "English notice" not in build.stderr
    assert "locale sv: missing" not in build.stderr and "locale sv: fuzzy" not in build.stderr
    page = sandbox.root / "site" / "nordlys-sko" / "sv" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert '<html lang="sv">' in html
    assert "Få meddelanden från Nordlys Sko" in text(page)
    assert "WhatsApp-meddelanden från Nordlys Sko om erbjudanden och nyheter" in text(page)
    assert "högst 24 månader" in text(page)  # CLDR plural for Swedish, no table in the code
    assert ">Svenska<" in html  # language name from CLDR in the switcher
    assert (sandbox.root / "site" / "nordlys-sko" / "sv" / "privacy.html").is_file()

    notice.unlink()  # a locale without its notice is not offered to campaigns
    failed = sandbox.optin("build", "campaigns/nordlys-sko.yaml", "--out", "site2")
    assert failed.returncode == 2 and "'sv'" in failed.stderr and "Traceback" not in failed.stderr


def test_regional_locale_gets_bcp47_language_tags(sandbox):
    """Catalog folders follow gettext (pt_BR); HTML lang and hreflang need BCP 47 (pt-BR)."""
    assert sandbox.optin("i18n", "init", "pt_BR").returncode == 0
    campaign = without_landing_copy(sandbox)
    yaml = re.sub(r"^locales:.*$", "locales: [pt_BR, en]", campaign.read_text(encoding="utf-8"), flags=re.M)
    campaign.write_text(re.sub(r"^default_locale:.*$", "default_locale: en", yaml, flags=re.M), encoding="utf-8")
    build = sandbox.optin("build", "campaigns/nordlys-sko.yaml", "--out", "site")
    assert build.returncode == 0, build.stderr
    site = sandbox.root / "site" / "nordlys-sko"
    page = (site / "pt_BR" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="pt-BR">' in page and 'hreflang="pt-BR" href="../pt_BR/index.html"' in page
    assert 'lang="pt_BR"' not in page and 'hreflang="pt_BR"' not in page
    assert 'hreflang="pt-BR"' in (site / "en" / "privacy.html").read_text(encoding="utf-8")
    assert 'hreflang="pt-BR"' in (site / "index.html").read_text(encoding="utf-8")  # the picker
    check = sandbox.optin("check", "site", "--format", "json")
    rules = {f["rule"] for f in json.loads(check.stdout)["failures"]}
    assert rules == {"english-text"}, "only the untranslated strings fail: lang, hreflang and links agree"
