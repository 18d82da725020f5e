"""Validate a parsed campaign against schema/campaign.schema.json plus the rules a schema can't say.

Every problem names the file, the line and the key, says what is wrong and how to fix it.
"""
from __future__ import annotations

import difflib
import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from typing import TYPE_CHECKING

from generator.campaign import colors, contact_card, malaysia, safety, transfers, vocab
from generator.campaign import landing  # `page:`: the landing-page copy
from generator.campaign.source import Source, key_name
from generator.errors import Problem
from generator.i18n.formatting import language_name
from generator.project import Project

if TYPE_CHECKING:  # imported when a campaign is validated: a rebuild of unchanged ones validates none
    from jsonschema import Draft202012Validator

PRETICK_KEYS = {"checked", "preticked", "pre_ticked", "ticked", "default", "selected"}
# A required key that is easy to miss: how to add it, by example (else "add `key:`"). The names
# are the starter's placeholders, so a copied example still warns until it is replaced.
REQUIRED_HINTS = {
    ("hosting",): ("add who hosts the website and the receiver (processors the notice names), e.g. `hosting: "
                   "{website: {name: Example Web Hosting Ltd, country: IE}, receiver: {name: Example Server "
                   "Hosting Ltd, country: IE, dpa: '2025-01-31'}}`; outside the EEA also `transfer:`"),
    ("hosting", "website"): ("add the company whose servers publish the pages (it sees every visitor's IP "
                             "address), e.g. `website: {name: Example Web Hosting Ltd, country: IE}`"),
    ("hosting", "receiver"): ("add the company on whose systems the receiver and its ledger run, e.g. "
                              "`receiver: {name: Example Server Hosting Ltd, country: IE}`"),
}
TYPE_NAMES = {"string": "text", "integer": "a whole number", "object": "a mapping (key: value)",
              "array": "a list", "boolean": "true/false", "number": "a number"}


def schema_file() -> dict:
    """The schema as written (editors use this file; its locale lists are the built-in ones)."""
    return json.loads(resources.files("generator.campaign").joinpath("schema/campaign.schema.json").read_text())


@lru_cache(maxsize=8)
def schema(locales: tuple[str, ...] = ()) -> dict:
    """The schema with its locale lists (`locales`, `default_locale`, per-locale `wording`,
    `notice` and opt-out keywords) set to `locales` (a project's supported locales), so a new
    locale needs data only. Known locales keep the schema's order."""
    schema = schema_file()
    if not locales:
        return schema
    props = schema.get("properties", {})
    listed = props.get("default_locale", {}).get("enum", [])
    langs = [lang for lang in listed if lang in locales] + [lang for lang in locales if lang not in listed]
    if "enum" in props.get("locales", {}).get("items", {}):
        props["locales"]["items"]["enum"] = langs
    if "enum" in props.get("default_locale", {}):
        props["default_locale"]["enum"] = langs
    wording = props.get("purposes", {}).get("items", {}).get("properties", {}).get("wording", {})
    for mapping in (wording, props.get("notice", {})):
        if mapping.get("properties"):
            template = next(iter(mapping["properties"].values()))
            mapping["properties"] = {lang: dict(template) for lang in langs}
    for option in schema.get("$defs", {}).get("keyword", {}).get("oneOf", []):
        if len(option.get("patternProperties", {})) == 1:
            (rule,) = option["patternProperties"].values()
            option["patternProperties"] = {f"^({'|'.join(map(re.escape, langs))})$": rule}
    return schema


@lru_cache(maxsize=8)
def _validator(locales: tuple[str, ...]) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(locales))


def _pattern_hint(path: tuple) -> tuple[str, str]:
    leaf = next((p for p in reversed(path) if isinstance(p, str)), "")
    parent = path[-2] if len(path) > 1 else ""
    if parent == "endpoints":
        return ("must be an https URL (http is allowed only for localhost)",
                "use https://… for a real endpoint")
    if parent == "colors":
        return "must be a colour like #1a2b3c", "write six hex digits after #"
    if leaf == "id":
        return ("must be a slug: lower-case letters, digits and hyphens (purpose ids: letters, digits, _)",
                "for example spring-sale")
    if leaf in ("country",):
        return "must be a two-letter country code in capitals", "for example NO, DE, ES, MY"
    if leaf == "email":
        return "must be an email address", "for example privacy@example.com"
    if leaf == "base_url":
        return ("must be an https URL (http is allowed only for localhost)",
                "the public address of the site, for example https://optin.example.com")
    return "has the wrong format", "see schema/campaign.schema.json"


def _schema_problem(error, source: Source) -> list[Problem]:
    path = tuple(error.absolute_path)
    file, key = source.file, source.key(path)
    line = source.line(path)
    kind = error.validator
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extras = [k for k in error.instance if k not in allowed]
        out = []
        for extra in extras:
            sub = path + (extra,)
            if extra in PRETICK_KEYS and "channel" in allowed:
                out.append(Problem(file, source.line(sub), source.key(sub),
                                   "a consent checkbox can never be pre-ticked",
                                   "remove this key: people tick boxes themselves (GDPR Recital 32)"))
                continue
            close = difflib.get_close_matches(str(extra), allowed, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
            out.append(Problem(file, source.line(sub), source.key(sub), "unknown key", hint))
        return out
    if kind == "required":
        missing = error.message.split("'")[1]
        where = key or "the top level"
        return [Problem(file, line, source.key(path + (missing,)), f"required key missing in {where}",
                        REQUIRED_HINTS.get(path + (missing,), f"add `{missing}:`"))]
    if kind == "type":
        expected = error.validator_value
        expected = expected if isinstance(expected, str) else expected[0]
        got = type(error.instance).__name__
        return [Problem(file, line, key, f"should be {TYPE_NAMES.get(expected, expected)}, got {got}",
                        "fix the value's type")]
    if kind == "enum":
        choices = ", ".join(map(str, error.validator_value))
        leaf = next((p for p in reversed(path) if isinstance(p, str)), "")
        what = {"locales": "locale", "default_locale": "locale", "channel": "channel",
                "purpose": "standard purpose"}.get(leaf, "value")
        close = difflib.get_close_matches(str(error.instance), list(map(str, error.validator_value)), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return [Problem(file, line, key, f"unknown {what} {error.instance!r}", f"{hint}choose one of: {choices}")]
    if kind == "pattern":
        message, hint = _pattern_hint(path)
        return [Problem(file, line, key, f"{error.instance!r} {message}", hint)]
    if kind in ("minimum", "maximum"):
        return [Problem(file, line, key, error.message, "use a value in the allowed range")]
    if kind in ("minItems", "minLength"):
        return [Problem(file, line, key, "must not be empty", "give at least one value")]
    if kind == "uniqueItems":
        return [Problem(file, line, key, "lists the same value twice", "remove the repeat")]
    return [Problem(file, line, key, error.message, "see schema/campaign.schema.json")]


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _semantic(data: dict, source: Source, path: Path, project: Project) -> list[Problem]:
    """Rules across keys. Run even when the schema failed, so all problems come at once: every
    check looks only at parts of the right shape and skips the rest (the schema reports those)."""
    file, line = source.file, source.line
    out: list[Problem] = []
    known = set(project.locales.supported())  # locales are data: sv, pt_BR, … need no code
    locales = [loc for loc in _list(data.get("locales")) if loc in known]
    default = data.get("default_locale")
    if isinstance(default, str) and isinstance(data.get("locales"), list) and default not in data["locales"]:
        out.append(Problem(file, line(("default_locale",)), "default_locale",
                           f"{default!r} is not in locales {data['locales']}", "add it to locales or pick one listed"))
    seen_ids: set[str] = set()
    for i, purpose in enumerate(_list(data.get("purposes"))):
        if not isinstance(purpose, dict):
            continue
        where = ("purposes", i)
        pid = purpose.get("id")
        if isinstance(pid, str) and pid in seen_ids:
            out.append(Problem(file, line(where + ("id",)), key_name(where + ("id",)),
                               f"purpose id {pid!r} is used twice", "give each purpose its own id"))
        if isinstance(pid, str):
            seen_ids.add(pid)
        if "purpose" not in purpose and "wording" not in purpose:
            out.append(Problem(file, line(where), key_name(where),
                               "a purpose needs a standard `purpose:` key or custom `wording:`",
                               f"for example `purpose: offers` (one of {', '.join(vocab.PURPOSE_TOPICS)})"))
        if isinstance(purpose.get("wording"), dict):
            out += _wording_locales(purpose, locales, file, line(where + ("wording",)),
                                    key_name(where + ("wording",)))
    juris = _dict(data.get("jurisdiction"))
    country = juris.get("country")
    if "authority" not in juris and isinstance(country, str):
        state = juris.get("state")
        if country == "DE" and not (isinstance(state, str) and state in vocab.DE_STATE_AUTHORITIES):
            out.append(Problem(file, line(("jurisdiction", "state") if "state" in juris else ("jurisdiction",)),
                               "jurisdiction.state",
                               "a German controller needs its federal state to name the authority",
                               f"set `state:` to one of {', '.join(vocab.DE_STATE_AUTHORITIES)}"))
        elif country != "DE" and country not in vocab.AUTHORITIES:
            out.append(Problem(file, line(("jurisdiction", "country")), "jurisdiction.country",
                               f"no supervisory authority is known for {country}",
                               "add `authority: {name: …, url: https://…}` under jurisdiction"))
    out += transfers.check(data, file, line)
    out += contact_card.problems(data, file, line)
    out += _addresses(data, country, file, line)
    out += malaysia.problems(data, locales, file, line)
    if isinstance(country, str) and country not in vocab.EEA and not _dict(data.get("controller")).get("representative") \
            and transfers.gdpr_applies(country, [x for x in locales if isinstance(x, str)]):
        shown = ", ".join(x for x in locales if x.split("_")[0] in vocab.EEA_LANGUAGES)
        out.append(Problem(file, line(("controller",)), "controller.representative",
                           f"a controller outside the EEA ({country}) with pages in EEA languages ({shown}) "
                           "offers to people in the EEA: the GDPR applies (Art. 3(2)(a)) and it needs a "
                           "representative in the EU/EEA (Art. 27)",
                           "add `representative: {name: …, email: …, address: …}` under controller, "
                           "or remove those locales"))
    brand = _dict(data.get("brand"))
    out += safety.logo_problems(brand.get("logo"), path, project, file, line(("brand", "logo")))
    given = _dict(brand.get("colors"))
    out += colors.problems({**colors.DEFAULTS, **given}, file,
                           lambda k: line(("brand", "colors", k) if k in given else ("brand", "colors")), given)
    out += landing.check(data, project.root, known, file, line)  # `page:` (landing-page copy)
    theme = data.get("theme")
    if isinstance(theme, str) and theme:
        out += _theme(theme, file, line(("theme",)), project)
    return out


def _addresses(data: dict, country, file: str, line) -> list[Problem]:
    """An address ending in a country other than its own would print a wrong country: the
    pages name the country (jurisdiction.country, or a contact's `country:`) in their language."""
    out = []
    ctrl = _dict(data.get("controller"))
    for path, own in ((("controller",), country), (("controller", "dpo"), None),
                      (("controller", "representative"), None)):
        where = _dict(ctrl.get(path[-1])) if len(path) > 1 else ctrl
        address = where.get("address")
        own = own if own is not None else where.get("country")
        written = vocab.split_country(address)[1] if isinstance(address, str) else ""
        if written and isinstance(own, str) and own and written != own:
            key = ".".join(path + ("address",))
            out.append(Problem(file, line(path + ("address",)), key,
                               f"the address ends in another country ({written}) than its own ({own})",
                               "leave the country out of the address: the pages add it in each language"
                               + ("" if len(path) > 1 else " (from jurisdiction.country)")))
    return out


def _wording_locales(purpose: dict, locales: list[str], file: str, line: int | None, key: str) -> list[Problem]:
    """Custom wording is needed for every language a page shows: each campaign locale and its
    second language (ms pages show English too, PDPA 2010 s.7(3))."""
    out = []
    wording = purpose["wording"]
    pid = purpose.get("id", "?")
    for loc in locales:
        if loc not in wording:
            out.append(Problem(file, line, key, f"custom wording for purpose {pid!r} is missing locale {loc!r}",
                               f"add `{loc}: …` or remove {loc!r} from locales"))
    for loc in vocab.page_languages(locales):
        if loc not in locales and loc not in wording:
            shown_by = ", ".join(repr(o) for o in locales if vocab.SECOND_LANGUAGE.get(o) == loc)
            out.append(Problem(file, line, key, f"custom wording for purpose {pid!r} is missing locale {loc!r}",
                               f"add `{loc}: …`: {shown_by} pages show every consent text in "
                               f"{language_name(loc)} too "
                               "(Malaysia's PDPA 2010 s.7(3): Bahasa Malaysia and English), even when "
                               f"{loc!r} is not in locales"))
    return out


def _theme(theme: str, file: str, line: int | None, project: Project) -> list[Problem]:
    known = project.theme_names()
    if theme in known:
        return []
    close = difflib.get_close_matches(theme, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    where = " or ".join(str(d) for d in project.theme_dirs)
    return [Problem(file, line, "theme", f"theme {theme!r} not found in {where}",
                    f"{hint}use one of: {', '.join(known) or '(none)'}, or leave `theme:` out for the default")]


def validate(source: Source, path: Path, project: Project) -> list[Problem]:
    data = source.data
    if not isinstance(data, dict):
        return [Problem(source.file, 1, "", "a campaign file must be a mapping of keys",
                        "start from `optin new NAME`")]
    errors = sorted(_validator(tuple(project.locales.supported())).iter_errors(data), key=lambda e: (source.line(tuple(e.absolute_path)) or 0))
    problems: list[Problem] = []
    for error in errors:
        if error.validator == "oneOf":  # keyword: string or per-locale mapping
            problems.append(Problem(source.file, source.line(tuple(error.absolute_path)),
                                    key_name(tuple(error.absolute_path)),
                                    "must be a keyword (2–20 letters/digits) or a mapping locale: keyword",
                                    "for example `sms: UNSUB`"))
            continue
        problems += _schema_problem(error, source)
    problems += safety.text_problems(source)
    reported = {p.key for p in problems}  # one problem per key: the schema's comes first
    problems += [p for p in _semantic(data, source, path, project) if p.key not in reported]
    return sorted(problems, key=lambda p: p.line or 0)  # stable: read top to bottom
