"""The settings in force, for the audit report: what each campaign keeps and for how long, how
long links and codes live, how often the receiver purges, which providers carry messages, and
where the ledger is. Names and numbers only: never a secret, never a variable's value (only
whether the back office's token variable is named)."""
from __future__ import annotations

from typing import Mapping

from generator.campaign import vocab

from . import tokens
from .backend import redacted

TOKEN_HOURS_ENV = "OPTIN_TOKEN_HOURS"
DEFAULT_TOKEN_HOURS = 48.0  # create_app's default
CHANNELS = ("whatsapp", "sms", "email")


def ledger_info(ledger) -> dict:
    backend = ledger.backend
    location = str(ledger)
    return {"backend": backend.name, "location": redacted(location) if "://" in location else location,
            "schema_version": ledger.migrated[1] if getattr(ledger, "migrated", None) else None,
            "key_source": ledger.key_source if ledger.key_source != "argument" else "given by the caller"}


def token_hours(env: Mapping[str, str]) -> tuple[float | str, str]:
    raw = (env.get(TOKEN_HOURS_ENV) or "").strip()
    if not raw:
        return DEFAULT_TOKEN_HOURS, "default"
    try:
        return float(raw), TOKEN_HOURS_ENV
    except ValueError:
        return raw, f"{TOKEN_HOURS_ENV} (not a number: the receiver will not start)"


def campaign_settings(campaign) -> dict:
    return {"campaign": campaign.id, "controller": campaign.controller.name, "locales": list(campaign.locales),
            "base_url": campaign.base_url or None,
            "purposes": [{"purpose": p.id, "channel": p.channel, "retention_months": p.retention_months}
                         for p in campaign.purposes],
            "unconfirmed_days": campaign.unconfirmed_days, "proof_years": campaign.proof_years}


def collect(campaigns: list, scope: list[str], settings: Mapping, env: Mapping[str, str]) -> dict:
    from .scheduler import interval_of

    hours, source = token_hours(env)
    try:
        purge: float | str = interval_of(settings, env)
    except Exception as exc:  # noqa: BLE001 - a bad setting is reported, not fatal to the report
        purge = f"invalid: {exc}"
    known = {c.id: c for c in campaigns}
    providers = {}
    for channel in CHANNELS:
        table = settings.get(channel)
        providers[channel] = str(table.get("provider", "outbox")) if isinstance(table, Mapping) else "outbox"
    office = settings.get("backoffice")
    return {
        "campaigns": [campaign_settings(known[c]) for c in scope if c in known],
        "campaigns_not_in_project": [c for c in scope if c not in known],
        "defaults_for_campaigns_not_in_project": {"unconfirmed_days": vocab.DEFAULT_UNCONFIRMED_DAYS,
                                                  "proof_years": vocab.DEFAULT_PROOF_YEARS},
        "token_hours": hours, "token_hours_source": source,
        "code_minutes": int(tokens.CODE_TTL.total_seconds() // 60), "code_max_failures": tokens.MAX_CODE_FAILURES,
        "purge_interval_seconds": purge,
        "providers": providers,
        "backoffice": bool(isinstance(office, Mapping) and office.get("token_env")),
    }
