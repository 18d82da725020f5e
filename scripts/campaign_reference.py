"""Write docs/campaign-reference.md from the campaign JSON Schema, so the reference cannot drift.

    .venv/bin/python scripts/campaign_reference.py          # rewrite docs/campaign-reference.md
    .venv/bin/python scripts/campaign_reference.py --check  # exit 1 if it is stale (tests use this)

Every key of generator/campaign/schema/campaign.schema.json gets a row: type, whether it is
required, the allowed values or pattern, the default and the description. Defaults come from the
schema's `default` when it has one, else from the constants the code applies (DEFAULTS below).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "generator" / "campaign" / "schema" / "campaign.schema.json"
OUT = ROOT / "docs" / "campaign-reference.md"


def _defaults() -> dict[str, str]:
    """Key path -> the default the code applies when the key is left out."""
    from generator.campaign import colors, vocab
    from generator.project import SETTINGS

    sms = ", ".join(f"{word} in {country}" for (channel, country), word in sorted(vocab.COUNTRY_OPT_OUT.items())
                    if channel == "sms")
    out = {f"brand.colors.{name}": f"`{value}`" for name, value in colors.DEFAULTS.items()}
    out.update({
        "default_locale": "the first of `locales`",
        "endpoints.format": "`json`",
        "purposes[].retention_months": f"`{vocab.DEFAULT_RETENTION_MONTHS}`",
        "opt_out.whatsapp": f"`{vocab.DEFAULT_OPT_OUT['whatsapp']}`",
        "opt_out.sms": f"`{vocab.DEFAULT_OPT_OUT['sms']}` ({sms})",
        "theme": f"`default_theme` of optin.toml (`{SETTINGS['default_theme'][1]}`)",
    })
    for name, value in getattr(vocab, "DEFAULT_PROVIDERS", {}).items():
        out[f"providers.{name}"] = value["name"]
    for key, constant in (("unconfirmed_days", "DEFAULT_UNCONFIRMED_DAYS"), ("proof_years", "DEFAULT_PROOF_YEARS")):
        if hasattr(vocab, constant):
            out[key] = f"`{getattr(vocab, constant)}`"
    return out


def _resolve(node: dict, schema: dict) -> dict:
    """The node with its local `$ref` followed (keys next to the `$ref` win)."""
    while "$ref" in node:
        target = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _code(text: str) -> str:
    return "`" + str(text).replace("|", "\\|") + "`"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _text(text: str) -> str:
    """Prose for a table cell: `<brand>` must show, not vanish as an HTML tag."""
    return _cell(text).replace("<", "&lt;").replace(">", "&gt;")


def _type(node: dict) -> str:
    if "oneOf" in node:
        return " or ".join(_type(option) for option in node["oneOf"])
    kind = node.get("type", "")
    if kind == "array":
        return f"list of {_type(node.get('items', {})) or 'values'}"
    if kind == "object" and "patternProperties" in node and "properties" not in node:
        return "mapping"
    if kind == "object" and isinstance(node.get("additionalProperties"), dict) and "properties" not in node:
        return f"mapping of {_type(node['additionalProperties'])}"
    return kind


def _allowed(node: dict) -> str:
    parts = []
    if "oneOf" in node:
        return "; ".join(a for a in (_allowed(option) for option in node["oneOf"]) if a)
    if node.get("type") == "array":
        inner = _allowed(node.get("items", {}))
        limits = []
        if "minItems" in node:
            limits.append(f"at least {node['minItems']}")
        if node.get("uniqueItems"):
            limits.append("no repeats")
        return "; ".join(p for p in (inner, ", ".join(limits)) if p)
    if "enum" in node:
        parts.append(", ".join(_code(v) for v in node["enum"]))
    if "pattern" in node:
        parts.append(f"pattern {_code(node['pattern'])}")
    if "patternProperties" in node:
        parts.append("keys " + ", ".join(_code(p) for p in node["patternProperties"]))
    if "minimum" in node or "maximum" in node:
        parts.append(f"{node.get('minimum', '…')} to {node.get('maximum', '…')}")
    if node.get("minLength") == 1:
        parts.append("not empty")
    if node.get("minProperties") == 1:
        parts.append("at least one key")
    if isinstance(node.get("additionalProperties"), dict) and "properties" not in node:
        inner = _allowed(node["additionalProperties"])
        parts.append(f"each value: {inner}" if inner else "")
    parts = [p for p in parts if p]
    return "; ".join(parts)


def rows(schema: dict):
    """(path, node, required) for every key, depth first, in the schema's order."""
    defaults = _defaults()

    def walk(node: dict, prefix: str):
        node = _resolve(node, schema)
        if node.get("type") == "array" and isinstance(node.get("items"), dict):
            items = _resolve(node["items"], schema)
            if items.get("type") == "object":
                yield from walk(items, prefix + "[]")
            return
        required = set(node.get("required", []))
        properties = node.get("properties", {})
        shared: dict[str, list[str]] = {}  # a $ref with keys of its own, named by several siblings
        for name, child in properties.items():
            if "$ref" in child and _resolve(child, schema).get("properties"):
                shared.setdefault(child["$ref"], []).append(name)
        for name, child in properties.items():
            path = f"{prefix}.{name}" if prefix else name
            siblings = shared.get(child.get("$ref", ""), [])
            child = _resolve(child, schema)
            default = child.get("default")
            default = _code(json.dumps(default)) if default is not None else defaults.get(path, "")
            yield path, child, name in required, default
            if len(siblings) > 1:
                if name == siblings[-1]:  # their keys once, after the last of them
                    yield from walk(child, f"{prefix}.{{{','.join(siblings)}}}" if prefix else name)
            else:
                yield from walk(child, path)
        for option in node.get("oneOf", []):
            for child in _resolve(option, schema).get("patternProperties", {}).values():
                yield from walk({"properties": {"<locale>": child}}, prefix)

    yield from walk(schema, "")


def reference() -> str:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    lines = [
        "# Campaign file reference",
        "",
        ("<!-- generated by scripts/campaign_reference.py from "
         "generator/campaign/schema/campaign.schema.json; do not edit by hand -->"),
        "",
        _cell(schema.get("description", "")),
        "",
        "Every key of a campaign file (`campaigns/<id>.yaml`). `a.b` is key `b` inside mapping `a`;",
        "`purposes[].id` is `id` in each item of the list `purposes`. Locale lists show the built-in",
        "locales; a project that adds a locale (see [the translator's guide](translator.md)) may use it",
        "wherever a locale is accepted. `providers.{whatsapp,sms,email}.name` is `name` in each of",
        "`providers.whatsapp`, `providers.sms` and `providers.email`. *Required* means required in its",
        "mapping: `controller.dpo.name` is needed only when `controller.dpo` is given.",
        "How the keys work together:",
        "[the marketer's guide](marketer.md#campaign-file).",
        "",
    ]
    top = [(path, node, required, default) for path, node, required, default in rows(schema)]
    sections: dict[str, list] = {}
    for row in top:
        sections.setdefault(row[0].split(".")[0].split("[")[0], []).append(row)
    for name, section in sections.items():
        lines += [f"## `{name}`", "", "| key | type | required | allowed | default | description |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for path, node, required, default in section:
            lines.append(f"| {_code(path)} | {_cell(_type(node))} | {'yes' if required else 'no'} | "
                         f"{_allowed(node)} | {_cell(default)} | {_text(node.get('description', ''))} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    fresh = reference()
    current = OUT.read_text(encoding="utf-8") if OUT.is_file() else ""
    if "--check" in sys.argv:
        sys.exit(0 if fresh == current else 1)
    OUT.write_text(fresh, encoding="utf-8")
