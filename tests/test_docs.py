"""The README and docs/ stay true to the code: every command and campaign key is documented,
the generated references are current, every `optin …` the docs mention exists, and every link
between the docs resolves."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import click
import pytest
from support.projects import REPO as ROOT

DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def cli():
    from generator.cli.main import main

    return main


def command_paths(group: click.Group, prefix=()):
    """("optin",), ("optin", "build"), ("optin", "i18n", "init"), … for the whole click group."""
    yield ("optin", *prefix)
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))
        else:
            yield ("optin", *prefix, name)


# --- generated references -------------------------------------------------------------------

@pytest.mark.parametrize("script, what", [("scripts/readme_help.py", "docs/commands.md"),
                                          ("scripts/campaign_reference.py", "docs/campaign-reference.md")])
def test_generated_reference_is_current(script, what):
    proc = subprocess.run([sys.executable, script, "--check"], cwd=ROOT, check=False)
    assert proc.returncode == 0, f"{what} is stale: run .venv/bin/python {script}"


def missing_commands(text: str) -> list[str]:
    headings = set(re.findall(r"^## `([^`]+)`$", text, flags=re.MULTILINE))
    return [" ".join(path) for path in command_paths(cli()) if " ".join(path) not in headings]


def test_every_command_has_a_section_in_the_command_reference():
    text = read(DOCS / "commands.md")
    assert missing_commands(text) == []
    some = " ".join(next(p for p in command_paths(cli()) if len(p) == 3))
    assert missing_commands(text.replace(f"## `{some}`", "## removed")) == [some]


def schema_keys() -> set[str]:
    """Every key path of the campaign schema, walked here independently of the generator."""
    schema = json.loads(read(ROOT / "generator" / "campaign" / "schema" / "campaign.schema.json"))

    def resolve(node):
        while "$ref" in node:
            target = schema
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    def walk(node, prefix):
        node = resolve(node)
        if node.get("type") == "array":
            yield from walk(node.get("items", {}), prefix + "[]")
            return
        for name, child in node.get("properties", {}).items():
            path = f"{prefix}.{name}" if prefix else name
            yield path
            yield from walk(child, path)
        for option in node.get("oneOf", []):
            if resolve(option).get("patternProperties"):
                yield f"{prefix}.<locale>"

    return set(walk(schema, ""))


def documented_keys(text: str) -> set[str]:
    """First-column keys of the reference's tables, `a.{b,c}.d` expanded to a.b.d and a.c.d."""
    out = set()
    for cell in re.findall(r"^\| `([^`]+)` \|", text, flags=re.MULTILINE):
        paths = [cell]
        while any("{" in p for p in paths):
            expanded = []
            for path in paths:
                match = re.search(r"\{([^}]+)\}", path)
                if not match:
                    expanded.append(path)
                    continue
                expanded += [path[:match.start()] + alt + path[match.end():] for alt in match.group(1).split(",")]
            paths = expanded
        out.update(paths)
    return out


def test_every_campaign_key_is_in_the_campaign_reference():
    keys, text = schema_keys(), read(DOCS / "campaign-reference.md")
    assert {"id", "purposes[].retention_months", "providers.sms.hosting.country", "opt_out.sms.<locale>"} <= keys
    assert sorted(keys - documented_keys(text)) == []
    assert sorted(documented_keys(text) - keys) == [], "the reference documents keys the schema lacks"
    row = next(line for line in text.splitlines() if line.startswith("| `purposes[].fields` |"))
    assert "purposes[].fields" not in documented_keys(text.replace(row + "\n", ""))


# --- what the docs mention ------------------------------------------------------------------

def _code(text: str) -> list[str]:
    """Lines of fenced blocks and inline code spans: where commands are written."""
    blocks = [line for block in FENCE.findall(text) for line in block.splitlines()[1:-1]]
    spans = re.findall(r"`([^`\n]+)`", FENCE.sub("", text))
    return blocks + spans


def unknown_commands(text: str) -> list[str]:
    """Each `optin …` in code whose command, sub-command or option does not exist."""
    problems = []
    for line in _code(text):
        for match in re.finditer(r"(?<![\w.'/\[-])optin((?:\s+[^\s]+)*)", line):
            tokens = match.group(1).split()
            command: click.Command = cli()
            words = ["optin"]
            while tokens and tokens[0] in ("-f", "--config"):
                tokens = tokens[2:]
            while isinstance(command, click.Group) and tokens and re.fullmatch(r"[a-z][a-z0-9-]*", tokens[0]):
                if tokens[0] not in command.commands:
                    problems.append(f"{' '.join(words)} has no command {tokens[0]!r}: {line.strip()}")
                    break
                command = command.commands[tokens[0]]
                words.append(tokens.pop(0))
            options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
            options |= {"-h", "--help"}
            for token in tokens:
                if token.startswith("#") or token in ("&&", "|", ";", "<", ">"):
                    break
                if re.fullmatch(r"--?[a-z][a-z-]*(=.*)?", token) and token.split("=")[0] not in options:
                    problems.append(f"{' '.join(words)} has no option {token}: {line.strip()}")
    return problems


def test_every_optin_command_mentioned_exists():
    problems = [f"{page.name}: {p}" for page in PAGES for p in unknown_commands(read(page))]
    assert problems == []
    assert unknown_commands("`optin ledger frobnicate`") and unknown_commands("`optin build --nope`")
    assert unknown_commands("```sh\noptin bulid\n```")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    text = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *$", FENCE.sub("", read(path)), flags=re.MULTILINE):
        base = slug(heading)
        out.add(f"{base}-{seen[base]}" if base in seen else base)
        seen[base] = seen.get(base, 0) + 1
    return out


def broken_links(page: Path) -> list[str]:
    text = re.sub(r"`[^`\n]*`", "", FENCE.sub("", read(page)))
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}: no heading #{anchor} in {path.name}")
    return broken


def test_links_between_the_docs_resolve():
    problems = [f"{page.name}: {p}" for page in PAGES for p in broken_links(page)]
    assert problems == []
    assert slug("Try the double opt-in locally: `optin serve`") == "try-the-double-opt-in-locally-optin-serve"
    assert slug("Adding a locale, e.g. Swedish (`sv`)") == "adding-a-locale-eg-swedish-sv"


def test_readme_links_every_guide():
    readme = read(ROOT / "README.md")
    for name in ("marketer", "campaign-reference", "translator", "legal", "operator", "protocol", "commands"):
        assert f"(docs/{name}.md)" in readme, name


def test_legal_consent_rules_match_the_check_table():
    """The legal guide's consent rules are rows of the full rule table, word for word."""
    rows = [line for line in read(DOCS / "legal.md").splitlines() if line.startswith("| `")]
    table = read(DOCS / "marketer.md").split("## Before publishing: `optin check`", 1)[1]
    assert rows and all(row in table.splitlines() for row in rows)
    ids = {re.match(r"\| `([a-z-]+)`", row).group(1) for row in rows}
    assert {"checkbox-checked", "checkbox-label", "consent-required", "notice-version"} <= ids


def test_readme_gives_exactly_two_setup_commands():
    readme = read(ROOT / "README.md")
    setup = readme.split("## Set-up: two commands", 1)[1].split("\n## ", 1)[0]
    block = setup.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip()]
    assert [c.split("#")[0].strip() for c in commands] == ["bash scripts/site.sh", "bash scripts/test.sh"]
    assert "pip install optin" in readme and "optin init" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test.sh" in ci
