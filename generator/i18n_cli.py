"""`optin i18n …`: the translators' workflow (extract, update, init, status), wrapping Babel."""
from __future__ import annotations

from pathlib import Path

import click

from . import CAMPAIGNS_DIR, LOCALES_DIR, ROOT
from . import i18n as catalogs
from .errors import OptinError

LOCALES_OPTION = click.option(
    "--locales", "locales_dir", type=click.Path(path_type=Path, file_okay=False), default=LOCALES_DIR,
    show_default="locales/", help="Folder holding messages.pot and <lang>/LC_MESSAGES/messages.po.")


@click.group()
def i18n() -> None:
    """Translation catalogs: extract strings, update catalogs, add a locale, show what is missing."""


@i18n.command()
@LOCALES_OPTION
def extract(locales_dir: Path) -> None:
    """Collect every translatable string of the generator and themes into messages.pot."""
    catalog = catalogs.extract(ROOT)
    path = catalogs.write_template(catalog, locales_dir)
    click.echo(f"wrote {path} ({sum(1 for m in catalog if m.id)} strings); "
               "next: `optin i18n update`")


@i18n.command()
@LOCALES_OPTION
@click.option("--drop-obsolete", is_flag=True,
              help="Remove strings the templates no longer use (default: keep them as #~ comments).")
def update(locales_dir: Path, drop_obsolete: bool) -> None:
    """Merge messages.pot into every locale's catalog (new strings appear untranslated)."""
    _need_template(locales_dir)
    for path in catalogs.update(locales_dir, drop_obsolete=drop_obsolete):
        click.echo(f"updated {path}")
    click.echo("next: translate the empty msgstr entries, then `optin i18n status`")


@i18n.command()
@click.argument("lang")
@LOCALES_OPTION
def init(lang: str, locales_dir: Path) -> None:
    """Add locale LANG (e.g. sv): a catalog from messages.pot and a notice.md copied from English."""
    _need_template(locales_dir)
    for path in catalogs.init(lang, locales_dir):
        click.echo(f"created {path}")
    click.echo(f"next: translate both files, then `optin i18n status`; campaigns can list {lang!r} "
               "in `locales:` once both exist")


@i18n.command()
@click.argument("campaigns", nargs=-1, type=click.Path(path_type=Path))
@LOCALES_OPTION
def status(campaigns: tuple[Path, ...], locales_dir: Path) -> None:
    """Per locale: translated / fuzzy / missing / obsolete strings, and which are missing.

    Exits with code 1 when a locale used by CAMPAIGNS (default: campaigns/) lacks a
    translation, has a fuzzy one or has no notice.md (or one still in English), when
    messages.pot misses strings of the templates, or when a msgstr's %(name)s placeholders
    differ from its msgid (listed with file and line)."""
    _need_template(locales_dir)
    template = catalogs.read_catalog(catalogs.pot_path(locales_dir))
    stale = _stale_template(template)
    used = _used_locales(list(campaigns))
    langs = catalogs.available(locales_dir)
    reports = [catalogs.report(lang, locales_dir) for lang in langs]
    english = {lang for lang in langs if catalogs.notice_is_english_copy(lang, locales_dir)}
    click.echo(f"{'locale':<8}{'translated':>11}{'fuzzy':>7}{'missing':>9}{'obsolete':>10}  notice   used")
    failed = bool(stale)
    for rep in reports:
        total = len(rep.translated) + len(rep.fuzzy) + len(rep.missing)
        pct = 100 * len(rep.translated) // total if total else 100
        has_notice = catalogs.notice_path(rep.lang, locales_dir).is_file()
        notice = "ENGLISH" if rep.lang in english else "yes" if has_notice else "MISSING"
        in_use = used is None or rep.lang in used
        click.echo(f"{rep.lang:<8}{len(rep.translated):>6} {pct:>3}%{len(rep.fuzzy):>7}{len(rep.missing):>9}"
                   f"{len(rep.obsolete):>10}  {notice:<8} {'yes' if in_use else 'no'}")
        failed |= bool(rep.errors) or (in_use and bool(rep.missing or rep.fuzzy or not has_notice or rep.lang in english))
    for rep in reports:
        for title, items in (("missing", rep.missing), ("fuzzy (English shown until reviewed)", rep.fuzzy)):
            if items:
                click.echo(f"\n{rep.lang}: {title}:")
                click.echo("\n".join(f"  {msgid!r}" for msgid in items))
        if rep.errors:
            click.echo(f"\n{rep.lang}: placeholder errors:")
            click.echo("\n".join(f"  {problem}" for problem in rep.errors))
    for lang in sorted(english):
        click.echo(f"\n{lang}: {catalogs.notice_path(lang, locales_dir)} is still the English notice "
                   "copied by `optin i18n init`; translate it")
    if stale:
        click.echo(f"\nmessages.pot is out of date: {len(stale)} string(s) of the templates/code are "
                   "not in it; run `optin i18n extract` then `optin i18n update`:")
        click.echo("\n".join(f"  {msgid!r}" for msgid in stale))
    for lang in sorted((used or set()) - set(langs)):
        click.echo(f"\n{lang}: used by a campaign but has no catalog; run `optin i18n init {lang}`")
        failed = True
    if failed:
        raise SystemExit(1)


def _need_template(locales_dir: Path) -> None:
    if not catalogs.pot_path(locales_dir).is_file():
        raise OptinError(f"{catalogs.pot_path(locales_dir)} does not exist; run `optin i18n extract` first")


def _stale_template(template) -> list[str]:
    """Strings the sources use that messages.pot lacks (empty when the sources are not here,
    e.g. an installed package without its themes)."""
    try:
        fresh = catalogs.extract(ROOT)
    except OSError:
        return []
    have = {m.id for m in template if m.id}
    return sorted((m.id if isinstance(m.id, str) else m.id[0]) for m in fresh if m.id and m.id not in have)


def _used_locales(paths: list[Path]) -> set[str] | None:
    """Locales the campaigns use; None (= all) when there are no campaign files."""
    from .build import campaign_files
    from .campaign import load_all

    if not paths:
        if not CAMPAIGNS_DIR.is_dir():
            return None
        paths = [CAMPAIGNS_DIR]
    return {lang for campaign in load_all(campaign_files(paths)) for lang in campaign.locales}
