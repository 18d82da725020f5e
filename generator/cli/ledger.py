"""`optin ledger …`: read, verify and maintain the consent ledger written by the receiver."""
from __future__ import annotations

from pathlib import Path

import click

from generator.cli import ledger_rectify
from generator.cli.common import pass_project

LEDGER_HELP = ("The consent ledger: an SQLite file or a postgresql:// URL (default: OPTIN_DATABASE_URL, "
               "else [receiver] database, else [receiver] ledger: optin-ledger.sqlite).")
CONTACT_HELP = "Phone number (E.164, e.g. +4791234567) or email address."


def ledger_option(command):
    return click.option("--ledger", "ledger_path", default=None, metavar="PATH|URL", help=LEDGER_HELP)(command)


def open_ledger(project, ledger_path: str | None):
    """The project's (or the given) ledger, which must exist (an SQLite file) or be reachable
    (PostgreSQL); its key as configured (OPTIN_LEDGER_KEY, [receiver] key_file, else
    <ledger>.key next to an SQLite file)."""
    from generator.errors import OptinError
    from generator.receiver.backend import is_url
    from generator.receiver.ledger import Ledger

    target = Ledger.target_of(project, ledger_path)
    if not is_url(target) and not Path(target).is_file():
        raise OptinError(f"no ledger at {target} (run `optin serve` first, or pass --ledger)")
    return Ledger.of_project(project, target)


@click.group()
def ledger() -> None:
    """Read, verify and maintain the consent ledger.

    The ledger is what the receiver writes: every sign-up, confirmation and withdrawal."""


@ledger.command("export")
@ledger_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--campaign", help="Only this campaign id.")
@click.option("--contact", help="Only this " + CONTACT_HELP[0].lower() + CONTACT_HELP[1:])
@pass_project
def export(project, ledger_path: str | None, fmt: str, campaign: str | None, contact: str | None) -> None:
    """Print every consent event as proof.

    One line per event (requested, given, refused, withdrawn, expired, erased, rectified) with its record
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
def verify(project, ledger_path: str | None) -> None:
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
              help="For records of campaigns no longer in the project: erase sign-ups never confirmed "
                   "after this many days (the project's campaigns use their own unconfirmed_days).")
@click.option("--proof-years", type=click.IntRange(min=0), default=3, show_default=True,
              help="For records of campaigns no longer in the project: remove the proof this many years "
                   "after consent ended (the project's campaigns use their own proof_years).")
@pass_project
def purge(project, ledger_path: str | None, dry_run: bool, unconfirmed_days: int, proof_years: int) -> None:
    """Erase contacts and proof whose retention ended.

    Each confirmed purpose is kept for its retention_months (from the project's campaigns) after
    its last confirmation, and no longer once consent has ended (withdrawn or refused); a sign-up
    never confirmed, for its campaign's unconfirmed_days. The pseudonymous proof of a consent
    goes proof_years after it ended: the record and its events, which leave only their hashes
    (tombstones) so that `optin ledger verify` still checks the chain. The receiver runs this
    every [receiver] purge_interval seconds by itself. Prints a report."""
    import json

    from generator.campaign.model import load_all
    from generator.receiver.retention import Periods
    from generator.receiver.retention import purge as run_purge
    from generator.site.build import campaign_files

    store = open_ledger(project, ledger_path)
    campaigns = load_all(campaign_files([project.campaigns_dir]), project) if project.campaigns_dir.is_dir() else []
    periods = Periods.of(campaigns, unconfirmed_days=unconfirmed_days, proof_years=proof_years)
    report = run_purge(store, periods, dry_run=dry_run)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True))


@ledger.command("erase")
@ledger_option
@click.option("--contact", required=True, help=CONTACT_HELP)
@click.option("--reason", default="request", show_default=True, help="Why, kept in the `erased` event.")
@pass_project
def erase(project, ledger_path: str | None, contact: str, reason: str) -> None:
    """Erase one person's contact from the ledger.

    Their phone/email leave every record and their messages the outbox; the proof of consent
    stays, linked to them only by a keyed pseudonym (contact_hmac). The configured providers
    are told to suppress the contact (where they have an API for it). Prints a report."""
    import json
    import os

    from generator.receiver.retention import erase as run_erase
    from generator.receiver.retention import suppress_everywhere
    from generator.receiver.senders import from_settings

    senders = from_settings(project.receiver, os.environ)  # a bad setting fails before anything is erased
    report = run_erase(open_ledger(project, ledger_path), contact, reason)
    report["suppression"] = suppress_everywhere(senders, contact)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True))


@ledger.command("access")
@ledger_option
@click.option("--contact", required=True, help=CONTACT_HELP)
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True)
@pass_project
def access(project, ledger_path: str | None, contact: str, fmt: str) -> None:
    """Print everything stored about one person.

    Their records (found by the contact, or by its pseudonym once erased), every event of those,
    the messages sent to them and their confirmation tokens."""
    import json

    from generator.receiver.export import access as run_access

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


@ledger.command("deliveries")
@ledger_option
@click.option("--all", "show_all", is_flag=True, help="Every message, not only pending and failed ones.")
@click.option("--campaign", help="Only this campaign id.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_project
def deliveries_command(project, ledger_path: str | None, show_all: bool, campaign: str | None, fmt: str) -> None:
    """List messages not delivered yet.

    Each message's latest state: queued (made, not yet handed over), failed (the provider
    refused it), deferred (the provider could not be reached; retried) — with --all also sent,
    outbox, delivered, read and cancelled. `optin ledger retry` sends the pending ones again."""
    import json

    from generator.receiver import deliveries

    store = open_ledger(project, ledger_path)
    with store.reading() as db:
        rows = [dict(r) for r in deliveries.current(db, None if show_all else deliveries.PENDING, campaign)]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, sort_keys=True))
        return
    if not rows:
        click.echo("no pending or failed deliveries" if not show_all else "no deliveries")
        return
    for row in rows:
        click.echo(f"{row['message_id']}  {row['ts']}  {row['campaign']}/{row['locale']}  {row['channel']:<8} "
                   f"{row['kind']:<13} {row['status']:<9} tries {row['attempts']}"
                   + (f"  {row['error']}" if row["error"] else ""))


@ledger.command("retry")
@ledger_option
@click.option("--message", "message_ids", multiple=True, help="Only this message id (repeatable).")
@click.option("--token-hours", type=float, default=48, show_default=True,
              help="How long a re-issued confirmation link stays valid (codes: 30 minutes).")
@pass_project
def retry(project, ledger_path: str | None, message_ids: tuple[str, ...], token_hours: float) -> None:
    """Send pending and failed messages again.

    Through the senders of optin.toml [receiver.<channel>] (secrets from the environment). A
    confirmation gets a fresh link and code (only their digests are stored, so the lost ones
    cannot be rebuilt) for the purposes still awaiting confirmation; one with nothing left to
    confirm is cancelled. Exits with 1 when some message still did not go out."""
    import os
    from datetime import timedelta

    from generator.receiver.app import load_campaigns, now_utc
    from generator.receiver.flows import iso
    from generator.receiver.outgoing import Postman
    from generator.receiver.senders import from_settings

    store = open_ledger(project, ledger_path)
    campaigns = {c.id: c for c in load_campaigns(project)} if project.campaigns_dir.is_dir() else {}
    postman = Postman(store, from_settings(project.receiver, os.environ), campaigns, project.locales,
                      timedelta(hours=token_hours), now_utc, lambda: iso(now_utc()))
    report = postman.retry(list(message_ids) or None)
    failed = 0
    for message_id, status, error in report:
        click.echo(f"{message_id}  {status}" + (f"  {error}" if error else ""))
        failed += status in ("failed", "deferred")
    if not report:
        click.echo("nothing to retry")
    if failed:
        raise SystemExit(1)


@ledger.command("suppression")
@ledger_option
@click.option("--channel", type=click.Choice(["whatsapp", "sms", "email"]), required=True)
@click.option("--campaign", help="Only this campaign id.")
@pass_project
def suppression(project, ledger_path: str | None, channel: str, campaign: str | None) -> None:
    """Print the contacts who withdrew, one a line.

    Everyone with a withdrawn purpose of the channel and none of it given since (by reply
    keyword, the withdraw page or the one-click unsubscribe), from the ledger's consent state:
    E.164 numbers for whatsapp and sms, addresses for email; for upload to a provider's or a
    marketing tool's suppression list. Erased contacts are not in the ledger any more."""
    from generator.receiver import deliveries

    with open_ledger(project, ledger_path).reading() as db:
        for contact in deliveries.suppression(db, channel, campaign):
            click.echo(contact)


ledger_rectify.register(ledger, ledger_option, CONTACT_HELP)
