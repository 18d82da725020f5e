"""DPIA screening of a campaign: the nine criteria of the WP29 guidelines on DPIA (WP248 rev.01,
endorsed by the EDPB), each with what the campaign says about it, as a checklist for legal.

Never a verdict: a criterion is `applies` or `does_not_apply` only when the campaign answers it
(`dpia.<criterion>: true|false`) or when optin's own behaviour settles it (e.g. no automated
decisions), and `unknown` otherwise, with the question legal must answer. The guidelines' rule
of thumb (a DPIA is likely required when two or more apply) is printed, not applied.
"""
from __future__ import annotations

from datetime import date

from generator import __version__
from generator.campaign import vocab
from generator.campaign.model import Campaign
from generator.legal import record

FORMAT, VERSION, THRESHOLD = "optin-dpia-screening", 1, 2
RULE = ("WP248 rev.01: in most cases a DPIA is likely required when two or more criteria apply; one may be "
        "enough in some cases, and a processing meeting two may still be judged unlikely to result in a high "
        "risk, if the reasons are documented.")
CRITERIA = {  # id -> (title, the question legal answers when the campaign does not)
    "evaluation": ("Evaluation or scoring, including profiling and predicting",
                   "Will the messages be targeted by evaluating people (segments, purchase history, predicted interests)?"),
    "automated_decision": ("Automated decision-making with legal or similar significant effect",
                           "Does any decision with legal or similarly significant effects follow automatically?"),
    "systematic_monitoring": ("Systematic monitoring",
                              "Are people observed systematically: opens, clicks, location or behaviour tracked per person?"),
    "sensitive_data": ("Sensitive data or data of a highly personal nature",
                       "Do the data or the topics reveal special categories (Art. 9) or highly personal matters?"),
    "large_scale": ("Data processed on a large scale",
                    "Is it large-scale: number of people, volume of data, duration, geographic reach?"),
    "matching": ("Matching or combining datasets",
                 "Will the sign-ups be combined with other datasets (CRM, loyalty programme, purchases)?"),
    "vulnerable_subjects": ("Data concerning vulnerable data subjects",
                            "Does the campaign address or likely reach children or other vulnerable people?"),
    "innovative_technology": ("Innovative use or applying new technological or organisational solutions",
                              "Is any new technology used, or an established one in a new way?"),
    "prevents_rights": ("The processing itself prevents people from exercising a right or using a service or contract",
                        "Does refusing or withdrawing consent cost the person a right, a service or a contract?"),
}
SENDS = ("optin collects consent and sends only the consent messages; the messages themselves go out from the "
         "controller's own tools, which the campaign does not describe.")


def _facts(campaign: Campaign, project_ids: list[str]) -> dict[str, tuple[str | None, list[str]]]:
    """criterion -> (status optin's behaviour settles, or None; facts from the campaign)."""
    fields = [f for f, ids in campaign.needed_by.items() if ids]
    custom = [p.id for p in campaign.purposes if p.wording]
    longest = max(p.retention_months for p in campaign.purposes)
    expected = record.declared(campaign, "dpia").get("expected_subjects")
    others = [cid for cid in project_ids if cid != campaign.id]
    channels = ", ".join(vocab.CHANNEL_NAMES[ch] for ch in campaign.channels)  # English msgids
    return {
        "evaluation": (None, [SENDS] + (["The date of birth is asked only to time a birthday message."]
                                        if "birthday" in fields else [])),
        "automated_decision": ("does_not_apply", [
            "optin decides nothing about people: it records the choices they make and sends what they asked for.",
            ("Every privacy notice states that no automated decisions with legal or similarly significant effects "
            "are made (section #automated).")]),
        "systematic_monitoring": (None, [
            SENDS, "The consent pages load nothing from other origins and set no cookies or tracking scripts.",
            "optin records the delivery status of its consent messages (sent, delivered, read, failed) per message."]),
        "sensitive_data": ("does_not_apply" if not custom else None, [
            (f"Data collected: {', '.join(fields)}; standard topics: "
            f"{', '.join(f'`{p.key}`' for p in campaign.purposes if p.key) or 'none'}."),
            *([f"Purposes with their own wording (check the topic reveals no special category): {', '.join(custom)}."]
              if custom else []),
            "The business itself may reveal something about its customers (e.g. a pharmacy or clinic): legal to check."]),
        "large_scale": (None, [
            f"Expected sign-ups: {expected}." if expected is not None
            else "The campaign declares no expected number of sign-ups (`dpia.expected_subjects`).",
            (f"Pages in {len(campaign.locales)} languages ({', '.join(campaign.locales)}); channels: "
            f"{channels}; contact details kept up to {longest} months, proof "
            f"{campaign.proof_years} years after consent ends.")]),
        "matching": (None, [
            SENDS, "The ledger holds only what the sign-up pages collect.",
            *([(f"The project's ledger also holds {', '.join(others)}: `optin ledger access` and `erase` find a person "
               "across campaigns by contact, for rights requests only.")] if others else [])]),
        "vulnerable_subjects": (None, [
            (f"The pages say people may sign up on their own from the age of {campaign.minimum_age} (`minimum_age`); "
            "optin does not verify age."),
            *(["Malaysia: under 18 only through a parent or guardian."] if campaign.malaysia else [])]),
        "innovative_technology": ("does_not_apply", [
            f"A web form, double opt-in by link or code, and messages by {channels}: established technology."]),
        "prevents_rights": ("does_not_apply", [
            ("Signing up is voluntary: the notice states that without it nothing else changes and the person can "
            "still buy (section #requirement); withdrawing is as easy as consenting.")]),
    }


def _law(campaign: Campaign) -> list[str]:
    out = []
    if campaign.gdpr:
        out.append(f"GDPR Art. 35 applies ({record.law(campaign)['gdpr_scope']}).")
    else:
        out.append("The GDPR does not apply (no EEA establishment, no page in an EEA language): there is no "
                   "Art. 35 duty; the screening is shown as good practice.")
    if campaign.malaysia:
        out.append("The PDPA 2010 (as amended in 2024) has no DPIA duty like GDPR Art. 35: legal to confirm "
                   "against the Commissioner's current guidelines.")
    if campaign.gdpr:
        a = campaign.authority
        if campaign.country in vocab.EEA:
            out.append("Check the supervisory authority's list of processing that needs a DPIA (Art. 35(4)): "
                       f"{a.name}, {a.url}.")
        else:  # no establishment in the EEA: no lead authority, each one concerned may act
            out.append("Check the lists of processing that needs a DPIA (Art. 35(4)) of the supervisory "
                       "authorities of the EEA countries whose people the pages address.")
    return out


def screening(campaign: Campaign, project_ids: list[str], locales) -> dict:
    """One campaign's screening; `project_ids`: every campaign of the project (they share its ledger)."""
    criteria = []
    for number, (cid, (status, facts)) in enumerate(_facts(campaign, project_ids).items(), 1):
        title, question = CRITERIA[cid]
        declared = record.declared(campaign, "dpia").get(cid)
        if isinstance(declared, bool):
            status, source = ("applies" if declared else "does_not_apply"), "campaign"
            reason = f"declared in the campaign: `dpia.{cid}: {str(declared).lower()}`"
        elif status:
            source, reason = "optin", facts[0]
        else:
            status, source, reason = "unknown", "none", "not in the campaign: legal's answer needed"
        criteria.append({"number": number, "id": cid, "title": title, "status": status, "source": source,
                         "reason": reason, "question": question, "facts": facts})
    counts = {s: sum(c["status"] == s for c in criteria) for s in ("applies", "does_not_apply", "unknown")}
    t = locales.translations("en")
    transfers = [f"{x['recipient']} ({x['country']}), {x['law']}: `{x['basis']}`"
                 for x in record.transfer_list(campaign, t)]
    return {"id": campaign.id, "brand": campaign.brand_name, "controller": campaign.controller.name,
            "country": campaign.country, "law": _law(campaign), "criteria": criteria, "counts": counts,
            "threshold": THRESHOLD, "rule": RULE,
            "other_factors": {"transfers": transfers, "channels": campaign.channels,
                              "processors": [r["name"] for r in record.recipients(campaign)]}}


def build(campaigns: list[Campaign], locales, project_ids: list[str] | None = None, today: date | None = None) -> dict:
    return {"format": FORMAT, "version": VERSION, "generated": (today or date.today()).isoformat(),
            "tool": f"optin {__version__}", "rule": RULE,
            "campaigns": [screening(c, project_ids or [c.id for c in campaigns], locales) for c in campaigns]}


def markdown(document: dict) -> str:
    from generator.legal.record_render import markdown_env

    return markdown_env().get_template("dpia.md").render(d=document)
