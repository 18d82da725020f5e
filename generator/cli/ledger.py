"""`optin ledger …`: read the consent ledger written by the receiver."""
from __future__ import annotations

from pathlib import Path

import click

from generator.cli.common import pass_project


@click.group()
def ledger() -> None:
    """Read the consent ledger written by the receiver."""


@ledger.command("export")
@click.option("--ledger", "ledger_path", type=click.Path(path_type=Path), default=None,
              help="SQLite consent ledger (default: the project's, optin-ledger.sqlite).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--campaign", help="Only this campaign id.")
@click.option("--contact", help="Only this phone number (E.164, e.g. +4791234567) or email address.")
@pass_project
def export(project, ledger_path: Path | None, fmt: str, campaign: str | None, contact: str | None) -> None:
    """Print every consent event (requested, given, refused, withdrawn, expired) as proof."""
    from generator.errors import OptinError
    from generator.receiver import export as ledger_export
    from generator.receiver.app import now_utc
    from generator.receiver.contacts import contact_key
    from generator.receiver.flows import iso
    from generator.receiver.ledger import Ledger, expire_stale

    ledger_path = ledger_path or project.ledger_path
    if not ledger_path.is_file():
        raise OptinError(f"no ledger at {ledger_path} (run `optin serve` first, or pass --ledger)")
    phone = email = None
    if contact:
        key = contact_key(contact)
        if key is None:
            raise OptinError(f"--contact {contact!r} is neither an email address nor a phone number "
                             "with country code (+47…)")
        phone, email = (key[1], None) if key[0] == "phone" else (None, key[1])
    store = Ledger(ledger_path)
    with store.transaction() as db:  # record tokens that ran out since the receiver last looked
        expire_stale(db, iso(now_utc()))
    items = ledger_export.rows(store, campaign, phone, email)
    click.echo(ledger_export.as_jsonl(items) if fmt == "jsonl" else ledger_export.as_csv(items), nl=False)
