"""`optin audit`: the consent audit report (argument handling only; the work is in
receiver/audit.py and its render)."""
from __future__ import annotations

from pathlib import Path

import click

from generator.cli.common import pass_project
from generator.cli.ledger import ledger_option, open_ledger


@click.command()
@click.argument("campaigns", nargs=-1)
@ledger_option
@click.option("--site", type=click.Path(path_type=Path, file_okay=False), default=None, metavar="DIR",
              help="The built site whose notice pages to check (default: the project's out_dir, if built).")
@click.option("--format", "fmt", type=click.Choice(["html", "json"]), default="html", show_default=True)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FILE",
              help="Write to FILE instead of printing.")
@pass_project
def audit(project, campaigns: tuple[str, ...], ledger_path: str | None, site: Path | None, fmt: str,
          out: Path | None) -> None:
    """Report on the consent ledger, as evidence to file.

    CAMPAIGNS are campaign ids (default: every campaign in the ledger). The report covers the
    funnel (requested, given per purpose and locale, confirmation rate, median time to
    confirm, expired, refused), withdrawals by route and how fast providers were told, the
    problems an auditor would flag (contact data past its retention, consent under a version
    never published, a broken hash chain, failed deliveries after consent, messages stuck
    pending), each with the records concerned (pseudonymous ids only), and the settings in
    force. HTML is one self-contained printable document with weekly charts; JSON is for
    scripts. Exits with 1 when a problem is found, 0 when none."""
    import os

    from generator.campaign.model import load_all
    from generator.cli.record import emit
    from generator.errors import OptinError
    from generator.receiver import audit as run_audit
    from generator.receiver.audit_render import render
    from generator.site import published
    from generator.site.build import campaign_files

    if site is not None and not site.is_dir():
        raise OptinError(f"--site {site}: no such folder (build the site first, or leave --site out)")
    if site is None and project.out_dir.is_dir():
        site = project.out_dir
    loaded = load_all(campaign_files([project.campaigns_dir]), project) if project.campaigns_dir.is_dir() else []
    store = open_ledger(project, ledger_path)
    try:
        in_ledger = run_audit.ledger_campaigns(store)
        known = {c.id: c for c in loaded}
        unknown = [c for c in campaigns if c not in known and c not in in_ledger]
        if unknown:
            raise OptinError(f"unknown campaign {unknown[0]!r}: neither in {project.campaigns_dir} nor in the ledger "
                             f"(known: {', '.join(sorted(set(known) | set(in_ledger))) or 'none'})")
        scope = list(dict.fromkeys(campaigns)) or None
        versions = {}
        for cid in scope or sorted(set(in_ledger) | set(known)):
            folder = published.archive_dir(known[cid]) if cid in known else project.campaigns_dir / f"{cid}.notices"
            versions[cid] = published.read(folder)
        report = run_audit.build(store, loaded, scope=scope, published=versions, site=site,
                                 settings=project.receiver, env=dict(os.environ))
    finally:
        store.close()
    emit(render(report, fmt), out)
    if report["problems"]:
        raise SystemExit(1)
