"""Regenerate the README's command reference from the CLI's own --help text.

    .venv/bin/python scripts/readme_help.py          # rewrite README.md
    .venv/bin/python scripts/readme_help.py --check  # exit 1 if README is stale (tests use this)
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from click.testing import CliRunner

from generator.cli.main import main  # the venv has optin installed (editable)

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- help:start -->", "<!-- help:end -->"


def commands(group: click.Group, prefix: list[str]):
    yield prefix
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            yield from commands(command, prefix + [name])
        else:
            yield prefix + [name]


def help_text(args: list[str]) -> str:
    result = CliRunner().invoke(main, args + ["--help"], prog_name="optin", terminal_width=100)
    return result.output.rstrip()


def reference() -> str:
    parts = []
    for args in commands(main, []):
        title = " ".join(["optin", *args])
        parts.append(f"### `{title}`\n\n```\n{help_text(args)}\n```\n")
    return "\n".join(parts)


def updated(text: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{reference()}{END}{tail}"


if __name__ == "__main__":
    current = README.read_text(encoding="utf-8")
    fresh = updated(current)
    if "--check" in sys.argv:
        sys.exit(0 if fresh == current else 1)
    README.write_text(fresh, encoding="utf-8")
