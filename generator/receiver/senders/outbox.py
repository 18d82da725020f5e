"""The default sender: nothing leaves the machine. The receiver keeps every message in its outbox
table (as before; `optin serve` shows it at /_outbox), so this adapter writes nothing itself."""
from __future__ import annotations

from .base import OUTBOX, Delivery, Sender


class Outbox(Sender):
    name = "outbox"

    def send(self, message) -> Delivery:
        return Delivery(None, OUTBOX)
