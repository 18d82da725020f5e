"""Campaign model: read a campaign YAML file, validate it, return plain dataclasses.

Knows nothing of Jinja, HTML or Click. All problems in a file are collected and raised at once
as a CampaignError naming file, line and key.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from generator.campaign import colors, contact_card, malaysia
from generator.campaign import transfers, vocab
from generator.campaign import landing
from generator.errors import CampaignError, Problem
from generator.project import Project
from generator.campaign.validate import validate
from generator.campaign.source import read_path
from generator.urls import origin


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    address: str = ""
    country: str = ""  # of the address: named in each page's language


@dataclass(frozen=True)
class Controller:
    name: str
    address: str
    email: str
    phone: str = ""
    dpo: Contact | None = None
    representative: Contact | None = None
    country: str = ""  # of the address (jurisdiction.country)
    designations: dict = field(default_factory=dict)  # locale -> title of the enquiries contact


@dataclass(frozen=True)
class Authority:
    name: str
    url: str
    country: str = ""  # always named: Norway's and Denmark's authorities are both "Datatilsynet"


@dataclass(frozen=True)
class Provider:
    name: str
    country: str
    transfer: str = ""  # GDPR basis outside the EEA: adequacy, dpf, scc (transfers.py)
    pdpa_transfer: str = ""  # PDPA s.129 ground outside Malaysia (Malaysian controller)
    dpa: str = ""  # date of the data processing agreement, when the campaign records one
    hosting: "Provider | None" = None  # where the provider processes the data, when elsewhere

    @property
    def outside_eea(self) -> bool:
        return self.country not in vocab.EEA

    @property
    def places(self) -> list["Provider"]:
        """The provider and its hosting: every recipient the transfer rules apply to."""
        return [self] + ([self.hosting] if self.hosting else [])


@dataclass(frozen=True)
class Purpose:
    id: str
    channel: str
    key: str | None  # standard purpose key, or None when `wording` is given
    wording: dict[str, str]  # locale -> custom topic
    retention_months: int
    fields: tuple[str, ...] = ()  # extra fields the purpose asks for (name, birthday)

    @property
    def needs(self) -> tuple[str, ...]:
        """Every form field this purpose needs: its contact field, then its extra fields."""
        contact = "phone" if self.channel in vocab.PHONE_CHANNELS else "email"
        return (contact, *(f for f in vocab.EXTRA_FIELDS if f in self.fields))


@dataclass(frozen=True)
class Endpoints:
    submit: str
    confirm: str
    withdraw: str
    format: str = "json"

    def origins(self) -> list[str]:
        """Distinct origins of the endpoints, for CSP connect-src/form-action."""
        seen: list[str] = []
        for url in (self.submit, self.confirm, self.withdraw):
            if origin(url) not in seen:
                seen.append(origin(url))
        return seen


@dataclass(frozen=True)
class Campaign:
    id: str
    source: Path
    brand_name: str
    logo: Path | None
    colors: dict[str, str]
    controller: Controller
    country: str
    authority: Authority
    locales: tuple[str, ...]
    default_locale: str
    base_url: str
    endpoints: Endpoints
    purposes: tuple[Purpose, ...]
    opt_out: dict[str, dict[str, str]]  # channel -> language shown (locales + second languages) -> keyword
    providers: dict[str, Provider]
    hosts: dict[str, Provider] = field(default_factory=dict)  # `hosting:` role (vocab.HOSTS) -> host
    notice_extra: dict[str, str] = field(default_factory=dict)
    theme: str = "default"
    # Retention beyond each purpose's months (one source of truth: the notice states them and
    # the receiver's purge applies them): a sign-up never confirmed is deleted after
    # `unconfirmed_days`; the proof of a consent (when, which texts; no contact details) is kept
    # `proof_years` after it ends, to defend legal claims (GDPR Art. 17(3)(e)).
    unconfirmed_days: int = vocab.DEFAULT_UNCONFIRMED_DAYS
    proof_years: int = vocab.DEFAULT_PROOF_YEARS
    minimum_age: int = vocab.DEFAULT_MINIMUM_AGE  # stated on the pages (GDPR Art. 8; PDPA: 18)
    stop_within_hours: int = vocab.DEFAULT_STOP_WITHIN_HOURS  # the withdraw page's promise
    marketing_prefix: dict[str, str] = field(default_factory=dict)  # locale -> word (LSSI art. 20)
    whatsapp_number: str = ""  # E.164; the pages offer it as a contact card (contact_card.py)
    defaulted: tuple[str, ...] = ()  # channels whose provider is optin's default, not the campaign's
    legal_facts: dict = field(default_factory=dict)  # `record:` and `dpia:` as given, for legal/record, dpia
    id_line: int = field(default=1, compare=False)  # line of `id:` in the source, for errors
    page: landing.Page = field(default_factory=landing.Page, compare=False)  # `page:` copy (landing.py)

    @property
    def gdpr(self) -> bool:
        """The GDPR applies: an EEA controller, or pages in an EEA language (Art. 3(2)(a))."""
        return transfers.gdpr_applies(self.country, self.locales)

    @property
    def malaysia(self) -> bool:
        return self.country == "MY"

    @property
    def channels(self) -> list[str]:
        return [c for c in vocab.CHANNELS if any(p.channel == c for p in self.purposes)]

    @property
    def needs_phone(self) -> bool:
        return any(p.channel in vocab.PHONE_CHANNELS for p in self.purposes)

    @property
    def needs_email(self) -> bool:
        return any(p.channel == "email" for p in self.purposes)

    @property
    def extra_fields(self) -> list[str]:
        return [f for f in vocab.EXTRA_FIELDS if any(f in p.fields for p in self.purposes)]

    @property
    def phone_channels(self) -> list[str]:
        return [c for c in self.channels if c in vocab.PHONE_CHANNELS]

    @property
    def needed_by(self) -> dict[str, list[str]]:
        """Form field -> ids of the purposes that need it: the one definition the form, the
        receiver's validation and the consent record's data categories share."""
        return {name: [p.id for p in self.purposes if name in p.needs] for name in vocab.FIELDS}

    def fields_for(self, purpose_ids) -> list[str]:
        """The fields the chosen purposes need, in form order."""
        chosen = set(purpose_ids)
        return [name for name, ids in self.needed_by.items() if chosen & set(ids)]

    def purpose(self, purpose_id: str) -> Purpose:
        return next(p for p in self.purposes if p.id == purpose_id)

    def with_endpoints(self, endpoints: Endpoints) -> "Campaign":
        return replace(self, endpoints=endpoints)


def _contact(data: dict | None) -> Contact | None:
    if not data:
        return None
    return Contact(data["name"], data["email"], data.get("address", ""), data.get("country", ""))


def _keywords(campaign_data: dict, country: str, locales: tuple[str, ...]) -> dict:
    """channel -> language -> reply keyword, for every language a page shows: the campaign's
    locales and their second languages (the English half of an ms page names its keyword too).
    A language missing from a per-locale mapping gets the channel's default for the country."""
    out: dict[str, dict[str, str]] = {}
    given = campaign_data.get("opt_out", {})
    for channel in ("whatsapp", "sms"):
        default = vocab.COUNTRY_OPT_OUT.get((channel, country), vocab.DEFAULT_OPT_OUT[channel])
        value = given.get(channel, default)
        per_locale = value if isinstance(value, dict) else {}
        base = value if isinstance(value, str) else default
        out[channel] = {loc: per_locale.get(loc, base) for loc in vocab.page_languages(locales)}
    return out


def _authority(data: dict) -> Authority:
    juris = data["jurisdiction"]
    country = juris["country"]
    if "authority" in juris:
        return Authority(juris["authority"]["name"], juris["authority"]["url"], country)
    if country == "DE":
        return Authority(*vocab.DE_STATE_AUTHORITIES[juris["state"]], country)
    return Authority(*vocab.AUTHORITIES[country], country)


def _provider(data: dict, gdpr: bool) -> Provider:
    """A provider as given (`safeguard:` is the old name of `transfer:`); a GDPR basis only
    where the GDPR applies (a default's DPF basis means nothing to a Malaysian controller)."""
    basis = data.get("transfer", data.get("safeguard", "")) if gdpr else ""
    hosting = data.get("hosting")
    return Provider(data["name"], data["country"], basis, data.get("pdpa_transfer") or "",
                    str(data.get("dpa", "")),
                    _provider({"pdpa_transfer": data.get("pdpa_transfer"), **hosting}, gdpr) if hosting else None)


def _build(data: dict, path: Path, id_line: int, default_theme: str) -> Campaign:
    locales = tuple(data["locales"])
    country = data["jurisdiction"]["country"]
    gdpr = transfers.gdpr_applies(country, locales)
    given = data.get("providers", {})
    providers = {k: _provider(v, gdpr) for k, v in {**vocab.DEFAULT_PROVIDERS, **given}.items()}
    purposes = tuple(
        Purpose(
            id=p["id"], channel=p["channel"], key=p.get("purpose") if "wording" not in p else None,
            wording=dict(p.get("wording", {})),
            retention_months=p.get("retention_months", vocab.DEFAULT_RETENTION_MONTHS),
            fields=tuple(p.get("fields", ())) + vocab.PURPOSE_FIELDS.get(p.get("purpose", ""), ()),
        )
        for p in data["purposes"]
    )
    ctrl = data["controller"]
    brand = data["brand"]
    return Campaign(
        id=data["id"], source=path, brand_name=brand["name"],
        logo=(path.parent / brand["logo"]).resolve() if brand.get("logo") else None,
        colors={**colors.DEFAULTS, **brand.get("colors", {})},
        controller=Controller(ctrl["name"], ctrl["address"], ctrl["email"], ctrl.get("phone", ""),
                              _contact(ctrl.get("dpo")), _contact(ctrl.get("representative")), country,
                              malaysia.designations(ctrl.get(malaysia.DESIGNATION, {}))),
        country=country, authority=_authority(data), locales=locales,
        default_locale=data.get("default_locale", locales[0]),
        base_url=data.get("base_url", "").rstrip("/"),
        endpoints=Endpoints(**data["endpoints"]),
        purposes=purposes, opt_out=_keywords(data, country, locales), providers=providers,
        hosts={role: _provider(data["hosting"][role], gdpr) for role in vocab.HOSTS},
        notice_extra=dict(data.get("notice", {})), theme=data.get("theme", default_theme),
        unconfirmed_days=data.get("unconfirmed_days", vocab.DEFAULT_UNCONFIRMED_DAYS),
        proof_years=data.get("proof_years", vocab.DEFAULT_PROOF_YEARS),
        minimum_age=data.get("minimum_age", vocab.MINIMUM_AGE.get(country, vocab.DEFAULT_MINIMUM_AGE)),
        stop_within_hours=data.get("stop_within_hours", vocab.DEFAULT_STOP_WITHIN_HOURS),
        marketing_prefix=vocab.marketing_prefixes(data.get("marketing_prefix"), country, locales),
        defaulted=tuple(k for k in vocab.DEFAULT_PROVIDERS if k not in given),
        whatsapp_number=contact_card.e164(data.get("whatsapp_number", ""), country) if data.get("whatsapp_number") else "",
        legal_facts={key: dict(data.get(key, {})) for key in ("record", "dpia")},
        id_line=id_line,
    )


def load(path: Path | str, project: Project) -> tuple[Campaign | None, list[Problem]]:
    """Load one campaign file: (campaign, []) or (None, problems)."""
    path = Path(path)
    source, problems = read_path(path)
    if source is None:
        return None, problems
    problems += validate(source, path, project)
    if problems:
        return None, problems
    campaign = _build(source.data, path, source.line(("id",)) or 1, project.setting("default_theme"))
    return landing.attach(campaign, source.data, project.root), []


def load_all(paths: list[Path], project: Project, load_one=load) -> list[Campaign]:
    """Load several campaigns; raise one CampaignError listing every problem in every file.
    `load_one` stands in for `load` (the build cache answers for unchanged files)."""
    campaigns, problems = [], []
    first_seen: dict[str, Path] = {}
    for path in paths:
        campaign, found = load_one(path, project)
        problems += found
        if campaign is None:
            continue
        if campaign.id in first_seen:
            problems.append(Problem(str(path), campaign.id_line, "id",
                                    f"duplicate campaign id {campaign.id!r} (also used by {first_seen[campaign.id]})",
                                    "give each campaign its own id"))
            continue
        first_seen[campaign.id] = path
        campaigns.append(campaign)
    if problems:
        raise CampaignError(problems)
    return campaigns
