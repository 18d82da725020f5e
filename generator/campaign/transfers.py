"""Transfers abroad as data: which basis a campaign may claim for which recipient.

GDPR (Chapter V) for a controller the GDPR applies to: an adequacy decision (Art. 45) is a
*transfer basis*, valid only for the countries on the Commission's list; the EU–US Data Privacy
Framework covers only certified organisations in the United States; standard contractual
clauses (Art. 46(2)(c)) are a *safeguard*, the only kind people can ask a copy of (Art. 13(1)(f)).
A Malaysian controller transfers under PDPA 2010 s.129 (as amended in 2024) instead: EU
instruments are no basis there. Nothing is defaulted: a recipient abroad without a basis the
campaign states fails the build.
"""
from __future__ import annotations

from generator.campaign import vocab
from generator.errors import Problem

N_ = vocab.N_

# Countries with an adequacy decision of the European Commission (Art. 45 GDPR, or Art. 25(6)
# of Directive 95/46/EC, kept in force by Art. 45(9)), with the decision (list and references
# as of December 2026; the UK's renewal of 19 December 2025 runs to 2031). They apply in Norway,
# Iceland and Liechtenstein once the EEA Joint Committee has taken them into the EEA Agreement
# (for Brazil's, adopted on 26 January 2026, an EEA/EFTA draft was sent in May 2026). The
# United States is not here: only organisations certified under the Data Privacy Framework are
# covered (`dpf`).
ADEQUACY = {
    "AD": "Commission Decision 2010/625/EU",
    "AR": "Commission Decision 2003/490/EC",
    "BR": "Commission Implementing Decision (EU) 2026/179",
    "CA": "Commission Decision 2002/2/EC (commercial organisations under PIPEDA)",
    "FO": "Commission Decision 2010/146/EU",
    "GG": "Commission Decision 2003/821/EC",
    "IL": "Commission Decision 2011/61/EU",
    "IM": "Commission Decision 2004/411/EC",
    "JP": "Commission Implementing Decision (EU) 2019/419",
    "JE": "Commission Decision 2008/393/EC",
    "KR": "Commission Implementing Decision (EU) 2022/254",
    "NZ": "Commission Implementing Decision 2013/65/EU",
    "CH": "Commission Decision 2000/518/EC",
    "GB": "Commission Implementing Decision (EU) 2021/1772, renewed on 19 December 2025 until 27 December 2031",
    "UY": "Commission Implementing Decision 2012/484/EU",
}
DPF_DECISION = "Commission Implementing Decision (EU) 2023/1795"

# GDPR bases (`transfer:`): the sentence the notice prints after "Transfer basis:".
GDPR_BASES = {
    "adequacy": N_("an adequacy decision of the European Commission for this country (%(decision)s)"),
    "dpf": N_("the European Commission's adequacy decision for organisations certified under the "
              "EU–US Data Privacy Framework (%(decision)s)"),
    "scc": N_("the European Commission's standard contractual clauses (GDPR Article 46(2)(c))"),
}
SAFEGUARDS = frozenset({"scc"})  # Art. 46 safeguards: people may ask for a copy

# PDPA 2010 s.129 grounds (`pdpa_transfer:`) for a Malaysian controller.
PDPA_GROUNDS = {
    "similar_law": N_("the law there is substantially similar to the Personal Data Protection Act 2010, "
                      "or ensures a level of protection at least equivalent to it (section 129)"),
    "due_diligence": N_("we have taken all reasonable precautions and exercised all due diligence, "
                        "including a written contract with the recipient, so that your data is not "
                        "processed there in a way that would breach the Personal Data Protection Act "
                        "2010 (section 129(3)(f))"),
    "consent": N_("your consent to this transfer (section 129(3)(a) of the Personal Data Protection "
                  "Act 2010)"),
}


def gdpr_applies(country: str, locales) -> bool:
    """The GDPR applies to an EEA controller, and to one outside the EEA whose pages are in an
    EEA language (offering to people in the EEA, Art. 3(2)(a)). English alone does not count:
    it is a lingua franca (and the second language of every ms page)."""
    return country in vocab.EEA or any(loc.split("_")[0] in vocab.EEA_LANGUAGES for loc in locales)


def basis_text(t, basis: str, country: str) -> str:
    """The translated "Transfer basis:" sentence of a GDPR basis for a recipient in `country`."""
    decision = DPF_DECISION if basis == "dpf" else ADEQUACY.get(country, "")
    return t.ugettext(GDPR_BASES[basis]) % {"decision": decision}


def destinations(data: dict) -> list[tuple[tuple, tuple, dict]]:
    """(key path, path of the line to report, provider mapping) for every recipient: the hosts of
    the website and the receiver (`hosting:`), then for the campaign's used channels its
    providers, the default ones for channels it leaves out (reported at the first purpose using
    the channel), and their `hosting`."""
    providers = data.get("providers") if isinstance(data.get("providers"), dict) else {}
    purposes = data.get("purposes") if isinstance(data.get("purposes"), list) else []
    hosts = data.get("hosting") if isinstance(data.get("hosting"), dict) else {}
    first = {}
    for i, p in enumerate(purposes):
        if isinstance(p, dict):
            first.setdefault(p.get("channel"), ("purposes", i, "channel"))
    out = [(("hosting", role), ("hosting", role), hosts[role]) for role in vocab.HOSTS
           if isinstance(hosts.get(role), dict)]
    for channel in vocab.CHANNELS:
        given = providers.get(channel)
        provider = given if isinstance(given, dict) else vocab.DEFAULT_PROVIDERS.get(channel)
        if not provider or not (isinstance(given, dict) or channel in first):
            continue
        where = ("providers", channel)
        at = where if isinstance(given, dict) else first[channel]
        out.append((where, at, provider))
        if isinstance(provider.get("hosting"), dict):
            hosting = {"pdpa_transfer": provider.get("pdpa_transfer"), **provider["hosting"]}
            out.append((where + ("hosting",), at + ("hosting",) if at == where else at, hosting))
    return out


def check(data: dict, file: str, line) -> list[Problem]:
    """Every transfer basis claimed or missing, checked against the controller's law."""
    juris = data.get("jurisdiction") if isinstance(data.get("jurisdiction"), dict) else {}
    country = juris.get("country")
    locales = data.get("locales") if isinstance(data.get("locales"), list) else []
    if not isinstance(country, str):
        return []
    gdpr, malaysia = gdpr_applies(country, [x for x in locales if isinstance(x, str)]), country == "MY"
    out: list[Problem] = []
    for where, at, provider in destinations(data):
        given = at == where  # else optin's default provider, reported at the purpose using it
        kind = "host" if where[0] == "hosting" else "provider"
        dest, name = provider.get("country"), provider.get("name") or f"the {where[1]} {kind}"
        if not isinstance(dest, str):
            continue
        claimed = "transfer" if "transfer" in provider or "safeguard" not in provider else "safeguard"
        basis, key = provider.get(claimed), ".".join(map(str, where))
        here = line(at + (claimed,) if given else at)
        if basis and not (gdpr and dest not in vocab.EEA):
            if not given:  # a default's basis: used only where the GDPR applies
                why = ""
            elif dest in vocab.EEA:
                why, hint = f"{name} is in the EEA: there is no transfer to give a basis for", "remove it"
            else:
                why = ("the GDPR does not apply to this controller (not in the EEA, no page in an EEA "
                       "language): EU instruments are no basis for its transfers")
                hint = f"remove it and give `pdpa_transfer:` ({', '.join(PDPA_GROUNDS)})" if malaysia else "remove it"
            if why:
                out.append(Problem(file, here, f"{key}.{claimed}", why, hint))
        elif gdpr and dest not in vocab.EEA:
            out += _gdpr(basis, dest, name, file, here, f"{key}.{claimed}")
        ground = provider.get("pdpa_transfer")
        ground_line = line(at + ("pdpa_transfer",) if given else at)
        if malaysia and dest != "MY" and ground not in PDPA_GROUNDS:
            out.append(Problem(file, ground_line, f"{key}.pdpa_transfer",
                               f"{name} is outside Malaysia: the notice must name the PDPA 2010 s.129 "
                               "ground for the transfer (EU instruments are no basis for a Malaysian controller)",
                               f"set `pdpa_transfer:` to one of {', '.join(PDPA_GROUNDS)}"))
        elif ground and not (malaysia and dest != "MY"):
            out.append(Problem(file, ground_line, f"{key}.pdpa_transfer",
                               "a PDPA s.129 ground is only for a Malaysian controller's transfer out of Malaysia",
                               "remove it"))
    return out


def stated(campaign) -> list[tuple[str, str, object]]:
    """(law, where, recipient) for every transfer the notice and the record state, in the
    notice's order: `where` is the host's role (website, receiver) or the channel; law `pdpa`
    for a Malaysian controller's transfer out of Malaysia, `gdpr` outside the EEA where the GDPR
    applies. The bases were checked at load (check above): none is assumed here."""
    places = [(role, host) for role, host in campaign.hosts.items()]
    places += [(ch, place) for ch in campaign.channels if ch in campaign.providers
               for place in campaign.providers[ch].places]
    out = []
    for where, place in places:
        if campaign.malaysia and place.country != "MY" and place.pdpa_transfer:
            out.append(("pdpa", where, place))
        if campaign.gdpr and place.outside_eea and place.transfer:
            out.append(("gdpr", where, place))
    return out


def _gdpr(basis, dest: str, name: str, file: str, line, key: str) -> list[Problem]:
    choices = ", ".join(GDPR_BASES)
    if not basis:
        return [Problem(file, line, key, f"{name} is outside the EEA ({dest}): the notice must name the "
                        "transfer basis (GDPR Art. 13(1)(f)); none is assumed",
                        f"add `transfer:` ({choices}; dpf only for a US organisation certified under "
                        "the Data Privacy Framework)")]
    if basis == "dpf" and dest != "US":
        return [Problem(file, line, key, f"the EU–US Data Privacy Framework covers only US organisations, "
                        f"not {name} in {dest}", "use `scc`, or `adequacy` if the country has an adequacy decision")]
    if basis == "adequacy" and dest not in ADEQUACY:
        hint = ("for the United States only DPF-certified organisations are covered: `dpf` "
                "(check dataprivacyframework.gov) or `scc`") if dest == "US" else "use `scc`"
        return [Problem(file, line, key, f"{dest} has no adequacy decision of the European Commission "
                        f"(countries with one: {', '.join(sorted(ADEQUACY))})", hint)]
    return []
