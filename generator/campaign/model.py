"""Campaign model: read a campaign YAML file, validate it, return plain dataclasses.

Knows nothing of Jinja, HTML or Click. All problems in a file are collected and raised at once
as a CampaignError naming file, line and key.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from generator.campaign import colors
from generator.campaign import vocab
from generator.errors import CampaignError, Problem
from generator.project import Project
from generator.campaign.validate import validate
from generator.campaign.source import read
from generator.urls import origin


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    address: str = ""


@dataclass(frozen=True)
class Controller:
    name: str
    address: str
    email: str
    phone: str = ""
    dpo: Contact | None = None
    representative: Contact | None = None


@dataclass(frozen=True)
class Authority:
    name: str
    url: str


@dataclass(frozen=True)
class Provider:
    name: str
    country: str
    safeguard: str = ""  # "", adequacy, dpf, scc; only outside the EEA

    @property
    def outside_eea(self) -> bool:
        return self.country not in vocab.EEA


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
    notice_extra: dict[str, str] = field(default_factory=dict)
    theme: str = "default"
    id_line: int = field(default=1, compare=False)  # line of `id:` in the source, for errors

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
        from dataclasses import replace
        return replace(self, endpoints=endpoints)


def _contact(data: dict | None) -> Contact | None:
    if not data:
        return None
    return Contact(data["name"], data["email"], data.get("address", ""))


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
    if "authority" in juris:
        return Authority(juris["authority"]["name"], juris["authority"]["url"])
    if juris["country"] == "DE":
        return Authority(*vocab.DE_STATE_AUTHORITIES[juris["state"]])
    return Authority(*vocab.AUTHORITIES[juris["country"]])


def _build(data: dict, path: Path, id_line: int, default_theme: str) -> Campaign:
    locales = tuple(data["locales"])
    country = data["jurisdiction"]["country"]
    providers = {k: Provider(**v) for k, v in vocab.DEFAULT_PROVIDERS.items()}
    providers.update({k: Provider(**v) for k, v in data.get("providers", {}).items()})
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
                              _contact(ctrl.get("dpo")), _contact(ctrl.get("representative"))),
        country=country, authority=_authority(data), locales=locales,
        default_locale=data.get("default_locale", locales[0]),
        base_url=data.get("base_url", "").rstrip("/"),
        endpoints=Endpoints(**data["endpoints"]),
        purposes=purposes, opt_out=_keywords(data, country, locales), providers=providers,
        notice_extra=dict(data.get("notice", {})), theme=data.get("theme", default_theme),
        id_line=id_line,
    )


def load(path: Path | str, project: Project) -> tuple[Campaign | None, list[Problem]]:
    """Load one campaign file: (campaign, []) or (None, problems)."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(name, None, "", f"cannot read the file: {exc}", "check the path")]
    source, problems = read(name, text)
    if source is None:
        return None, problems
    problems += validate(source, path, project)
    if problems:
        return None, problems
    return _build(source.data, path, source.line(("id",)) or 1, project.setting("default_theme")), []


def load_all(paths: list[Path], project: Project) -> list[Campaign]:
    """Load several campaigns; raise one CampaignError listing every problem in every file."""
    campaigns, problems = [], []
    first_seen: dict[str, Path] = {}
    for path in paths:
        campaign, found = load(path, project)
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


def publish_warnings(campaign: Campaign) -> list[str]:
    """What builds but will probably fail once published, one line each (the build prints them).

    Call it after any endpoint override: `optin serve` points the forms at localhost."""
    out: list[str] = []
    e = campaign.endpoints
    public = [url for url in (e.submit, e.confirm, e.withdraw) if urlsplit(url).hostname not in vocab.LOCAL_HOSTS]
    if public and not campaign.base_url:
        example = f"/{campaign.id}/{campaign.default_locale}/thanks.html"
        out.append(str(Problem(
            str(campaign.source), None, "base_url",
            f"not set: without JavaScript the forms send {urlsplit(public[0]).netloc} a site-root return "
            f"address (success_url {example}); only the bundled receiver resolves that (against the "
            "page's Origin), other endpoints may not, and it is wrong when the site is in a subfolder",
            "set `base_url:` to the public https URL the site is published at")))
    return out
