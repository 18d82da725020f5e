"""Catalogs: complete for every locale, in step with the templates, accepted by GNU msgfmt, correct
plural forms and CLDR names, and broken placeholders reported with their .po line."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from generator.campaign import validate
from generator.i18n import workflow
from generator.i18n.catalogs import po_path, pot_path, read_catalog
from generator.i18n.formatting import language_name, months
from generator.i18n.locales import Locales
from generator.project import package_data
from support.projects import REPO

LOCALES_DIR = package_data("locales")  # the built-in locales: read only here
LOCALES = ["nb", "de", "ms", "en", "es"]
SAME_IN_EVERY_LANGUAGE = {"WhatsApp", "SMS"}  # brand and channel names
MSGFMT = shutil.which("msgfmt")


@pytest.fixture
def msgfmt() -> str:
    """GNU msgfmt; scripts/test.sh installs it (and sets OPTIN_REQUIRE_TOOLS: missing = failure)."""
    if MSGFMT:
        return MSGFMT
    if os.environ.get("CI") or os.environ.get("OPTIN_REQUIRE_TOOLS"):
        pytest.fail("msgfmt (Debian package gettext) is not installed; scripts/test.sh installs it")
    pytest.skip("GNU gettext not installed (scripts/test.sh installs it)")


def ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


@pytest.fixture(scope="module")
def fresh() -> Catalog:
    """The strings the templates and the generator use right now (not the committed pot)."""
    return workflow.extract(REPO)


def test_the_five_locales_are_supported(locales):
    assert set(LOCALES) <= set(locales.supported())


@pytest.mark.parametrize("lang", LOCALES)
def test_catalog_is_complete(lang, locales):
    rep = locales.report(lang)
    assert rep.missing == [], f"{lang}: untranslated: {rep.missing}"
    assert rep.fuzzy == [], f"{lang}: fuzzy: {rep.fuzzy}"
    assert rep.errors == [], f"{lang}: placeholder errors: {rep.errors}"
    assert rep.obsolete == [], f"{lang}: obsolete entries left over: {rep.obsolete}"
    assert len(rep.translated) == len(ids(read_catalog(pot_path(LOCALES_DIR)))) > 50


def test_template_is_up_to_date(fresh):
    """A string added to a template or to the generator must be extracted into messages.pot."""
    pot = ids(read_catalog(pot_path(LOCALES_DIR)))
    assert ids(fresh) - pot == set(), "run `optin i18n extract` and `optin i18n update`"
    assert pot - ids(fresh) == set(), "messages.pot lists strings nothing uses: run `optin i18n extract`"


@pytest.mark.parametrize("lang", LOCALES)
def test_every_string_in_use_is_translated(lang, fresh, locales):
    """Fails when a new template/Python string is not translated in every catalog."""
    rep = locales.report(lang, template=fresh)
    assert rep.missing == [] and rep.fuzzy == [], f"{lang} lacks: {rep.missing + rep.fuzzy}"


def test_english_catalog_is_the_source():
    catalog = read_catalog(po_path(LOCALES_DIR, "en"), "en")
    assert [m.id for m in catalog if m.id and m.string != m.id] == []


@pytest.mark.parametrize("lang", [lang for lang in LOCALES if lang != "en"])
def test_translations_are_not_english_copies(lang):
    catalog = read_catalog(po_path(LOCALES_DIR, lang), lang)
    copies = [m.id for m in catalog if m.id and m.string == m.id and m.id not in SAME_IN_EVERY_LANGUAGE]
    assert copies == []


@pytest.mark.parametrize("lang", LOCALES)
def test_translations_keep_markup(lang):
    """Links inside messages survive translation (same number of <a> tags, same href)."""
    for message in read_catalog(po_path(LOCALES_DIR, lang), lang):
        if message.id and "<a " in message.id:
            assert message.string.count('<a href="%(url)s">') == 1 and message.string.count("</a>") == 1


def test_plural_forms_per_locale():
    headers = {lang: read_catalog(po_path(LOCALES_DIR, lang), lang).plural_forms for lang in LOCALES}
    assert headers["ms"] == "nplurals=1; plural=0;"  # Malay has no grammatical plural
    for lang in ("nb", "de", "en", "es"):
        assert headers[lang] == "nplurals=2; plural=(n != 1);"
    assert (months(1, "nb"), months(24, "nb")) == ("1 måned", "24 måneder")
    assert (months(1, "de"), months(24, "de")) == ("1 Monat", "24 Monate")
    assert (months(1, "es"), months(24, "es")) == ("1 mes", "24 meses")
    assert (months(1, "ms"), months(24, "ms")) == ("1 bulan", "24 bulan")
    assert (months(1, "en"), months(24, "en")) == ("1 month", "24 months")


def test_language_names_come_from_cldr():
    assert [language_name(lang) for lang in LOCALES] == [
        "Norsk bokmål", "Deutsch", "Melayu", "English", "Español"]


@pytest.mark.parametrize("lang", LOCALES)
def test_msgfmt_accepts_catalog(lang, msgfmt):
    run = subprocess.run([msgfmt, "--check", "--statistics", "-o", "/dev/null", str(po_path(LOCALES_DIR, lang))],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "untranslated" not in run.stderr and "fuzzy" not in run.stderr, run.stderr


def _copy_locales(tmp_path: Path) -> Path:
    """A copy of the built-in locales: tests that change catalogs never touch the real ones."""
    target = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, target)
    return target


def _break_placeholder(po: Path, msgid: str, old: str, new: str) -> int:
    """Replace `old` by `new` in the msgstr of `msgid`; return the line of that msgid."""
    lines = po.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f'msgid "{msgid}"'))
    at = next(i for i in range(start, len(lines)) if lines[i].startswith("msgstr"))
    assert old in lines[at]
    lines[at] = lines[at].replace(old, new)
    po.write_text("".join(lines), encoding="utf-8")
    return start + 1


def test_broken_placeholder_is_reported_with_file_and_line(tmp_path):
    locales = _copy_locales(tmp_path)
    po = po_path(locales, "de")
    line = _break_placeholder(po, "Get messages from %(brand)s", "%(brand)s", "%(marke)s")
    errors = Locales(locales).report("de").errors
    assert len(errors) == 1
    assert errors[0].file == str(po) and errors[0].line == line
    assert f"{po}:{line}" in str(errors[0]) and "%(brand)s" in str(errors[0]) and "%(marke)s" in str(errors[0])
    assert Locales(locales).report("nb").errors == []


def test_msgfmt_check_rejects_a_broken_placeholder(tmp_path, msgfmt):
    """The msgfmt test above can fail: the same broken catalog is rejected."""
    locales = _copy_locales(tmp_path)
    po = po_path(locales, "es")
    _break_placeholder(po, "Get messages from %(brand)s", "%(brand)s", "%(marca)s")
    run = subprocess.run([msgfmt, "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True)
    assert run.returncode != 0 and "'brand'" in run.stderr


def test_missing_and_fuzzy_strings_are_reported(tmp_path):
    locales = _copy_locales(tmp_path)
    po = po_path(locales, "nb")
    catalog = read_catalog(po, "nb")
    catalog["Back to sign-up"].string = ""
    catalog["Skip to content"].flags.add("fuzzy")
    workflow.write(catalog, po)
    rep = Locales(locales).report("nb")
    assert rep.missing == ["Back to sign-up"] and rep.fuzzy == ["Skip to content"]
    t = Locales(locales).translations("nb")
    assert t.ugettext("Back to sign-up") == "Back to sign-up"  # English fallback
    assert t.ugettext("Skip to content") == "Skip to content"
    assert t.ugettext("Language") == "Språk"


def test_schema_locales_follow_the_locales_folder(tmp_path):
    locales = _copy_locales(tmp_path)
    shutil.copytree(locales / "nb", locales / "sv")
    schema = validate.schema(tuple(Locales(locales).supported()))
    assert schema["properties"]["locales"]["items"]["enum"] == ["nb", "de", "ms", "en", "es", "sv"]
    assert "sv" in schema["properties"]["notice"]["properties"]
    assert "sv" in schema["properties"]["purposes"]["items"]["properties"]["wording"]["properties"]
    (locales / "sv" / "notice.md").unlink()  # a catalog alone is not enough: the notice is needed too
    schema = validate.schema(tuple(Locales(locales).supported()))
    assert "sv" not in schema["properties"]["default_locale"]["enum"]


def test_validation_uses_the_discovered_locales(locales):
    supported = tuple(locales.supported())
    enum = validate.schema(supported)["properties"]["locales"]["items"]["enum"]
    assert set(enum) == set(supported) >= set(LOCALES)
    assert set(validate.schema_file()["properties"]["locales"]["items"]["enum"]) == set(supported), \
        "the schema file editors use lists the built-in locales"


def test_plural_messages_follow_each_locales_plural_rule(tmp_path):
    """A plural string (`{% trans count=n %}…{% pluralize %}…`) needs every form of the
    locale's rule: two in Norwegian, one in Malay; a missing form is reported as missing."""
    locales = _copy_locales(tmp_path)
    singular, plural = "%(num)s message", "%(num)s messages"
    pot = read_catalog(pot_path(locales))
    pot.add((singular, plural), locations=[("themes/default/templates/x.html", 1)])
    workflow.write_template(pot, locales)
    workflow.update(locales, read_catalog(pot_path(locales)))
    forms = {"nb": ("%(num)s melding", "%(num)s meldinger"), "ms": ("%(num)s mesej",)}
    for lang, strings in forms.items():
        path = po_path(locales, lang)
        catalog = read_catalog(path, lang)
        assert len(catalog[singular].string) == catalog.num_plurals == len(strings)
        catalog[singular].string = strings
        workflow.write(catalog, path)
        assert singular in Locales(locales).report(lang).translated
    nb = Locales(locales).translations("nb")
    assert [nb.ungettext(singular, plural, n) % {"num": n} for n in (1, 2)] == ["1 melding", "2 meldinger"]
    ms = Locales(locales).translations("ms")
    assert [ms.ungettext(singular, plural, n) % {"num": n} for n in (1, 2)] == ["1 mesej", "2 mesej"]
    assert singular in Locales(locales).report("de").missing
    catalog = read_catalog(po_path(locales, "nb"), "nb")
    catalog[singular].string = ("%(num)s melding", "")
    workflow.write(catalog, po_path(locales, "nb"))
    assert singular in Locales(locales).report("nb").missing
    assert read_catalog(po_path(locales, "en"), "en")[singular].string == (singular, plural)


def test_a_compiled_catalog_is_reused_only_while_its_po_is_unchanged(tmp_path, monkeypatch):
    from generator.i18n import catalogs

    po = tmp_path / "messages.po"
    entry = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "Hello"\nmsgstr "{}"\n'
    po.write_text(entry.format("Hallo"), encoding="utf-8")
    store: dict = {}
    catalogs.use_store(store)
    try:
        real = catalogs.time.time_ns
        monkeypatch.setattr(catalogs.time, "time_ns", lambda: real() + 10**10)  # the .po is past the clock's tick
        assert catalogs.compiled_file(po, "de").gettext("Hello") == "Hallo"
        assert len(store) == 1
        monkeypatch.setattr(catalogs, "read_catalog", lambda *a: pytest.fail("an unchanged .po was parsed again"))
        assert catalogs.compiled_file(po, "de").gettext("Hello") == "Hallo"
        monkeypatch.undo()
        before = po.stat()
        po.write_text(entry.format("Hullo"), encoding="utf-8")  # same size, and the old mtime put back
        os.utime(po, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert catalogs.compiled_file(po, "de").gettext("Hello") == "Hullo"
    finally:
        catalogs.use_store(None)
