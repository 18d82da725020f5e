"""The static rules, one module per concern; importing this package registers them all."""
from __future__ import annotations

from generator.check.model import Failure, Page
from generator.check.registry import PAGE_RULES
from generator.check.rules import consent, head, language, web  # noqa: F401  (registers the rules)
from generator.check.rules.web import check_styles

__all__ = ["check_page", "check_styles"]


def check_page(page: Page) -> list[Failure]:
    return [failure for rule in PAGE_RULES for failure in rule(page)]
