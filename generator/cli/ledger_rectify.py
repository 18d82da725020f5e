"""`optin ledger rectify` (argument handling only; the work is in receiver/rectify.py). Added to
the `ledger` group by register(), called from cli/ledger.py with its shared options, so this
module never imports that one (no import cycle)."""
from __future__ import annotations

import click

from generator.cli.common import pass_project


def register(group: click.Group, ledger_option, contact_help: str) -> None:
    @group.command("rectify")
    @ledger_option
    @click.option("--contact", "old", required=True, help="The wrong or old contact: " + contact_help[0].lower() + contact_help[1:])
    @click.option("--to", "new", required=True, metavar="CONTACT",
                  help="The right contact, which must have confirmed its own consent by double opt-in.")
    @click.option("--reason", default="request", show_default=True, help="Why, kept in the `erased` event.")
    @click.option("--start-double-opt-in", "start", is_flag=True,
                  help="When --to has not confirmed: send it the campaign's confirmation message (a new "
                       "sign-up for the purposes --contact holds) and change nothing else.")
    @pass_project
    def rectify(project, ledger_path: str | None, old: str, new: str, reason: str, start: bool) -> None:
        """Replace a person's wrong contact (GDPR Art. 16).

        Consent is never moved: --to must already hold a confirmed consent for every purpose
        --contact holds (same campaigns), else nothing changes and the command exits with 2
        (--start-double-opt-in sends --to the confirmation). Then each record of --contact gets
        a `rectified` event naming --to's records, and --contact is erased as by `optin ledger
        erase`: its proof stays under its pseudonym, and the providers are told to suppress it.
        Prints a report."""
        import json
        import os

        from generator.cli.ledger import open_ledger
        from generator.receiver import rectify as run
        from generator.receiver.retention import suppress_everywhere
        from generator.receiver.senders import from_settings

        senders = from_settings(project.receiver, os.environ)  # a bad setting fails before anything changes
        store = open_ledger(project, ledger_path)
        try:
            try:
                report = run.rectify(store, old, new, reason)
            except run.RectifyRefused:
                if not start:
                    raise
                sent = _start(project, store, senders, old, new)
                click.echo(json.dumps({"rectified": False, "double_opt_in": sent}, ensure_ascii=False, indent=2))
                click.echo(f"sent {new} a confirmation; run this again once it has confirmed", err=True)
                if any(s["delivery"] in ("failed", "deferred") for s in sent):
                    raise SystemExit(1)
                return
        finally:
            store.close()
        report["suppression"] = suppress_everywhere(senders, old)
        click.echo(run.as_json(report))


def _start(project, store, senders, old: str, new: str) -> list[dict]:
    import os
    from datetime import timedelta

    from generator.receiver.app import load_campaigns, now_utc
    from generator.receiver.flows import iso
    from generator.receiver.outgoing import Postman
    from generator.receiver.rectify import start_double_opt_in

    campaigns = {c.id: c for c in load_campaigns(project)} if project.campaigns_dir.is_dir() else {}
    hours = float(os.environ.get("OPTIN_TOKEN_HOURS") or 48)
    postman = Postman(store, senders, campaigns, project.locales, timedelta(hours=hours), now_utc,
                      lambda: iso(now_utc()))
    api_url = os.environ.get("OPTIN_API_URL") or str(project.receiver.get("api_url", "") or "")
    return start_double_opt_in(store, postman, campaigns, project.locales, old, new, api_url.rstrip("/"))
