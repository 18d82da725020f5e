"""The record of processing (GDPR Art. 30(1)) of each campaign and of the whole project, as data.

Everything comes from the campaign model the notice and the receiver use: the purposes and the
fields they need (`Campaign.needed_by`), the retention values (`retention_months`,
`unconfirmed_days`, `proof_years`: the notice states them and the ledger purge applies them),
the hosts (`hosting:`), the providers and the transfer bases of campaign/transfers.py. The
measures are optin's own (record_text.MEASURES) plus the campaign's `record.measures` as
declared; what neither can show is listed under `to_complete`. The shape is schema/record.schema.json.
"""
from __future__ import annotations

import json
from datetime import date
from importlib import resources
from pathlib import Path

from generator import __version__
from generator.campaign import transfers, vocab
from generator.campaign.model import Campaign, Contact, Provider
from generator.legal import record_text as text
from generator.legal.record_text import GDPR, PDPA

FORMAT, VERSION = "optin-record", 1
# A purpose whose topic is not marketing gets no marketing-law note.
SERVICE_TOPICS = frozenset({"order_updates", "reminders"})


def declared(campaign: Campaign, block: str) -> dict:
    """The campaign's `record:` or `dpia:` mapping (empty when not given)."""
    return campaign.legal_facts.get(block, {})


def schema() -> dict:
    """The JSON Schema of the record (shipped in the package)."""
    return json.loads(resources.files("generator.legal").joinpath("schema/record.schema.json").read_text("utf-8"))


def laws(campaign: Campaign) -> list[str]:
    """The laws the record is kept under, the controller's own first."""
    out = [PDPA] if campaign.malaysia else []
    if campaign.gdpr:
        out.append(GDPR)
    if not out or not (campaign.malaysia or campaign.country in vocab.EEA):
        out.append(f"the law of {campaign.country} (not modelled by optin)")
    return out


def law(campaign: Campaign) -> dict:
    eea = campaign.country in vocab.EEA
    offered = [loc for loc in campaign.locales if loc.split("_")[0] in vocab.EEA_LANGUAGES]
    if eea:
        scope = f"Art. 3(1): the controller is established in the EEA ({campaign.country})"
    elif campaign.gdpr:
        scope = (f"Art. 3(2)(a): the pages in {', '.join(offered)} offer the messages to people in the EEA; "
                 "Art. 27 (representative) and Art. 77 (complaint where they live or work) apply")
    else:
        scope = None
    if campaign.gdpr:
        record = ("The record of processing activities of GDPR Art. 30(1). The exemption of Art. 30(5) "
                  "(fewer than 250 employees) does not cover processing that is not occasional, as a "
                  "standing sign-up list is.")
    else:
        record = "The GDPR does not apply (no EEA establishment, no page in an EEA language): this is no Art. 30 record."
    if campaign.malaysia:
        record += (" Under the PDPA 2010 a record of processing is not a statutory term: it requires notice and "
                   "choice (s.7) and a record of consents (Personal Data Protection Regulations 2013, kept by the "
                   "ledger); this document lists the facts of both.")
    notes = []
    if campaign.gdpr and not eea:
        notes.append("Data people in the EEA give directly to the controller outside the EEA is collected under "
                     "Art. 3(2), not transferred (EDPB Guidelines 05/2021); the transfers listed are onward ones "
                     "to the recipients.")
    a = campaign.authority
    return {"laws": laws(campaign), "gdpr": campaign.gdpr, "gdpr_scope": scope, "pdpa": campaign.malaysia,
            "record": record, "notes": notes,
            "authority": {"name": a.name, "url": a.url, "country": a.country}}


def _contact(c: Contact | None) -> dict | None:
    return None if c is None else {"name": c.name, "email": c.email, "address": c.address or None,
                                   "country": c.country or None}


def controller(campaign: Campaign) -> dict:
    c = campaign.controller
    return {"name": c.name, "address": c.address, "email": c.email, "phone": c.phone or None,
            "country": campaign.country}


def topic(t, campaign: Campaign, p) -> str:
    if not p.wording:
        return t.ugettext(vocab.PURPOSE_TOPICS[p.key])
    lang = "en" if "en" in p.wording else next(iter(p.wording))
    return p.wording[lang] if lang == "en" else f"{p.wording[lang]} ({lang})"


def _bases(campaign: Campaign, kind: str) -> list[dict]:
    """The basis under each law of the campaign (GDPR and PDPA are modelled, others are not)."""
    return [{"law": name, "basis": text.BASES[kind][name] if name in (PDPA, GDPR)
             else "not modelled by optin: legal to state it"} for name in laws(campaign)]


def contact_fields(campaign: Campaign) -> list[str]:
    return [f for f in ("phone", "email") if campaign.needed_by[f]]


def operations(campaign: Campaign, t) -> list[dict]:
    """Each processing operation with its purpose, data, legal bases and notes."""
    out = []
    for p in campaign.purposes:
        business = {"business": campaign.brand_name, "topic": topic(t, campaign, p)}
        out.append({"id": f"messages:{p.id}", "purpose": p.id, "channel": p.channel,
                    "description": t.ugettext(vocab.CHANNEL_LABELS[p.channel]) % business,
                    "data": list(p.needs), "bases": _bases(campaign, "messages"),
                    "notes": [] if p.key in SERVICE_TOPICS else [text.NOTES["messages"]], "legal_check": False})
    contacts = contact_fields(campaign)
    for kind, data in (("consent_messages", contacts + ["messages"]),
                       ("proof", ["consent_record", "withdrawal_evidence"]),
                       ("abuse_prevention", ["client_address"] + contacts)):
        out.append({"id": kind, "purpose": None, "channel": None, "description": text.OPERATIONS[kind],
                    "data": data, "bases": _bases(campaign, kind), "notes": [text.NOTES[kind]], "legal_check": True})
    return out


def data_categories(campaign: Campaign, ops: list[dict]) -> list[dict]:
    """Only what some operation processes: the contact fields the purposes need, then the rest."""
    out = []
    for cid, name in text.CATEGORIES.items():
        using = [o["id"] for o in ops if cid in o["data"]]
        if using:
            out.append({"id": cid, "name": name, "purposes": campaign.needed_by.get(cid, []), "operations": using})
    return out


def data_subjects(campaign: Campaign, t) -> list[str]:
    """The people who sign up, then the categories the campaign declares (`record.data_subjects`)."""
    channels = ", ".join(t.ugettext(vocab.CHANNEL_NAMES[ch]) for ch in campaign.channels)
    return [(f"People who sign up on the {campaign.brand_name} consent pages ({', '.join(campaign.locales)}) "
            f"for messages by {channels}"), *declared(campaign, "record").get("data_subjects", ())]


def _place(p: Provider | None) -> dict | None:
    return None if p is None else {"name": p.name, "country": p.country}


def recipients(campaign: Campaign) -> list[dict]:
    """The hosts of the website and the receiver (`hosting:`), then each channel's processor.
    The receiver's host takes part in every operation; the website's in none of them (it serves
    the pages: to_complete asks about its logs)."""
    every = [f"messages:{x.id}" for x in campaign.purposes] + ["consent_messages", "proof", "abuse_prevention"]
    out = [{"channel": None, "host": role, "name": h.name, "country": h.country, "role": "processor",
            "dpa": h.dpa or None, "hosting": None, "default": False,
            "operations": every if role == "receiver" else []} for role, h in campaign.hosts.items()]
    for ch in campaign.channels:
        p = campaign.providers.get(ch)
        if p is not None:
            ops = [f"messages:{x.id}" for x in campaign.purposes if x.channel == ch] + ["consent_messages"]
            out.append({"channel": ch, "host": None, "name": p.name, "country": p.country, "role": "processor",
                        "dpa": p.dpa or None, "hosting": _place(p.hosting), "default": ch in campaign.defaulted,
                        "operations": ops})
    return out


def transfer_list(campaign: Campaign, t) -> list[dict]:
    """Every transfer basis the notice states, with the key the campaign gave (transfers.py)."""
    out = []
    for law, where, place in transfers.stated(campaign):
        who = {"recipient": place.name, "country": place.country, "channel": None if where in vocab.HOSTS else where,
               "host": where if where in vocab.HOSTS else None}
        if law == "pdpa":
            out.append({"law": PDPA, **who, "basis": place.pdpa_transfer, "decision": None, "safeguard_copy": False,
                        "text": t.ugettext(transfers.PDPA_GROUNDS[place.pdpa_transfer])})
        else:
            decision = transfers.DPF_DECISION if place.transfer == "dpf" else transfers.ADEQUACY.get(place.country)
            out.append({"law": GDPR, **who, "basis": place.transfer,
                        "decision": decision if place.transfer != "scc" else None,
                        "safeguard_copy": place.transfer in transfers.SAFEGUARDS,
                        "text": transfers.basis_text(t, place.transfer, place.country)})
    return out


def retention(campaign: Campaign) -> list[dict]:
    """The periods the notice states, each with its campaign key; the ledger purge applies them."""
    purge = "the ledger purge (`optin ledger purge`; docs/operator.md)"
    contacts = contact_fields(campaign)
    out = [{"category": f"Contact details for `{p.id}`", "data": list(p.needs), "months": p.retention_months,
            "period": f"{p.retention_months} months from the last confirmation, or until consent ends, whichever "
                      "comes first", "key": f"purposes[{i}].retention_months", "applied_by": purge}
           for i, p in enumerate(campaign.purposes)]
    out.append({"category": "Sign-ups never confirmed", "data": contacts + campaign.extra_fields,
                "days": campaign.unconfirmed_days, "period": f"{campaign.unconfirmed_days} days from the sign-up",
                "key": "unconfirmed_days", "applied_by": purge})
    out.append({"category": "Messages about the consent", "data": ["messages"],
                "period": "deleted with the contact details they were sent to; their delivery status stays with "
                          "the proof", "key": None, "applied_by": purge})
    out.append({"category": "Proof of consent (pseudonymised)", "data": ["consent_record", "withdrawal_evidence"],
                "years": campaign.proof_years, "period": f"{campaign.proof_years} years after the consent ends; "
                "then the record and its events go, leaving only the events' hashes", "key": "proof_years",
                "applied_by": purge})
    out.append({"category": "Rate-limit counters", "data": ["client_address"] + contacts,
                "period": "counted over windows of up to one hour and deleted within two hours (the receiver "
                          "forgets ended windows each minute); not written to the ledger (a PostgreSQL "
                          "ledger's receivers share them in its rate_limits table)", "key": None,
                "applied_by": "the receiver"})
    return out


def measures(campaign: Campaign) -> list[dict]:
    return ([{"measure": m, "source": "optin"} for m in text.MEASURES]
            + [{"measure": m, "source": "campaign"} for m in declared(campaign, "record").get("measures", ())])


def to_complete(campaign: Campaign, recips: list[dict], ops: list[dict]) -> list[str]:
    """What this record cannot know: for legal and the operator to answer."""
    out = []
    for ch in campaign.channels:
        if ch not in campaign.providers:
            out.append(f"No processor is named for {ch}: add `providers.{ch}` (name, country).")
    for r in recips:
        if r["default"]:
            out.append(f"The {r['channel']} processor is optin's default ({r['name']}): confirm it, and give "
                       f"`providers.{r['channel']}`.")
        if not r["dpa"]:
            duty = "GDPR Art. 28(3)" if campaign.gdpr else "PDPA 2010 s.9(2)" if campaign.malaysia else "the law"
            key = f"hosting.{r['host']}" if r["host"] else f"providers.{r['channel']}"
            out.append(f"No data processing agreement is recorded for {r['name']} ({duty}): add "
                       f"`{key}.dpa` with its date.")
    hosts = campaign.hosts
    if "website" in hosts:
        out.append(f"The website's host ({hosts['website'].name}) sees every visitor's IP address: ask what it "
                   "logs and for how long, and confirm the legal basis (no operation of this record covers it).")
    if "receiver" in hosts:
        out.append(f"The ledger database: the notice says the receiver stores the sign-ups on the systems of "
                   f"{hosts['receiver'].name}; if the database runs with another provider (e.g. a managed "
                   "PostgreSQL), that is a further processor the campaign does not name.")
    out.append("TLS on the site and the receiver, access to the server, the ledger and its key, and backups are "
               "the operator's: list them under `record.measures`.")
    out.append("Retention holds only while the ledger purge runs: check with the operator that it does (the "
               "receiver's own schedule, or `optin ledger purge` from cron).")
    out.append("Rate-limit counters: ask the operator how long they stay (in the receiver's memory until it "
               "restarts or newer addresses push them out; on PostgreSQL until an occasional clean-up).")
    checks = ", ".join(f"`{o['id']}`" for o in ops if o["legal_check"])
    out.append(f"Confirm the legal bases of {checks} (see their notes).")
    if campaign.gdpr and campaign.controller.dpo is None:
        out.append("No data protection officer is named: Art. 37(1) requires one for large-scale regular and "
                   "systematic monitoring or special categories; confirm none is needed.")
    if campaign.malaysia:
        out.append("PDPA 2010 s.12A (2024 amendment): check whether the Commissioner's criteria require a data "
                   "protection officer.")
    return out


def campaign_record(campaign: Campaign, locales, root: Path) -> dict:
    t = locales.translations("en")
    ops = operations(campaign, t)
    recips = recipients(campaign)
    try:
        source = str(Path(campaign.source).resolve().relative_to(root.resolve()))
    except ValueError:
        source = str(campaign.source)
    return {"id": campaign.id, "brand": campaign.brand_name, "source": source, "law": law(campaign),
            "controller": controller(campaign), "representative": _contact(campaign.controller.representative),
            "representative_required": campaign.gdpr and campaign.country not in vocab.EEA,
            "dpo": _contact(campaign.controller.dpo), "data_subjects": data_subjects(campaign, t),
            "data_categories": data_categories(campaign, ops), "operations": ops, "recipients": recips,
            "transfers": transfer_list(campaign, t), "retention": retention(campaign),
            "measures": measures(campaign), "to_complete": to_complete(campaign, recips, ops)}


def build(campaigns: list[Campaign], locales, root: Path, today: date | None = None) -> dict:
    """The project's record: its controllers, every processor, and one record per campaign."""
    records = [campaign_record(c, locales, root) for c in campaigns]
    controllers: dict[tuple, dict] = {}
    processors: dict[tuple, dict] = {}
    for rec in records:
        c = rec["controller"]
        controllers.setdefault((c["name"], c["country"]), {**c, "campaigns": []})["campaigns"].append(rec["id"])
        for r in rec["recipients"]:
            own = f"{r['host']} host" if r["host"] else "processor"
            for place, role in ((r, own), (r["hosting"], f"hosting for {r['name']}")):
                if place:
                    entry = processors.setdefault((place["name"], place["country"], role), {
                        "name": place["name"], "country": place["country"], "role": role,
                        "channels": [], "campaigns": []})
                    entry["channels"] += [r["channel"]] if r["channel"] and r["channel"] not in entry["channels"] else []
                    entry["campaigns"] += [rec["id"]] if rec["id"] not in entry["campaigns"] else []
    return {"format": FORMAT, "version": VERSION, "generated": (today or date.today()).isoformat(),
            "tool": f"optin {__version__}", "controllers": list(controllers.values()),
            "processors": list(processors.values()), "campaigns": records}
