"""`optin review` and `optin approve`: argument handling only; the work is in legal/."""
from __future__ import annotations

from pathlib import Path

import click

from generator.cli.common import campaign_paths, pass_project


def _campaigns(project, args: tuple[str, ...]):
    """(campaign, views) for files, folders or campaign ids; default: the project's campaigns."""
    from generator.campaign.model import load_all
    from generator.site.build import campaign_files
    from generator.site.views import resolve_all

    for campaign in load_all(campaign_files(campaign_paths(project, args)), project):
        yield campaign, resolve_all(campaign, project.locales)


@click.command()
@click.argument("campaigns", nargs=-1)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for <campaign>.html and <campaign>.md (default: review_dir of optin.toml, review/).")
@pass_project
def review(project, campaigns: tuple[str, ...], out_dir: Path | None) -> None:
    """Write the legal review document of CAMPAIGNS (ids, files or folders; default: campaigns/).

    Per locale side by side: every consent label, the summary, the opt-out instruction and the
    full privacy notice as rendered, each with its hash, and a highlighted diff against the
    approved version. Open <campaign>.html in a browser; <campaign>.md is the same as text."""
    from generator.errors import OptinError
    from generator.legal import review as review_doc

    out_dir = out_dir or project.path("review_dir")
    for campaign, views in _campaigns(project, campaigns):
        try:
            page, text, counts = review_doc.write(campaign, views, out_dir)
        except OSError as exc:
            raise OptinError(f"cannot write the review of {campaign.id} into {out_dir}: {exc}") from None
        click.echo(f"{campaign.id}: {counts['approved']} approved, {counts['changed']} changed, "
                   f"{counts['new']} not approved yet -> {page} (text: {text})")


@click.command()
@click.argument("campaigns", nargs=-1)
@click.option("--by", "by", required=True, help="Name of the person approving (recorded with the date).")
@click.option("--locale", "locales", multiple=True, help="Approve only this locale (repeatable).")
@pass_project
def approve(project, campaigns: tuple[str, ...], by: str, locales: tuple[str, ...]) -> None:
    """Record the current legal texts of CAMPAIGNS as approved, in campaigns/<id>.approved.json.

    Run `optin review` first and read it: this approves exactly what the site renders now.
    Commit the file; `optin build --strict` then fails when a text no longer matches it."""
    from generator.errors import OptinError
    from generator.legal import approval

    for campaign, views in _campaigns(project, campaigns):
        try:
            path, changed = approval.approve(campaign, views, by, list(locales) or None)
        except OSError as exc:
            raise OptinError(f"cannot write {approval.lock_path(campaign)}: {exc}") from None
        if changed:
            click.echo(f"{campaign.id}: approved {len(changed)} text(s) -> {path}")
            for key in changed:
                click.echo(f"  {key}")
        else:
            click.echo(f"{campaign.id}: nothing new to approve ({path} is up to date)")
