"""The fixed statements of the record of processing: legal bases per processing operation and
optin's own technical and organisational measures.

Each measure here is true of the code as shipped (the module that does it is named in the
comment); what depends on the operator (TLS, hosting, access to the server, backups, running
the purge) is not a measure of optin and is listed in the record as something to complete.
Written in English for legal: the record is a document about the processing, not shown to the
people who sign up.
"""
from __future__ import annotations

GDPR, PDPA = "GDPR", "PDPA 2010"

# Data categories: id -> what it is. Contact fields first (vocab.FIELDS order).
CATEGORIES = {
    "phone": "Mobile phone number (E.164)",
    "email": "Email address",
    "name": "Name",
    "birthday": "Date of birth",
    "consent_record": ("Consent record: record id, times, purposes, notice and wording version shown, locale, "
                       "page address, method (form or script), the browser's clock time, and a keyed "
                       "pseudonym of each contact (HMAC-SHA256)"),
    "messages": ("Messages about the consent: the text sent (with the confirmation link and code), delivery "
                 "status and the provider's message id"),
    "withdrawal_evidence": ("With each withdrawal: the network of the browser's address (IPv4 /24, IPv6 /48) "
                            "and its user agent (at most 200 characters)"),
    "client_address": "IP address of the browser (rate limits; not written to the ledger)",
}

BASES = {
    "messages": {
        GDPR: "Consent: GDPR Art. 6(1)(a), given per purpose as Art. 7 requires (double opt-in)",
        PDPA: "Consent: PDPA 2010 s.6(1); the right to stop direct marketing, s.43",
    },
    "consent_messages": {
        GDPR: ("Legitimate interest, GDPR Art. 6(1)(f), in these checks: messages go only to people who really "
               "asked for them, nobody is signed up by someone else, and the person knows the stop word worked"),
        PDPA: "Consent, given by sending the sign-up form: PDPA 2010 s.6(1)",
    },
    "proof": {
        GDPR: ("Legal obligation, GDPR Art. 6(1)(c) with Art. 7(1) (being able to demonstrate consent); once "
               "consent has ended, legitimate interest in defending legal claims, Art. 6(1)(f)"),
        PDPA: ("The Personal Data Protection Regulations 2013 (regulation 3): the data controller records "
               "consent and keeps that record"),
    },
    "abuse_prevention": {
        GDPR: ("Legitimate interest, GDPR Art. 6(1)(f): protecting the form, and the people whose numbers or "
               "addresses someone else might enter, from floods of messages and guessed codes (Recital 49)"),
        PDPA: ("Consent, given by sending the sign-up form: PDPA 2010 s.6(1) (the Act has no legitimate-interest "
               "ground)"),
    },
}
CHECK = "Legal to confirm the basis; the privacy notice must state it{interest} (Art. 13(1)(c){d})."
NOTES = {
    "messages": ("Where the messages are marketing, the recipient's country may also require prior consent "
                 "under its marketing law (e.g. Norway markedsføringsloven §15, Germany UWG §7(2), Spain LSSI "
                 "art. 21); every message says how to stop."),
    "consent_messages": ("The texts are optin's own (what was asked, the link and code, when they expire, how "
                         "to stop): no advertising. " + CHECK.format(interest=" and the interest", d=", (d)")),
    "proof": ("Kept after the contact details are deleted, linked to the person only by the pseudonym. "
              + CHECK.format(interest=" and the interest", d=", (d)")),
    "abuse_prevention": CHECK.format(interest=" and the interest", d=", (d)"),
}
OPERATIONS = {
    "consent_messages": ("Consent messages: one confirmation request to the contact entered (link and code, "
                         "double opt-in), the message that the sign-up is confirmed, and the reply to an opt-out"),
    "proof": ("Proof of consent: when and how each consent was asked, given, refused or withdrawn, and which "
              "notice and wording versions the person saw; for a withdrawal also where it came from"),
    "abuse_prevention": ("Abuse prevention: requests counted per browser address and confirmation messages per "
                         "contact, to rate-limit them; a hidden honeypot field drops sign-ups by bots"),
}

# optin's own measures (Art. 30(1)(g), Art. 32), each true of the shipped code.
MEASURES = [
    # campaign/model.py (Purpose.needs), receiver/payload.py
    ("Data minimisation: the form asks only for the fields the chosen purposes need (phone for WhatsApp "
     "and SMS, email for email, name or date of birth only where a purpose lists them); the receiver "
     "keeps no other field."),
    # receiver/flows.py, receiver/tokens.py
    ("Double opt-in: nothing but the confirmation request is sent before the person confirms by link or "
     "code; links and codes are random, single-use and expire, and only their digests are stored."),
    # receiver/proof.py
    ("Pseudonyms: each consent record keeps an HMAC-SHA256 pseudonym of its contacts; the key is never in "
     "the database (OPTIN_LEDGER_KEY or a key file, created with mode 0600)."),
    # receiver/ledger_schema.py, receiver/proof.py
    ("Tamper evidence: the database refuses every change to consent records and events (triggers) except "
     "erasure's blanking and the purge's removal at the end of the proof period, which keeps each event's "
     "hashes; the events form a SHA-256 hash chain, and `optin ledger verify` names the first changed, deleted "
     "or inserted event."),
    # receiver/retention.py, receiver/backend.py
    ("Erasure: `optin ledger erase` and `optin ledger purge` blank the contact details and delete the "
     "messages sent to them; on SQLite with secure_delete and a truncated write-ahead log, so the bytes "
     "leave the files (on PostgreSQL the tables are vacuumed; old bytes may stay on disk until reused)."),
    # receiver/export.py (access)
    ("Access requests: `optin ledger access` prints everything stored about one person (Art. 15), found by "
     "the contact or, after erasure, by its pseudonym."),
    # receiver/ratelimit.py, receiver/flows.py
    ("Rate limits per browser address, per contact and on wrong codes; a honeypot field for bots; request "
     "bodies limited to 16 KB."),
    # receiver/hooks.py, receiver/webhooks.py
    ("Provider webhooks (replies, delivery status) are accepted only with a valid signature "
     "(X-Hub-Signature-256, X-Twilio-Signature)."),
    # receiver/senders/settings.py
    "Provider credentials are read only from environment variables, never from campaign or project files.",
    # check/rules/web.py
    ("The pages load nothing from other origins, run no inline code and set a strict Content-Security-Policy; "
     "`optin check` fails a site that does not."),
    # legal/archive.py, legal/approval.py
    ("Accountability: every published notice version is archived (campaigns/<id>.notices/) and each consent "
     "record names the notice and wording version shown; legal's approvals are recorded with name and date."),
]
