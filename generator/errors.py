"""Exceptions rooted in click.ClickException, so the CLI prints clean lines and no traceback."""
from __future__ import annotations

from dataclasses import dataclass

import click


class OptinError(click.ClickException):
    """Any error a user can fix. Exit code 2 (like a usage error)."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file: where, what, and how to fix it."""

    file: str
    line: int | None
    key: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class CampaignError(OptinError):
    """All problems found in one or more campaign files, reported at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in campaign files:"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


class BuildError(OptinError):
    """The site could not be built; the previous output is untouched."""
