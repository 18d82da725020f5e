"""`optin review` and `optin approve`: argument handling only; the work is in legal/."""
from __future__ import annotations

from pathlib import Path

import click

from generator.cli.common import campaign_paths, pass_project


def _campaigns(project, args: tuple[str, ...]):
    """(campaign, views, texts) for files, folders or campaign ids (default: the project's
    campaigns), from a draft build: the page texts are read from the pages as built."""
    from generator.pipeline.build import draft

    result = draft(project, campaign_paths(project, args))
    for campaign in result.campaigns:
        yield campaign, result.views[campaign.id], result.texts[campaign.id]


def _archive_lines(campaign) -> list[str]:
    from generator.legal import archive

    rows, dropped = archive.listing(campaign), archive.dropped(campaign)
    folder = archive.archive_dir(campaign)
    if not rows and not dropped:
        return [f"  nothing published yet (`optin build --strict` into the project's out_dir publishes; "
                f"it archives into {folder})"]
    out = [f"  published versions ({folder}):"]
    out += [f"    {r['locale']:<6} {r['kind'].split('_')[0]:<8} {r['version'][:12]}  first published "
            f"{r['first_published'] or 'before the publish log'}, approved by {r['approved_by'] or '?'}" for r in rows]
    out += [f"  dropped as never public: {d.get('locale')} {str(d.get('kind', '')).split('_')[0]} "
            f"{str(d.get('version', ''))[:12]} by {d.get('by')} on {d.get('dropped_at')}: {d.get('reason')}"
            for d in dropped]
    return out


@click.command()
@click.argument("campaigns", nargs=-1)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for <campaign>.html and <campaign>.md (default: review_dir of optin.toml, review/).")
@click.option("--drop", "drop", metavar="VERSION", default=None,
              help="Instead of reviewing: take this published version (8+ hex digits) out of the archive, "
                   "because it was never public. Needs --by and --reason; logged in dropped.log.")
@click.option("--by", "by", default=None, help="With --drop: name of the person dropping the version.")
@click.option("--reason", "reason", default=None, help="With --drop: why the version was never public.")
@click.option("--locale", "locale", default=None, help="With --drop: only in this locale.")
@pass_project
def review(project, campaigns: tuple[str, ...], out_dir: Path | None, drop: str | None, by: str | None,
           reason: str | None, locale: str | None) -> None:
    """Write the legal review document of CAMPAIGNS.

    CAMPAIGNS are ids, files or folders (default: campaigns/). Per locale side by side: every consent label, the summary, the opt-out instruction, the
    full privacy notice, the messages, the WhatsApp template and the thanks, confirm and
    withdraw pages as rendered, each with its hash, and a highlighted diff against the approved
    version. Open <campaign>.html in a browser; <campaign>.md is the same as text. Also lists
    the published versions in the archive (campaigns/<id>.notices/)."""
    from generator.errors import OptinError
    from generator.legal import review as review_doc

    if drop is not None:
        return _drop(project, campaigns, drop, by, reason, locale)
    if by or reason or locale:
        raise OptinError("--by, --reason and --locale go with --drop VERSION (to approve: `optin approve --by NAME`)")
    out_dir = out_dir or project.path("review_dir")
    for campaign, views, texts in _campaigns(project, campaigns):
        try:
            page, text, counts = review_doc.write(campaign, views, texts, out_dir)
        except OSError as exc:
            raise OptinError(f"cannot write the review of {campaign.id} into {out_dir}: {exc}") from None
        click.echo(f"{campaign.id}: {counts['approved']} approved, {counts['changed']} changed, "
                   f"{counts['new']} not approved yet -> {page} (text: {text})")
        for line in _archive_lines(campaign):
            click.echo(line)


def _drop(project, campaigns, version: str, by: str | None, reason: str | None, locale: str | None) -> None:
    from generator.campaign.model import load_all
    from generator.errors import OptinError
    from generator.legal import archive
    from generator.site.build import campaign_files
    from generator.site.views import resolve_all

    if not by or not reason:
        raise OptinError("--drop needs --by NAME and --reason TEXT (both are kept in dropped.log)")
    loaded = load_all(campaign_files(campaign_paths(project, campaigns)), project)
    wanted = version.strip().lower()
    hits = [c for c in loaded if any(r["version"].startswith(wanted) and locale in (None, r["locale"])
                                     for r in archive.listing(c))]
    found = []
    for campaign in hits or loaded[:1]:  # no match: the first campaign says why (bad VERSION, not published)
        try:
            found += [(campaign, item) for item in archive.drop(
                campaign, resolve_all(campaign, project.locales), version, by, reason, locale)]
        except OSError as exc:
            raise OptinError(f"cannot change the archive {archive.archive_dir(campaign)}: {exc}") from None
    for campaign, item in found:
        click.echo(f"{campaign.id}: dropped {item['locale']} {item['kind'].split('_')[0]} {item['version'][:12]} "
                   f"(recorded in {archive.archive_dir(campaign) / 'dropped.log'}); rebuild and publish the site")


@click.command()
@click.argument("campaigns", nargs=-1)
@click.option("--by", "by", required=True, help="Name of the person approving (recorded with the date).")
@click.option("--locale", "locales", multiple=True, help="Approve only this locale (repeatable).")
@pass_project
def approve(project, campaigns: tuple[str, ...], by: str, locales: tuple[str, ...]) -> None:
    """Record the current legal texts of CAMPAIGNS as approved.

    Writes campaigns/<id>.approved.json. Run `optin review` first and read it: this approves exactly what the site renders now
    (pages, messages and templates included). Commit the file; `optin build --strict` then
    fails when a text no longer matches it."""
    from generator.errors import OptinError
    from generator.legal import approval

    for campaign, views, texts in _campaigns(project, campaigns):
        try:
            path, changed = approval.approve(campaign, views, texts, by, list(locales) or None)
        except OSError as exc:
            raise OptinError(f"cannot write {approval.lock_path(campaign)}: {exc}") from None
        if changed:
            click.echo(f"{campaign.id}: approved {len(changed)} text(s) -> {path}")
            for key in changed:
                click.echo(f"  {key}")
        else:
            click.echo(f"{campaign.id}: nothing new to approve ({path} is up to date)")
