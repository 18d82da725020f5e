"""What a privacy notice must contain, checked on the rendered notice (notices.py): the
sections of GDPR Art. 13 / PDPA s.7 and the marked items inside them, per jurisdiction."""
from __future__ import annotations

# Each required item is a section whose heading carries this id ({#id} in the Markdown).
REQUIRED_SECTIONS = {
    "controller": "controller identity and contact (Art. 13(1)(a))",
    "purposes": "purposes and legal basis (Art. 13(1)(c))",
    "recipients": "recipients or categories of recipients (Art. 13(1)(e))",
    "transfers": "transfers outside the EEA and their basis (Art. 13(1)(f))",
    "retention": "retention period (Art. 13(2)(a))",
    "rights": "data subject rights (Art. 13(2)(b))",
    "withdraw": "right to withdraw consent and how (Art. 13(2)(c))",
    "complaint": "right to complain to the supervisory authority (Art. 13(2)(d))",
    "requirement": "whether providing the data is required (Art. 13(2)(e))",
    "automated": "automated decision-making (Art. 13(2)(f))",
}
# Items inside a section: a block with class "item-<name>" and some text in it.
REQUIRED_ITEMS = {
    "purposes": {
        "legal-basis": "the legal basis of the messages chosen: consent (GDPR Art. 6(1)(a); PDPA s.6)",
        "basis-confirmation": "the basis of the one confirmation message (Art. 6(1)(f), the interest named)",
        "basis-proof": "the basis of keeping the proof of consent, also after a withdrawal (Art. 6(1)(c) "
                       "with 7(1), Art. 6(1)(f); PDP Regulations 2013)",
        "basis-abuse": "the basis of abuse prevention with network addresses (Art. 6(1)(f), the interest named)",
        "data": "the personal data collected (PDPA s.7(1)(a))",
        "source": "where the data comes from (PDPA s.7(1)(c))",
    },
    "rights": {
        "right-access": "the right of access",
        "right-rectification": "the right to rectification",
        "right-erasure": "the right to erasure",
        "right-restriction": "the right to restriction of processing",
        "right-objection": "the right to object",
        "right-portability": "the right to data portability",
        "object-marketing": "the right to object to direct marketing, stated separately (Art. 21(4))",
    },
    "withdraw": {
        "withdraw-any-time": "that consent can be withdrawn at any time",
        "withdraw-lawfulness": "that withdrawing does not affect processing before it (Art. 7(3))",
        "withdraw-how": "how to withdraw (with a link to the withdraw page)",
    },
    "requirement": {
        "voluntary": "that providing the data is voluntary",
        "consequence": "what happens if the data is not provided",
        "age": "from which age a person may sign up (GDPR Art. 8 as set nationally; PDPA: 18)",
    },
    "automated": {"automated": "whether there is automated decision-making, including profiling"},
}
# A Malaysian controller lists the rights of the PDPA 2010 (as amended 2024) with their
# sections; GDPR rights are then extra (required only where the GDPR applies, Art. 3(2)).
PDPA_RIGHTS = {
    "pdpa-access": "the right of access (PDPA s.30)",
    "pdpa-correction": "the right to correction (PDPA s.34)",
    "pdpa-withdraw": "the right to withdraw consent (PDPA s.38)",
    "pdpa-damage": "the right to prevent processing likely to cause damage or distress (PDPA s.42)",
    "pdpa-marketing": "the right to prevent processing for direct marketing (PDPA s.43)",
    "pdpa-portability": "the right to data portability (PDPA s.43A)",
    "enquiries": "whom to contact with enquiries or complaints (PDPA s.7(1)(d))",
}


def required_items(context: dict) -> dict[str, dict[str, str]]:
    """The marked items a notice must have for its campaign: the PDPA rights for a Malaysian
    controller, the GDPR rights wherever the GDPR applies (or no other law is known)."""
    out = {key: dict(value) for key, value in REQUIRED_ITEMS.items()}
    if context.get("malaysia"):
        rights = dict(PDPA_RIGHTS)
        if context.get("gdpr"):
            rights.update(REQUIRED_ITEMS["rights"])
        out["rights"] = rights
    return out
