"""The legal review document: every legal text of a campaign as rendered (legal/texts.py), per
locale side by side, each with its hash and approval status, and a highlighted diff against the
approved text; then the published versions in the archive.

Two files per campaign: `<id>.html` (self-contained: one <style> element allowed by a hash in its
Content-Security-Policy, no external requests, no scripts) and `<id>.md` (the same content as
text, one locale after the other, for diffing and for e-mail).
"""
from __future__ import annotations

import base64
import difflib
import hashlib
import html
import re
from dataclasses import dataclass
from pathlib import Path

from generator.legal import approval, archive
from generator.i18n.formatting import language_name
from generator.site import notices
from generator.legal.approval import LegalText
from generator.campaign.model import Campaign
from generator.site.views import LocaleView

STATUS_TEXT = {"approved": "approved", "changed": "CHANGED since approval", "new": "not approved yet"}
CSS = """
body{font:15px/1.45 system-ui,sans-serif;color:#1a1a1a;background:#fff;margin:0}
header,main{padding:0 1.5rem}
h1{font-size:1.5rem;margin:1rem 0 .3rem}
h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:2px solid #1a1a1a}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #888;padding:.25rem .5rem;text-align:left;vertical-align:top}
code{font-size:.85em}
.row{display:grid;grid-auto-flow:column;grid-auto-columns:minmax(15rem,1fr);gap:.75rem;overflow-x:auto}
.cell{border:1px solid #888;border-radius:4px;padding:.5rem .75rem;min-width:0}
.cell h3{font-size:1rem;margin:.2rem 0}
.meta{font-size:.85rem;margin:.2rem 0 .6rem;color:#333}
.st{font-weight:700;padding:0 .3rem;border-radius:3px}
.st-approved{background:#d9f2d9;color:#0b4d0b}
.st-changed{background:#ffe08a;color:#4d3800}
.st-new{background:#e0e0ff;color:#1a1a66}
.cell.changed{border:3px solid #b36b00}
.text{overflow-wrap:anywhere;border-top:1px solid #ccc;margin-top:.4rem}
.text h4{font-size:1.05rem;margin:.6rem 0 .2rem}
.text h5{font-size:.95rem;margin:.6rem 0 .2rem}
.lang-part+.lang-part{border-top:1px dashed #888;margin-top:.5rem;padding-top:.3rem}
.diff{font-size:.9rem;background:#fafafa;border:1px solid #ccc;padding:.3rem .5rem}
.diff p{margin:.15rem 0}
del{background:#ffd0d0;color:#6b0000}
ins{background:#c8f5c8;color:#004d00;text-decoration:none;border-bottom:2px solid #007a00}
.d-del{background:#fff0f0}.d-ins{background:#f0fff0}
.skip{color:#555;font-style:italic}
""".strip()
TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass
class Entry:
    lang: str
    text: LegalText
    status: str
    approved: dict | None  # the approved item (hash, by, at, text) or None


def collect(campaign: Campaign, texts: dict[str, dict[str, LegalText]], record: dict | None) -> dict[str, list[Entry]]:
    """item key -> one entry per locale (in the campaign's locale order)."""
    out: dict[str, list[Entry]] = {}
    for lang, items in texts.items():
        for key, text in items.items():
            item = approval.approved_item(record, lang, key)
            out.setdefault(key, []).append(Entry(lang, text, approval.status(record, lang, text), item))
    return out


# --- diffs ---------------------------------------------------------------------------------------

def _word_diff(old: str, new: str) -> str:
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(html.escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(f"<del>{html.escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{html.escape(''.join(b[j1:j2]))}</ins>")
    return "".join(out)


def diff_html(old: list[str], new: list[str], context: int = 1) -> str:
    """Line diff with word-level highlighting inside changed lines; long unchanged runs folded."""
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            lines = new[j1:j2]
            if len(lines) > 2 * context + 1:
                keep = [html.escape(x) for x in lines[:context]]
                folded = f'<p class="skip">… {len(lines) - 2 * context} unchanged lines …</p>'
                out += [f"<p>{x}</p>" for x in keep] + [folded]
                out += [f"<p>{html.escape(x)}</p>" for x in lines[len(lines) - context:]]
            else:
                out += [f"<p>{html.escape(x)}</p>" for x in lines]
            continue
        olds, news = old[i1:i2], new[j1:j2]
        pairs = min(len(olds), len(news)) if tag == "replace" else 0
        for k in range(pairs):
            out.append(f'<p class="d-chg">{_word_diff(olds[k], news[k])}</p>')
        out += [f'<p class="d-del"><del>{html.escape(x)}</del></p>' for x in olds[pairs:]]
        out += [f'<p class="d-ins"><ins>{html.escape(x)}</ins></p>' for x in news[pairs:]]
    return '<div class="diff">' + "\n".join(out) + "</div>"


def diff_text(old: list[str], new: list[str]) -> list[str]:
    return list(difflib.unified_diff(old, new, "approved", "now", lineterm="", n=1))


# --- HTML ----------------------------------------------------------------------------------------

def _demote(fragment: str, prefix: str) -> str:
    """A rendered text inside a cell: headings below the document's, ids unique in the document."""
    fragment = notices.ID_ATTR.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}{m.group(3)}", fragment)
    return re.sub(r"<(/?)h([1-3])\b", lambda m: f"<{m.group(1)}h{int(m.group(2)) + 3}", fragment)


def _approved_by(entry: Entry) -> str:
    """Who approved the text (approved), or its earlier version (changed); '' for a new text."""
    item = entry.approved
    if not item:
        return ""
    who = f"{item.get('approved_by', '?')} on {item.get('approved_at', '?')}"
    return f"by {who}" if entry.status == "approved" else f"the earlier version was approved by {who}"


def _cell(campaign: Campaign, entry: Entry) -> str:
    e = html.escape
    text = entry.text
    tag = (lambda lang: f'<p class="meta">{e(language_name(lang))}:</p>') if len(text.fragments) > 1 \
        else (lambda lang: "")
    parts = "".join(
        f'<div class="lang-part" lang="{e(lang)}">{tag(lang)}'
        f'{_demote(fragment, f"{campaign.id}-{entry.lang}-{lang}-{text.key}-")}</div>'
        for lang, fragment in text.fragments)
    meta = (f'<p class="meta">hash <code>{e(text.hash[:16])}</code> '
            f'<span class="st st-{entry.status}">{e(STATUS_TEXT[entry.status])}</span>'
            + (f" · {e(_approved_by(entry))}" if entry.approved else "") + "</p>")
    diff = ""
    if entry.status == "changed" and isinstance(entry.approved.get("text"), list):
        diff = ("<details open><summary>Changes since the approved version</summary>"
                + diff_html(entry.approved["text"], text.lines) + "</details>")
    elif entry.status == "changed":
        diff = '<p class="meta">The approved text was not recorded; only its hash differs.</p>'
    name = language_name(entry.lang)
    return (f'<div class="cell {entry.status}"><h3><span lang="{e(entry.lang)}">{e(name)}</span> '
            f"({e(entry.lang)})</h3>{meta}{diff}<div class=\"text\">{parts}</div></div>")


def _overview(campaign: Campaign, views: dict[str, LocaleView], items: dict[str, list[Entry]]) -> str:
    e = html.escape
    rows = []
    for lang, view in views.items():
        mine = [x for entries in items.values() for x in entries if x.lang == lang]
        todo = ", ".join(f"<code>{e(x.text.key)}</code> ({e(x.status)})" for x in mine if x.status != "approved")
        rows.append(f"<tr><th scope=\"row\">{e(lang)}</th><td><code>{e(view.notice_version[:12])}</code></td>"
                    f"<td><code>{e(view.wording_version[:12])}</code></td>"
                    f"<td>{sum(x.status == 'approved' for x in mine)} of {len(mine)}</td><td>{todo or '–'}</td></tr>")
    return (f"<table><caption>Versions and approval status per locale</caption><thead><tr><th scope=\"col\">locale</th>"
            f"<th scope=\"col\">notice version</th><th scope=\"col\">wording version</th>"
            f"<th scope=\"col\">approved</th><th scope=\"col\">changed or not approved yet</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def counts(items: dict[str, list[Entry]]) -> dict[str, int]:
    out = {"approved": 0, "changed": 0, "new": 0}
    for entries in items.values():
        for entry in entries:
            out[entry.status] += 1
    return out


def _archive_html(campaign: Campaign) -> str:
    e = html.escape
    rows = "".join(f"<tr><td>{e(r['locale'])}</td><td>{e(r['kind'].split('_')[0])}</td><td><code>{e(r['version'][:16])}"
                   f"</code></td><td>{e(r['first_published'] or 'before the publish log')}</td>"
                   f"<td>{e(r['approved_by'] or '?')}</td></tr>" for r in archive.listing(campaign))
    if not rows:
        return "<p>Nothing published yet: only <code>optin build --strict</code> into the project's out_dir publishes.</p>"
    return ('<table><caption>Published versions (campaigns/' + e(campaign.id) + '.notices/published.json)</caption>'
            '<thead><tr><th scope="col">locale</th><th scope="col">kind</th><th scope="col">version</th>'
            '<th scope="col">first published</th><th scope="col">approved by</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def render_html(campaign: Campaign, views: dict[str, LocaleView], texts: dict[str, dict[str, LegalText]],
                record: dict | None) -> str:
    e = html.escape
    items = collect(campaign, texts, record)
    c = counts(items)
    style_hash = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
    csp = f"default-src 'none'; style-src 'sha256-{style_hash}'; base-uri 'none'; form-action 'none'"
    state = (f"Approval file <code>{e(approval.lock_path(campaign).name)}</code>: "
             + (f"{c['approved']} texts approved, {c['changed']} changed since approval, {c['new']} not approved yet."
                if record else "none yet: nothing has been approved for this campaign."))
    sections = []
    for key, entries in items.items():
        title = entries[0].text.title
        sections.append(f'<section aria-labelledby="item-{e(key)}"><h2 id="item-{e(key)}">{e(title)} '
                        f"<code>{e(key)}</code></h2><div class=\"row\">"
                        + "".join(_cell(campaign, x) for x in entries) + "</div></section>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{e(csp)}">
<title>Legal review: {e(campaign.brand_name)} ({e(campaign.id)})</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>Legal review: {e(campaign.brand_name)} <code>{e(campaign.id)}</code></h1>
<p>Every consent label, the summary, the opt-out instruction, the full privacy notice, the messages,
the WhatsApp template and the thanks, confirm and withdraw pages, exactly as the site renders them,
per locale side by side. Each hash is the SHA-256 of the normalised text; the
notice hash is the notice version in the page footer and in every consent record.</p>
<p>{state}</p>
<p>To approve these texts: <code>optin approve {e(campaign.id)} --by "Your Name"</code>.</p>
{_overview(campaign, views, items)}
{_archive_html(campaign)}
</header>
<main>
{''.join(sections)}
</main>
</body>
</html>
"""


def render_markdown(campaign: Campaign, views: dict[str, LocaleView], texts: dict[str, dict[str, LegalText]],
                    record: dict | None) -> str:
    items = collect(campaign, texts, record)
    c = counts(items)
    out = [f"# Legal review: {campaign.brand_name} ({campaign.id})", ""]
    out.append(f"Approval file {approval.lock_path(campaign).name}: "
               + (f"{c['approved']} approved, {c['changed']} changed, {c['new']} not approved yet."
                  if record else "none yet."))
    out += ["", "| locale | notice version | wording version |", "| --- | --- | --- |"]
    out += [f"| {lang} | `{v.notice_version}` | `{v.wording_version}` |" for lang, v in views.items()]
    rows = archive.listing(campaign)
    out += ["", f"Published versions (campaigns/{campaign.id}.notices/published.json):" if rows else
            "Nothing published yet: only `optin build --strict` into the project's out_dir publishes."]
    if rows:
        out += ["", "| locale | kind | version | first published | approved by |", "| --- | --- | --- | --- | --- |"]
        out += [f"| {r['locale']} | {r['kind'].split('_')[0]} | `{r['version']}` | "
                f"{r['first_published'] or 'before the publish log'} | {r['approved_by'] or '?'} |" for r in rows]
    for lang in views:
        out += ["", f"## {lang}: {language_name(lang)}"]
        for key, entries in items.items():
            for entry in (x for x in entries if x.lang == lang):
                by = f" ({_approved_by(entry)})" if entry.approved else ""
                out += ["", f"### {lang} {key}: {entry.text.title}", "",
                        f"hash `{entry.text.hash}`: {STATUS_TEXT[entry.status]}{by}", "", "```text",
                        *entry.text.lines, "```"]
                if entry.status == "changed" and isinstance(entry.approved.get("text"), list):
                    out += ["", "Changes since the approved version:", "", "```diff",
                            *diff_text(entry.approved["text"], entry.text.lines), "```"]
    return "\n".join(out) + "\n"


def write(campaign: Campaign, views: dict[str, LocaleView], texts: dict[str, dict[str, LegalText]],
          out_dir: Path) -> tuple[Path, Path, dict]:
    """Write <out_dir>/<id>.html and .md; return both paths and the status counts."""
    record = approval.load(campaign)
    out_dir.mkdir(parents=True, exist_ok=True)
    page, text = out_dir / f"{campaign.id}.html", out_dir / f"{campaign.id}.md"
    page.write_text(render_html(campaign, views, texts, record), encoding="utf-8")
    text.write_text(render_markdown(campaign, views, texts, record), encoding="utf-8")
    return page, text, counts(collect(campaign, texts, record))
