"""Rule ids and what each checks, registered by the code that checks it (`@rule`).

Rule ids are stable (scripts and CI match on them); the descriptions are shown by
`optin check --list-rules` and in docs/marketer.md.
"""
from __future__ import annotations

from generator.check.model import Failure, Page
from generator.check.tree import Node

RULES: dict[str, str] = {
    "manifest": "the campaign's optin.json manifest (or --campaigns file) is readable",
}
PAGE_RULES: list = []  # functions (page) -> Failures, in registration order


def rule(descriptions: dict[str, str]):
    """Register a page rule with the ids it reports and their descriptions."""
    def register(function):
        RULES.update(descriptions)
        PAGE_RULES.append(function)
        return function
    return register


def describe(descriptions: dict[str, str]) -> None:
    """Ids reported by a check that is not a page rule (stylesheets, the browser)."""
    RULES.update(descriptions)


def fail(page: Page, rule_id: str, node: Node | None, message: str) -> Failure:
    return Failure(page.rel, rule_id, node.describe() if node is not None else "", message)
