"""The business's contact card (vCard 3.0, RFC 2426: what phones' contact apps import best),
written at build time next to the campaign's pages; the thanks and confirmed pages link it."""
from __future__ import annotations

from pathlib import Path

from generator.campaign import contact_card
from generator.campaign.model import Campaign

FILE = "contact.vcf"


def _text(value: str) -> str:
    """A vCard text value: backslash, comma, semicolon and line breaks escaped."""
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return " ".join(value.splitlines())


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after CRLF and a space."""
    out, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def card(campaign: Campaign) -> str:
    name = _text(campaign.brand_name)
    lines = ["BEGIN:VCARD", "VERSION:3.0", "N:;;;;", f"FN:{name}", f"ORG:{name}",
             f"TEL;TYPE=CELL:{campaign.whatsapp_number}"]
    if campaign.base_url:
        lines.append(f"URL:{campaign.base_url}/{campaign.id}/")
    lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)


def offer(campaign: Campaign) -> dict | None:
    """What the pages show: the number as text and the card's file, or None without a number."""
    if not campaign.whatsapp_number or not any(p.channel == "whatsapp" for p in campaign.purposes):
        return None
    return {"number": contact_card.shown(campaign.whatsapp_number), "file": FILE}


def write(campaign: Campaign, site: Path) -> None:
    if offer(campaign):
        target = site / campaign.id / FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(card(campaign).encode("utf-8"))
