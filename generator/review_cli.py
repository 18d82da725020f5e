"""`optin review` and `optin approve`: argument handling only; the work is in review.py and
approval.py."""
from __future__ import annotations

from pathlib import Path

import click

from . import CAMPAIGNS_DIR, approval, review as review_doc
from .build import campaign_files
from .campaign import Campaign, load_all
from .errors import OptinError

REVIEW_DIR = Path("review")


def _campaigns(args: tuple[str, ...]) -> list[Campaign]:
    """Files, folders, or bare campaign ids (campaigns/<id>.yaml); default: campaigns/."""
    paths = []
    for arg in args:
        path = Path(arg)
        by_id = CAMPAIGNS_DIR / f"{arg}.yaml"
        paths.append(by_id if not path.exists() and by_id.is_file() else path)
    return load_all(campaign_files(paths or [CAMPAIGNS_DIR]))


@click.command()
@click.argument("campaigns", nargs=-1)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=REVIEW_DIR, show_default=True,
              help="Folder for <campaign>.html and <campaign>.md.")
def review(campaigns: tuple[str, ...], out_dir: Path) -> None:
    """Write the legal review document of CAMPAIGNS (ids, files or folders; default: campaigns/).

    Per locale side by side: every consent label, the summary, the opt-out instruction and the
    full privacy notice as rendered, each with its hash, and a highlighted diff against the
    approved version. Open <campaign>.html in a browser; <campaign>.md is the same as text."""
    for campaign in _campaigns(campaigns):
        try:
            page, text, counts = review_doc.write(campaign, out_dir)
        except OSError as exc:
            raise OptinError(f"cannot write the review of {campaign.id} into {out_dir}: {exc}") from None
        click.echo(f"{campaign.id}: {counts['approved']} approved, {counts['changed']} changed, "
                   f"{counts['new']} not approved yet -> {page} (text: {text})")


@click.command()
@click.argument("campaigns", nargs=-1)
@click.option("--by", "by", required=True, help="Name of the person approving (recorded with the date).")
@click.option("--locale", "locales", multiple=True, help="Approve only this locale (repeatable).")
def approve(campaigns: tuple[str, ...], by: str, locales: tuple[str, ...]) -> None:
    """Record the current legal texts of CAMPAIGNS as approved, in campaigns/<id>.approved.json.

    Run `optin review` first and read it: this approves exactly what the site renders now.
    Commit the file; `optin build --strict` then fails when a text no longer matches it."""
    for campaign in _campaigns(campaigns):
        try:
            path, changed = approval.approve(campaign, by, list(locales) or None)
        except OSError as exc:
            raise OptinError(f"cannot write {approval.lock_path(campaign)}: {exc}") from None
        if changed:
            click.echo(f"{campaign.id}: approved {len(changed)} text(s) -> {path}")
            for key in changed:
                click.echo(f"  {key}")
        else:
            click.echo(f"{campaign.id}: nothing new to approve ({path} is up to date)")
