"""Validate a parsed campaign against schema/campaign.schema.json plus the rules a schema can't say.

Every problem names the file, the line and the key, says what is wrong and how to fix it.
"""
from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

from jsonschema import Draft202012Validator

from . import colors, i18n, vocab
from .errors import Problem
from .yamlsrc import Source, key_name

PRETICK_KEYS = {"checked", "preticked", "pre_ticked", "ticked", "default", "selected"}
TYPE_NAMES = {"string": "text", "integer": "a whole number", "object": "a mapping (key: value)",
              "array": "a list", "boolean": "true/false", "number": "a number"}


@lru_cache(maxsize=1)
def schema() -> dict:
    """The schema file, with its locale lists set to the locales in locales/ (catalog + notice)."""
    return i18n.schema_with_locales(
        json.loads(resources.files("generator").joinpath("schema/campaign.schema.json").read_text()))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


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
        return "must be a URL starting with https://", "for example https://optin.example.com"
    return "has the wrong format", "see schema/campaign.schema.json"


def _schema_problem(error, source: Source) -> list[Problem]:
    path = tuple(error.absolute_path)
    file, key = source.file, key_name(path)
    line = source.line(path)
    kind = error.validator
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extras = [k for k in error.instance if k not in allowed]
        out = []
        for extra in extras:
            sub = path + (extra,)
            if extra in PRETICK_KEYS and "channel" in allowed:
                out.append(Problem(file, source.line(sub), key_name(sub),
                                   "a consent checkbox can never be pre-ticked",
                                   "remove this key: people tick boxes themselves (GDPR Recital 32)"))
                continue
            close = difflib.get_close_matches(str(extra), allowed, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
            out.append(Problem(file, source.line(sub), key_name(sub), "unknown key", hint))
        return out
    if kind == "required":
        missing = error.message.split("'")[1]
        where = key or "the top level"
        return [Problem(file, line, key_name(path + (missing,)), f"required key missing in {where}",
                        f"add `{missing}:`")]
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


def _semantic(data: dict, source: Source, path: Path) -> list[Problem]:
    """Rules across keys; only run when the schema passed, so the shape is known."""
    file, line = source.file, source.line
    out: list[Problem] = []
    locales = data["locales"]
    default = data.get("default_locale")
    if default and default not in locales:
        out.append(Problem(file, line(("default_locale",)), "default_locale",
                           f"{default!r} is not in locales {locales}", "add it to locales or pick one listed"))
    seen_ids: set[str] = set()
    for i, purpose in enumerate(data["purposes"]):
        where = ("purposes", i)
        if purpose["id"] in seen_ids:
            out.append(Problem(file, line(where + ("id",)), key_name(where + ("id",)),
                               f"purpose id {purpose['id']!r} is used twice", "give each purpose its own id"))
        seen_ids.add(purpose["id"])
        if "purpose" not in purpose and "wording" not in purpose:
            out.append(Problem(file, line(where), key_name(where),
                               "a purpose needs a standard `purpose:` key or custom `wording:`",
                               f"for example `purpose: offers` (one of {', '.join(vocab.PURPOSE_TOPICS)})"))
        if "wording" in purpose:
            for loc in locales:
                if loc not in purpose["wording"]:
                    out.append(Problem(file, line(where + ("wording",)), key_name(where + ("wording",)),
                                       f"custom wording for purpose {purpose['id']!r} is missing locale {loc!r}",
                                       f"add `{loc}: …` or remove {loc!r} from locales"))
    juris = data["jurisdiction"]
    if "authority" not in juris:
        if juris["country"] == "DE" and juris.get("state") not in vocab.DE_STATE_AUTHORITIES:
            out.append(Problem(file, line(("jurisdiction", "state") if "state" in juris else ("jurisdiction",)),
                               "jurisdiction.state",
                               "a German controller needs its federal state to name the authority",
                               f"set `state:` to one of {', '.join(vocab.DE_STATE_AUTHORITIES)}"))
        elif juris["country"] != "DE" and juris["country"] not in vocab.AUTHORITIES:
            out.append(Problem(file, line(("jurisdiction", "country")), "jurisdiction.country",
                               f"no supervisory authority is known for {juris['country']}",
                               "add `authority: {name: …, url: https://…}` under jurisdiction"))
    for channel, provider in data.get("providers", {}).items():
        if provider["country"] not in vocab.EEA and "safeguard" not in provider:
            out.append(Problem(file, line(("providers", channel)), key_name(("providers", channel, "safeguard")),
                               f"{provider['name']} is outside the EEA; the notice must name the transfer safeguard",
                               f"add `safeguard:` ({', '.join(vocab.SAFEGUARDS)})"))
    logo = data["brand"].get("logo")
    if logo and not (path.parent / logo).is_file():
        out.append(Problem(file, line(("brand", "logo")), "brand.logo", f"logo file {logo!r} does not exist",
                           f"put the file next to the campaign (looked in {path.parent}) or fix the path"))
    out += colors.problems({**colors.DEFAULTS, **data["brand"].get("colors", {})}, file,
                           line(("brand", "colors")))
    return out


def validate(source: Source, path: Path) -> list[Problem]:
    data = source.data
    if not isinstance(data, dict):
        return [Problem(source.file, 1, "", "a campaign file must be a mapping of keys",
                        "start from `optin new NAME`")]
    errors = sorted(_validator().iter_errors(data), key=lambda e: (source.line(tuple(e.absolute_path)) or 0))
    problems: list[Problem] = []
    for error in errors:
        if error.validator == "oneOf":  # keyword: string or per-locale mapping
            problems.append(Problem(source.file, source.line(tuple(error.absolute_path)),
                                    key_name(tuple(error.absolute_path)),
                                    "must be a keyword (2–20 letters/digits) or a mapping locale: keyword",
                                    "for example `sms: UNSUB`"))
            continue
        problems += _schema_problem(error, source)
    if not problems:
        problems += _semantic(data, source, path)
    return problems
