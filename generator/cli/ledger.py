"""`optin ledger …`: read, verify and maintain the consent ledger written by the receiver."""
from __future__ import annotations

from pathlib import Path

import click

from generator.cli.common import pass_project

LEDGER_HELP = "SQLite consent ledger (default: the project's, optin-ledger.sqlite)."
CONTACT_HELP = "Phone number (E.164, e.g. +4791234567) or email address."


def ledger_option(command):
    return click.option("--ledger", "ledger_path", type=click.Path(path_type=Path), default=None,
                        help=LEDGER_HELP)(command)


def open_ledger(project, ledger_path: Path | None):
    """The project's (or the given) ledger, which must exist; its key as configured
    (OPTIN_LEDGER_KEY, [receiver] key_file, else <ledger>.key next to it)."""
    from generator.errors import OptinError
    from generator.receiver.ledger import Ledger

    ledger_path = ledger_path or project.ledger_path
    if not ledger_path.is_file():
        raise OptinError(f"no ledger at {ledger_path} (run `optin serve` first, or pass --ledger)")
    return Ledger.of_project(project, ledger_path)


@click.group()
def ledger() -> None:
    """Read, verify and maintain the consent ledger written by the receiver."""


@ledger.command("export")
@ledger_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--campaign", help="Only this campaign id.")
@click.option("--contact", help="Only this " + CONTACT_HELP[0].lower() + CONTACT_HELP[1:])
@pass_project
def export(project, ledger_path: Path | None, fmt: str, campaign: str | None, contact: str | None) -> None:
    """Print every consent event as proof.

    One line per event (requested, given, refused, withdrawn, expired, erased) with its record
    and its link in the hash chain (prev_hash, hash)."""
    from generator.errors import OptinError
    from generator.receiver import export as ledger_export
    from generator.receiver.app import now_utc
    from generator.receiver.contacts import contact_key
    from generator.receiver.flows import iso
    from generator.receiver.ledger import expire_stale

    phone = email = None
    if contact:
        key = contact_key(contact)
        if key is None:
            raise OptinError(f"--contact {contact!r} is neither an email address nor a phone number "
                             "with country code (+47…)")
        phone, email = (key[1], None) if key[0] == "phone" else (None, key[1])
    store = open_ledger(project, ledger_path)
    with store.transaction() as db:  # record tokens that ran out since the receiver last looked
        expire_stale(db, iso(now_utc()))
    items = ledger_export.rows(store, campaign, phone, email)
    click.echo(ledger_export.as_jsonl(items) if fmt == "jsonl" else ledger_export.as_csv(items), nl=False)


@ledger.command("verify")
@ledger_option
@pass_project
def verify(project, ledger_path: Path | None) -> None:
    """Check the events' hash chain.

    Prints OK, or the first event where the chain breaks (changed, deleted or inserted) and
    exits with code 1."""
    from generator.receiver.proof import verify as verify_chain

    verdict = verify_chain(open_ledger(project, ledger_path))
    click.echo(str(verdict))
    if not verdict.ok:
        raise SystemExit(1)


@ledger.command("purge")
@ledger_option
@click.option("--dry-run", is_flag=True, help="Only list what would be erased.")
@click.option("--unconfirmed-days", type=click.IntRange(min=0), default=30, show_default=True,
              help="Erase sign-ups never confirmed (and no usable link left) after this many days.")
@pass_project
def purge(project, ledger_path: Path | None, dry_run: bool, unconfirmed_days: int) -> None:
    """Erase contacts whose retention ended.

    Each confirmed purpose is kept for its retention_months (from the project's campaigns) after
    its last confirmation; a sign-up never confirmed, for --unconfirmed-days. Prints a report."""
    import json

    from generator.campaign.model import load_all
    from generator.receiver.retention import purge as run_purge
    from generator.site.build import campaign_files

    store = open_ledger(project, ledger_path)
    retention = {}
    if project.campaigns_dir.is_dir():
        retention = {c.id: {p.id: p.retention_months for p in c.purposes}
                     for c in load_all(campaign_files([project.campaigns_dir]), project)}
    report = run_purge(store, retention, dry_run=dry_run, unconfirmed_days=unconfirmed_days)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True))


@ledger.command("erase")
@ledger_option
@click.option("--contact", required=True, help=CONTACT_HELP)
@click.option("--reason", default="request", show_default=True, help="Why, kept in the `erased` event.")
@pass_project
def erase(project, ledger_path: Path | None, contact: str, reason: str) -> None:
    """Erase one person's contact from the ledger.

    Their phone/email leave every record and their messages the outbox; the proof of consent
    stays, linked to them only by a keyed pseudonym (contact_hmac). Prints a report."""
    import json

    from generator.receiver.retention import erase as run_erase

    report = run_erase(open_ledger(project, ledger_path), contact, reason)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True))


@ledger.command("access")
@ledger_option
@click.option("--contact", required=True, help=CONTACT_HELP)
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True)
@pass_project
def access(project, ledger_path: Path | None, contact: str, fmt: str) -> None:
    """Print everything stored about one person.

    Their records (found by the contact, or by its pseudonym once erased), every event of those,
    the messages sent to them and their confirmation tokens."""
    import json

    from generator.receiver.retention import access as run_access

    found = run_access(open_ledger(project, ledger_path), contact)
    if fmt == "json":
        click.echo(json.dumps(found, ensure_ascii=False, indent=2, sort_keys=True))
        return
    click.echo(f"{found['kind']} {found['contact']}: {len(found['records'])} record(s)")
    for record in found["records"]:
        click.echo(f"\nrecord {record['record_id']} ({record['campaign']}, {record['created']})")
        for key in ("phone", "email", "locale", "page_url", "notice_url", "extra"):
            click.echo(f"  {key}: {record[key]}")
        for event in (e for e in found["events"] if e["record_id"] == record["record_id"]):
            click.echo(f"  {event['ts']}  {event['event']:<9} {', '.join(event['purposes'])}  ({event['method']})")
    for message in found["outbox"]:
        click.echo(f"\nmessage {message['ts']} via {message['channel']} to {message['recipient']}:\n{message['body']}")
