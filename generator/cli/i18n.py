"""`optin i18n …`: the translators' workflow (extract, update, init, status), wrapping Babel.

Commands work on the project's `locales/` by default (strings it adds or overrides, over the
built-in catalogs); `--builtin` works on the catalogs shipped with optin (in its own checkout).
"""
from __future__ import annotations

from pathlib import Path

import click

from generator.cli.common import campaign_paths, pass_project

BUILTIN = click.option("--builtin", is_flag=True,
                       help="Work on optin's built-in catalogs instead of the project's locales/.")


def _target(project, builtin: bool) -> Path:
    return project.builtin_locales_dir if builtin or project.is_builtin else project.locales_dir


@click.group()
def i18n() -> None:
    """Translation catalogs: extract, update, init, status."""


@i18n.command()
@pass_project
def extract(project) -> None:
    """Collect optin's strings into the built-in messages.pot.

    Works in optin's own source checkout: it reads optin's templates and code."""
    from generator.errors import OptinError
    from generator.i18n import workflow

    root = project.builtin_locales_dir.parent
    if not (root / "babel.cfg").is_file():
        raise OptinError("`optin i18n extract` works in optin's own source checkout (it reads its "
                         "templates and code); a project's catalogs are updated with `optin i18n update`")
    catalog = workflow.extract(root)
    path = workflow.write_template(catalog, project.builtin_locales_dir)
    click.echo(f"wrote {path} ({sum(1 for m in catalog if m.id)} strings); next: `optin i18n update --builtin`")


@i18n.command()
@BUILTIN
@click.option("--drop-obsolete", is_flag=True,
              help="Remove strings the templates no longer use (default: keep them as #~ comments).")
@pass_project
def update(project, builtin: bool, drop_obsolete: bool) -> None:
    """Merge messages.pot into every catalog.

    New strings appear untranslated; a catalog the merge leaves as it was is not rewritten.
    Prints one line per locale: updated or unchanged, and how many strings are missing, fuzzy
    and obsolete (`optin i18n status` lists them)."""
    from generator.i18n import workflow
    from generator.i18n.locales import Locales

    target = _target(project, builtin)
    results = workflow.update(target, project.locales.template, drop_obsolete=drop_obsolete)
    if not results:
        click.echo(f"no catalogs in {target}; add one with `optin i18n init LANG`")
        return
    # what the pages show: the project's catalog over the built-in one, read anew
    layers = [target] if target == project.builtin_locales_dir else [target, project.builtin_locales_dir]
    reports = {r.lang: Locales(*layers).report(r.lang) for r in results}
    for result in results:
        click.echo(result.summary(len(reports[result.lang].missing), len(reports[result.lang].fuzzy)))
    changed = [r for r in results if r.changed]
    click.echo(f"{len(changed)} of {len(results)} catalog(s) in {target} rewritten")
    if any(rep.missing or rep.fuzzy for rep in reports.values()):
        click.echo("next: translate the missing and fuzzy strings (`optin i18n status` lists them)")


@i18n.command()
@click.argument("lang")
@BUILTIN
@pass_project
def init(project, lang: str, builtin: bool) -> None:
    """Add locale LANG (e.g. sv): a catalog and a notice.md.

    Both start in English, to translate."""
    from generator.i18n import workflow

    locales = project.locales
    for path in workflow.init(lang, _target(project, builtin), locales.template_path(), locales.notice_path("en")):
        click.echo(f"created {path}")
    click.echo(f"next: translate both files, then `optin i18n status`; campaigns can list {lang!r} "
               "in `locales:` once both exist")


@i18n.command()
@click.argument("campaigns", nargs=-1)
@BUILTIN
@pass_project
def status(project, campaigns: tuple[str, ...], builtin: bool) -> None:
    """Per locale: translated, fuzzy, missing and obsolete strings.

    Counts what pages show: the project's catalog over the built-in one. Exits with code 1 when
    a locale used by CAMPAIGNS (default: the project's) lacks a translation, has a fuzzy one or
    has no notice.md (or one still in English), when messages.pot misses strings of the
    templates, or when a msgstr's %(name)s placeholders differ from its msgid."""
    from generator.campaign.model import load_all
    from generator.i18n.status import report, stale_template
    from generator.site.build import campaign_files

    locales = project.locales
    if builtin or project.is_builtin:
        from generator.i18n.locales import Locales

        locales = Locales(project.builtin_locales_dir)
        langs = locales.available()
    else:  # the project's own locales, and the built-in ones its campaigns use
        langs = sorted({p.parent.parent.name for p in project.locales_dir.glob("*/LC_MESSAGES/messages.po")})
    used = None
    paths = campaign_paths(project, campaigns)
    if campaigns or project.campaigns_dir.is_dir():
        used = {lang for c in load_all(campaign_files(paths), project) for lang in c.locales}
        langs = sorted(set(langs) | (used & set(locales.available())))
    lines, failed = report(locales, langs, used, stale_template(locales, project.builtin_locales_dir.parent))
    click.echo("\n".join(lines))
    if failed:
        raise SystemExit(1)
