"""The audit report as JSON (for scripts) or as one self-contained HTML document (to file and
to print): no scripts, no requests, the one <style> allowed by its hash in the CSP, the weekly
charts as inline SVG. The charts' geometry is computed here; the markup is the template's
(templates/audit.html, autoescaped)."""
from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from datetime import date
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

CSS = """
:root{color-scheme:light}
body{font:15px/1.45 system-ui,sans-serif;color:#1a1a1a;background:#fff;margin:0 auto;max-width:64rem;padding:0 1.5rem 2rem}
header{border-bottom:3px solid #1a1a1a;padding:1.2rem 0 .6rem}
h1{font-size:1.7rem;margin:0 0 .4rem}
h2{font-size:1.25rem;margin:2rem 0 .6rem;border-bottom:1px solid #1a1a1a;padding-bottom:.15rem}
h3{font-size:1.05rem;margin:1.3rem 0 .35rem}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:.4rem 0}
dl.meta dt{font-weight:600}dl.meta dd{margin:0}
.summary{border:2px solid #1a1a1a;padding:.4rem 1rem .8rem;margin-top:1.2rem}
.summary.ok{border-color:#1b6b2f}.summary.bad{border-color:#a61b1b}
.verdict{font-size:1.2rem;font-weight:700;margin:.5rem 0}
.ok .verdict{color:#1b6b2f}.bad .verdict{color:#a61b1b}
.figures{display:flex;flex-wrap:wrap;gap:.6rem 2rem;margin:.6rem 0;padding:0;list-style:none}
.figures b{display:block;font-size:1.35rem}
table{border-collapse:collapse;margin:.4rem 0 .8rem;width:100%}
th,td{border:1px solid #999;padding:.2rem .45rem;text-align:left;vertical-align:top}
th{background:#eee}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code,.id{font:12.5px/1.3 ui-monospace,monospace;word-break:break-all}
.problem{border-left:5px solid #a61b1b;padding:.1rem 0 .1rem .8rem;margin:1rem 0}
.fix{font-style:italic}
.muted{color:#555}
figure{margin:.6rem 0 1.2rem}figcaption{font-weight:600;margin-bottom:.3rem}
svg{width:100%;height:auto;max-width:46rem;display:block}
svg text{font:11px system-ui,sans-serif;fill:#1a1a1a}
.grid{stroke:#ccc;stroke-width:1}.axis{stroke:#1a1a1a;stroke-width:1}
.s0{fill:#2b5d9b}.s1{fill:#e39a2d}.s2{fill:#3f8f4f}.s3{fill:#a63d6b}.s4{fill:#6d5fb0}.s5{fill:#7a6a3a}.s6{fill:#3a8a8f}
.key{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem;vertical-align:-.05rem}
.key.s0{background:#2b5d9b}.key.s1{background:#e39a2d}.key.s2{background:#3f8f4f}.key.s3{background:#a63d6b}
.key.s4{background:#6d5fb0}.key.s5{background:#7a6a3a}.key.s6{background:#3a8a8f}
.sign{margin-top:2.5rem;display:grid;grid-template-columns:1fr 1fr;gap:2rem}
.sign p{border-top:1px solid #1a1a1a;padding-top:.2rem;margin:2.2rem 0 0}
@media print{body{max-width:none;padding:0;font-size:11pt}h2{break-after:avoid}
.problem,figure,table,.summary{break-inside:avoid}*{print-color-adjust:exact;-webkit-print-color-adjust:exact}}
@page{margin:16mm 14mm}
""".strip()

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 220, 44, 34, 10
SERIES_MAX = 7  # CSS classes s0..s6


def style_csp() -> str:
    digest = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"


def nice_max(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2, 5 × 10^n)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def chart(weeks: list[dict], series: list[tuple[str, str]], stacked: bool, title: str, ident: str) -> dict:
    """Bars per week: `series` are (label, value key) — a key of the week, or `route:<name>`
    for a count among its withdrawals. Grouped side by side, or stacked."""
    def value(week, key):
        return week["withdrawals"].get(key[6:], 0) if key.startswith("route:") else week[key]

    n = max(1, len(weeks))
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    totals = [sum(value(w, k) for _, k in series) if stacked else max([value(w, k) for _, k in series] or [0])
              for w in weeks]
    top = nice_max(max(totals or [0]))
    slot = min(plot_w / n, 56)  # a few weeks do not make bars a hand wide
    bar_w = slot * 0.8 / (1 if stacked else max(1, len(series)))
    bars = []
    for i, week in enumerate(weeks):
        base = TOP + plot_h
        for j, (label, key) in enumerate(series):
            count = value(week, key)
            if not count:
                continue
            h = plot_h * count / top
            x = LEFT + i * slot + slot * 0.1 + (0 if stacked else j * bar_w)
            y = (base - h) if stacked else (TOP + plot_h - h)
            bars.append({"x": round(x, 2), "y": round(y, 2), "w": round(max(bar_w, 0.5), 2), "h": round(h, 2),
                         "cls": f"s{j % SERIES_MAX}", "title": f"week of {week['week']}: {count} {label}"})
            if stacked:
                base -= h
    every = max(1, math.ceil(n / 8))  # a label is ~80 px wide
    labels, year = [], None
    for i, week in enumerate(weeks):
        if i % every == 0:
            day = date.fromisoformat(week["week"])
            text = f"{day.day} {day:%b}" + (f" {day.year}" if day.year != year else "")
            labels.append({"x": round(LEFT + i * slot + slot / 2, 2), "text": text})
            year = day.year
    step = nice_max(math.ceil(top / 5))
    ticks = [{"y": round(TOP + plot_h - plot_h * t / top, 2), "text": str(t)} for t in range(0, top + 1, step)]
    return {"id": ident, "title": title, "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - 8, "bottom": TOP + plot_h,
            "bars": bars, "labels": labels, "ticks": ticks, "empty": not bars,
            "legend": [{"cls": f"s{j % SERIES_MAX}", "text": label} for j, (label, _) in enumerate(series)]}


def charts(report: dict) -> list[dict]:
    weeks = report["weekly"]
    routes = [r["route"] for r in report["withdrawals"]["routes"]]
    span = f", weeks of {weeks[0]['week']} to {weeks[-1]['week']}" if weeks else ""
    return [
        chart(weeks, [("sign-ups", "signups"), ("confirmations", "confirmations")], False,
              "Sign-ups and confirmations per week" + span, "chart-signups"),
        chart(weeks, [(route, f"route:{route}") for route in routes], True, "Withdrawals per week, by route" + span,
              "chart-withdrawals"),
    ]


def duration(seconds) -> str:
    """3.2 s, 14 min, 5.0 h, 2.1 days."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds % 1 else f"{int(seconds)} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


TICKS = re.compile(r"`([^`]+)`")


def prose(value) -> Markup:
    """A text escaped, then its `code spans` (the report's own texts use them) as <code>."""
    return Markup(TICKS.sub(r"<code>\1</code>", str(Markup.escape(value))))


def percent(rate) -> str:
    return "–" if rate is None else f"{rate * 100:.1f} %"


@cache
def env() -> Environment:
    environment = Environment(loader=PackageLoader("generator.receiver", "templates"), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(duration=duration, percent=percent, prose=prose)
    environment.globals["columns"] = columns
    return environment


ORDER = ("record_id", "campaign", "locale", "event_id", "message_id", "channel", "kind", "status", "ts", "detail")


def columns(items: list[dict]) -> list[str]:
    """The columns of a problem's table: the fields its items have, in a fixed order."""
    return [k for k in ORDER if any(k in item for item in items)]


def html(report: dict) -> str:
    return env().get_template("audit.html").render(r=report, charts=charts(report), css=Markup(CSS), csp=style_csp())


def as_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


def render(report: dict, fmt: str) -> str:
    return {"json": as_json, "html": html}[fmt](report)
