"""`optin check`'s reports: a table for people, JSON for scripts and CI (format in docs/marketer.md)."""
from __future__ import annotations

import json
from pathlib import Path

from generator.check.model import Failure
from generator.check.run import rules


def as_json(root: Path, failures: list[Failure], pages: int, browser: bool) -> str:
    return json.dumps({
        "site": str(root), "pages_checked": pages, "browser": browser, "ok": not failures,
        "rules": sorted(rules(browser)), "failures": [f.as_dict() for f in failures],
    }, indent=2, ensure_ascii=False)


def as_table(failures: list[Failure], pages: int) -> str:
    if not failures:
        return f"OK: {pages} pages pass every rule"
    head = ("PAGE", "RULE", "ELEMENT", "PROBLEM")
    rows = [(f.page, f.rule, f.element or "-", f.message) for f in failures]
    widths = [min(48, max(len(r[i]) for r in [head, *rows])) for i in range(3)]
    lines = []
    for row in [head, *rows]:
        cells = [row[i].ljust(widths[i]) for i in range(3)]
        lines.append("  ".join([*cells, row[3]]).rstrip())
    failing = len({f.page for f in failures})
    lines.append(f"{len(failures)} failure(s) on {failing} page(s) or file(s); {pages} pages checked")
    return "\n".join(lines)
