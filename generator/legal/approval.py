"""Legal texts per campaign and locale, and their approval lock file.

The legal texts of a locale are what a person reads before consenting: each consent label, the
summary next to the checkboxes, the opt-out instruction and the full privacy notice, all as
rendered (ms pages: Bahasa Malaysia and English), and what the flow says after it: the messages,
the WhatsApp template and the thanks, confirm and withdraw pages (legal/texts.py). Each has a
content hash (`notices.content_hash`, the same normalisation as the versions in the page footer).

`optin approve` records the hashes and the texts (so later reviews can show a diff) in
`campaigns/<id>.approved.json`, committed next to the campaign. The build compares: a plain
build warns about unapproved or changed texts, `optin build --strict` fails.
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from generator import files
from generator.site import notices
from generator.campaign.model import Campaign
from generator.errors import BuildError, OptinError
from generator.text import strip_tags
from generator.site.views import LocaleView

FORMAT = 1
SUMMARY, OPT_OUT, NOTICE = "summary", "opt_out", "notice"
LABEL = "label:"  # + purpose id


@dataclass(frozen=True)
class LegalText:
    key: str  # "label:<purpose id>", "summary", "opt_out", "notice"
    title: str  # for people: "Consent label: offers"
    fragments: tuple[tuple[str, str], ...]  # (lang, rendered HTML) per language shown
    hash: str

    @property
    def lines(self) -> list[str]:
        """Readable text, one block per line; a second language starts with a [lang] line."""
        out: list[str] = []
        for lang, fragment in self.fragments:
            if len(self.fragments) > 1:
                out.append(f"[{lang}]")
            out += readable(fragment)
        return out


_BLOCKS = "p|div|ul|ol|article|section|blockquote|aside|form|fieldset|legend|label|button"
_BLOCK_OPEN = re.compile(rf"<(?:{_BLOCKS})\b[^>]*>", re.I)
_BLOCK_CLOSE = re.compile(rf"</(?:li|h[1-6]|{_BLOCKS})>|<br\s*/?>", re.I)
_HEADING = re.compile(r"<h([1-6])\b[^>]*>", re.I)
_ITEM = re.compile(r"<li\b[^>]*>", re.I)


def readable(fragment: str) -> list[str]:
    """Rendered HTML -> lines of plain text (headings as '#', list items as '- '), for diffs."""
    text = _HEADING.sub(lambda m: "\n" + "#" * int(m.group(1)) + " ", fragment)
    text = _ITEM.sub("\n- ", text)
    text = _BLOCK_CLOSE.sub("\n", _BLOCK_OPEN.sub("\n", text))
    text = strip_tags(text, "")
    lines: list[str] = []
    for raw in text.split("\n"):
        line = " ".join(raw.split())
        if not line:
            continue
        if lines and lines[-1] == "-":  # loose list item: "- " then its paragraph
            lines[-1] = f"- {line}"
        else:
            lines.append(line)
    return lines


def _withdraw_section(notice_html: str) -> str:
    return notices.sections(notice_html).get("withdraw", "")


def legal_texts(view: LocaleView) -> dict[str, LegalText]:
    """Every legal text of one locale page, keyed as in the lock file."""
    wordings = view.wordings
    out: dict[str, LegalText] = {}
    for i, purpose in enumerate(view.primary.purposes):
        frags = tuple((w.lang, html.escape(w.purposes[i].label)) for w in wordings)
        out[LABEL + purpose.id] = LegalText(LABEL + purpose.id, f"Consent label: {purpose.id}", frags,
                                            notices.content_hash(*(f for _, f in frags)))
    frags = tuple((w.lang, str(w.summary)) for w in wordings)
    out[SUMMARY] = LegalText(SUMMARY, "Summary next to the checkboxes", frags,
                             notices.content_hash(*(f for _, f in frags)))
    frags = tuple(
        (w.lang, "".join(f"<p>{html.escape(p.label)}: {html.escape(getattr(p, 'stop', '') or '')}</p>"
                         for p in w.purposes if getattr(p, "stop", ""))
         + _withdraw_section(str(w.notice)))
        for w in wordings)
    out[OPT_OUT] = LegalText(OPT_OUT, "Opt-out instruction (next to each checkbox, and in the notice)", frags,
                             notices.content_hash(*(f for _, f in frags)))
    frags = tuple((w.lang, str(w.notice)) for w in wordings)
    out[NOTICE] = LegalText(NOTICE, "Privacy notice", frags, notices.content_hash(*(f for _, f in frags)))
    return out


# --- the lock file ------------------------------------------------------------------------------

def lock_path(campaign: Campaign) -> Path:
    return campaign.source.parent / f"{campaign.id}.approved.json"


def load(campaign: Campaign) -> dict | None:
    """The approval record, or None when the campaign was never approved."""
    path = lock_path(campaign)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(f"{path}: cannot read the approval file: {exc} "
                         f"(restore it from git, or run `optin approve {campaign.id} --by NAME` again)") from None
    if not isinstance(data, dict) or not isinstance(data.get("locales"), dict):
        raise BuildError(f"{path}: not an approval file (no 'locales' object); "
                         f"run `optin approve {campaign.id} --by NAME` again")
    return data


def approved_item(record: dict | None, lang: str, key: str) -> dict | None:
    if not record:
        return None
    item = record["locales"].get(lang, {}).get("items", {}).get(key)
    return item if isinstance(item, dict) and "hash" in item else None


def status(record: dict | None, lang: str, text: LegalText) -> str:
    """'approved', 'changed' (an approved version exists, this differs) or 'new'."""
    item = approved_item(record, lang, text.key)
    if item is None:
        return "new"
    return "approved" if item["hash"] == text.hash else "changed"


def check(campaign: Campaign, texts: dict[str, dict[str, LegalText]]) -> list[str]:
    """One message per legal text (`texts`: locale -> key -> text, legal/texts.py) that is not
    approved as rendered (empty: all approved)."""
    record = load(campaign)
    fix = f"review with `optin review {campaign.id}`, then `optin approve {campaign.id} --by NAME`"
    if record is None:
        return [f"campaign {campaign.id}: legal texts not approved: no {lock_path(campaign).name} ({fix})"]
    out = []
    for lang, items in texts.items():
        for key, text in items.items():
            item = approved_item(record, lang, key)
            where = f"campaign {campaign.id}, locale {lang}, {key}"
            if item is None:
                out.append(f"{where}: not approved ({fix})")
            elif item["hash"] != text.hash:
                out.append(f"{where}: differs from the version approved by {item.get('approved_by', '?')} "
                           f"on {item.get('approved_at', '?')} (approved {item['hash'][:12]}, "
                           f"now {text.hash[:12]}; {fix})")
    return out


def approve(campaign: Campaign, views: dict[str, LocaleView], texts: dict[str, dict[str, LegalText]], by: str,
            locales: list[str] | None = None, now: datetime | None = None) -> tuple[Path, list[str]]:
    """Record the current legal texts (locale -> key -> text) as approved by `by`. Items whose text is unchanged keep
    their earlier approval (who/when), so the lock file's git history shows what legal signed
    off and when. Returns the path and the keys ('<locale> <item>') newly approved."""
    by = " ".join(by.split())
    if not by:
        raise OptinError("--by needs the name of the person approving the texts")
    unknown = sorted(set(locales or []) - set(views))
    if unknown:
        raise OptinError(f"campaign {campaign.id} has no locale {', '.join(unknown)} "
                         f"(its locales: {', '.join(views)})")
    record = load(campaign) or {}
    when = (now or datetime.now(timezone.utc)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    old_locales = record.get("locales", {})
    new_locales: dict[str, dict] = {}
    changed: list[str] = []
    for lang in campaign.locales:
        view = views[lang]
        if locales and lang not in locales:
            if lang in old_locales:
                new_locales[lang] = old_locales[lang]
            continue
        items = {}
        for key, text in texts[lang].items():
            old = approved_item(record, lang, key)
            if old and old["hash"] == text.hash:
                items[key] = old
                continue
            items[key] = {"hash": text.hash, "approved_by": by, "approved_at": when,
                          "title": text.title, "text": text.lines}
            changed.append(f"{lang} {key}")
        new_locales[lang] = {"notice_version": view.notice_version, "wording_version": view.wording_version,
                             "notice_file": view.notice_file, "items": items}
    data = {
        "format": FORMAT,
        "campaign": campaign.id,
        "about": "Legal texts approved for this campaign, written by `optin approve`; commit it. "
                 "`optin build --strict` fails when a rendered text no longer matches its hash.",
        "locales": new_locales,
    }
    path = lock_path(campaign)
    files.write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")
    return path, changed
