"""What a withdrawal keeps beside its event (table `event_evidence`): where it came from, cut
down so it identifies no one by itself. The client address is truncated to its network (IPv4
/24, IPv6 /48) and the user agent to 200 characters; the method (form, link, one-click,
reply keyword) is the event's own `method`. It lets the controller see a burst of
withdrawals from one network or one script, and answer someone who says "that wasn't me".
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

UA_MAX = 200
PREFIX = {4: 24, 6: 48}


@dataclass(frozen=True)
class Evidence:
    address: str | None
    user_agent: str | None


def network(address: str | None) -> str | None:
    """'203.0.113.7' -> '203.0.113.0/24'; '2001:db8:1:2::5' -> '2001:db8:1::/48'; else None."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ipaddress.ip_network(f"{ip}/{PREFIX[ip.version]}", strict=False))


def of_request(request) -> Evidence:
    agent = "".join(ch for ch in request.headers.get("User-Agent", "") if ch.isprintable())[:UA_MAX]
    return Evidence(network(request.remote_addr), agent or None)


def add(db, event_id: int, evidence: Evidence | None) -> None:
    if evidence is not None:
        db.execute("INSERT INTO event_evidence (event_id, address, user_agent) VALUES (?, ?, ?)",
                   (event_id, evidence.address, evidence.user_agent))


def of_event(db, event_id: int) -> Evidence | None:
    row = db.execute("SELECT address, user_agent FROM event_evidence WHERE event_id = ?", (event_id,)).fetchone()
    return Evidence(row["address"], row["user_agent"]) if row else None
