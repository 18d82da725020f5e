"""Delivery of the receiver's messages through real providers, one sender per channel:

    base.py      Delivery (provider_id, status, error, attempts), Sender, HTTP and retries
    whatsapp.py  WhatsApp Cloud API (Graph API template and text messages)
    twilio.py    SMS through Twilio's Messages API
    smtp.py      email over SMTP with List-Unsubscribe (RFC 2369) and one-click (RFC 8058)
    outbox.py    the default: messages stay in the receiver's outbox table
    settings.py  from_settings(): the senders from optin.toml [receiver.<channel>]
"""
from .base import DEFERRED, FAILED, OUTBOX, SENT, SUPPRESSED, UNSUPPORTED, Delivery, Retry, Sender
from .settings import SenderSettingsError, Senders, from_settings

__all__ = ["DEFERRED", "FAILED", "OUTBOX", "SENT", "SUPPRESSED", "UNSUPPORTED", "Delivery", "Retry",
           "Sender", "SenderSettingsError", "Senders", "from_settings"]
