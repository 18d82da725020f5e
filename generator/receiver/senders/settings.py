"""The senders of a project from its [receiver] settings (optin.toml):

    [receiver.whatsapp]
    provider = "cloud-api"              # or "outbox" (the default for every channel)
    phone_number_id = "106540352242922"
    template = "spring_offers_confirmation"   # default: the build's name for the campaign
    token_env = "OPTIN_WHATSAPP_TOKEN"        # names the environment variable, never the token
    app_secret_env = "OPTIN_WHATSAPP_APP_SECRET"      # webhooks (optional)
    verify_token_env = "OPTIN_WHATSAPP_VERIFY_TOKEN"  # webhooks (optional)

    [receiver.sms]
    provider = "twilio"
    account_sid = "AC…"
    from = "+4759440000"                # or messaging_service_sid = "MG…"
    auth_token_env = "OPTIN_TWILIO_AUTH_TOKEN"
    webhook_url = "https://optin.example.no/api/hooks/twilio"   # as set in Twilio: it is signed

    [receiver.email]
    provider = "smtp"
    host = "smtp.example.no"
    security = "starttls"               # or "tls" (port 465), "plain" (127.0.0.1 only)
    from = "Kari's Bakery <hei@example.no>"
    username = "hei@example.no"
    password_env = "OPTIN_SMTP_PASSWORD"
    unsubscribe_mailto = "unsubscribe@example.no"

A secret written into the settings themselves is refused: optin.toml is meant for git.
"""
from __future__ import annotations

import re
from typing import Mapping

from generator.errors import OptinError
from .base import Retry, Sender
from .outbox import Outbox
from .smtp import SMTPSender
from .twilio import TwilioSMS
from .whatsapp import WhatsAppCloud

CHANNELS = ("whatsapp", "sms", "email")
PROVIDERS = {"whatsapp": ("outbox", "cloud-api"), "sms": ("outbox", "twilio"), "email": ("outbox", "smtp")}
SECRET_WORDS = ("token", "secret", "password", "passwd", "api_key", "apikey", "credential", "private_key")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")  # capitals: a pasted token rarely is
# The keys each provider understands; anything else is a typo worth stopping for.
KEYS = {
    "outbox": set(),
    "cloud-api": {"phone_number_id", "template", "base_url", "api_version", "token_env", "app_secret_env",
                  "verify_token_env", "url_button", "body_parameters", "languages", "timeout"},
    "twilio": {"account_sid", "from", "messaging_service_sid", "status_callback", "base_url", "auth_token_env",
               "webhook_url", "timeout"},
    "smtp": {"host", "port", "security", "from", "from_name", "username", "password_env", "unsubscribe_mailto",
             "reply_to", "timeout"},
}
RETRY_KEYS = {"retries", "retry_delay", "retry_max_delay"}


class SenderSettingsError(OptinError):
    """The [receiver.<channel>] settings cannot build a sender."""


class Senders(dict):
    """channel -> Sender; `send` picks the sender by the message's channel."""

    def send(self, message):
        return self[message.channel].send(message)

    def suppress(self, channel: str, contact: str):
        return self[channel].suppress(contact)


def from_settings(settings: Mapping, env: Mapping[str, str], *, sleep=None, ssl_context=None) -> Senders:
    """One sender per channel from the [receiver] table; a channel without a table (or with
    provider = "outbox") keeps its messages in the outbox. Raises SenderSettingsError naming the
    setting at fault."""
    senders = Senders()
    for channel in CHANNELS:
        table = settings.get(channel) or {}
        if not isinstance(table, Mapping):
            raise SenderSettingsError(f"[receiver.{channel}] must be a table")
        senders[channel] = build(channel, table, env, sleep=sleep, ssl_context=ssl_context)
    return senders


def build(channel: str, table: Mapping, env: Mapping[str, str], *, sleep=None, ssl_context=None) -> Sender:
    where = f"[receiver.{channel}]"
    provider = table.get("provider", "outbox")
    if provider not in PROVIDERS[channel]:
        raise SenderSettingsError(f"{where} provider = {provider!r}: one of {', '.join(PROVIDERS[channel])}")
    refuse_inline_secrets(where, table)
    unknown = set(table) - KEYS[provider] - RETRY_KEYS - {"provider"}
    if unknown:
        raise SenderSettingsError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))} for provider "
                                  f"{provider!r} (known: {', '.join(sorted(KEYS[provider] | RETRY_KEYS))})")
    retry = Retry(tries=int(table.get("retries", 3)), base=float(table.get("retry_delay", 0.5)),
                  cap=float(table.get("retry_max_delay", 4.0)), **({"sleep": sleep} if sleep else {}))
    common = {"retry": retry, **({"timeout": float(table["timeout"])} if "timeout" in table else {})}

    def need(key: str) -> str:
        if table.get(key) in (None, ""):
            raise SenderSettingsError(f"{where} needs {key} for provider {provider!r}")
        return str(table[key])

    def secret(key: str, required: bool = True) -> str | None:
        return env_secret(where, table, key, env, required)

    try:
        if provider == "outbox":
            return Outbox()
        if provider == "cloud-api":
            options = {k: table[k] for k in ("template", "base_url", "api_version", "url_button",
                                             "body_parameters", "languages") if k in table}
            return WhatsAppCloud(need("phone_number_id"), secret("token_env"), **options, **common,
                                 app_secret=secret("app_secret_env", False),
                                 verify_token=secret("verify_token_env", False))
        if provider == "twilio":
            options = {k: table[k] for k in ("base_url", "status_callback", "webhook_url") if k in table}
            return TwilioSMS(need("account_sid"), secret("auth_token_env"), sender=table.get("from"),
                             messaging_service_sid=table.get("messaging_service_sid"), **options, **common)
        username = table.get("username")
        return SMTPSender(need("host"), need("from"), port=table.get("port"), security=table.get("security", "starttls"),
                          username=username, password=secret("password_env", bool(username)),
                          sender_name=table.get("from_name"), unsubscribe_mailto=table.get("unsubscribe_mailto"),
                          reply_to=table.get("reply_to"), ssl_context=ssl_context, **common)
    except (TypeError, ValueError) as exc:
        raise SenderSettingsError(f"{where}: {exc}") from None


def refuse_inline_secrets(where: str, table: Mapping) -> None:
    """A key that names a secret must end in _env and name an environment variable."""
    for key, value in table.items():
        lowered = key.lower()
        if any(word in lowered for word in SECRET_WORDS) and not lowered.endswith("_env"):
            raise SenderSettingsError(
                f"{where} {key}: secrets are not written in the settings (optin.toml belongs in git); "
                f"set {key}_env = \"OPTIN_{_upper(where)}_{key.upper()}\" and put the value in that "
                "environment variable")
        if lowered.endswith("_env") and not (isinstance(value, str) and ENV_NAME.match(value)):
            raise SenderSettingsError(
                f"{where} {key}: the name of an environment variable (capitals, digits, _), not the secret itself")


def env_secret(where: str, table: Mapping, key: str, env: Mapping[str, str], required: bool) -> str | None:
    name = table.get(key)
    if not name:
        if required:
            raise SenderSettingsError(f"{where} needs {key} (the environment variable holding the secret)")
        return None
    value = env.get(name)
    if not value:
        raise SenderSettingsError(f"{where} {key} = {name!r}: that environment variable is not set")
    return value


def _upper(where: str) -> str:
    return where.strip("[]").split(".")[-1].upper()
