"""The archive of published versions: the text of every notice and consent wording the site
has really shown is kept next to the campaign (`campaigns/<id>.notices/`, committed), and every
later build publishes each archived notice again as `privacy-<hash8>.html`.

Publishing is `optin build --strict` into the project's configured out_dir (pipeline/build.py):
only then are the current texts (all approved, or the build fails) archived. A plain build, a
build with `--out` elsewhere and `optin serve` archive nothing: drafts are never "earlier
versions shown when people gave consent".

A consent record names the notice version a person saw; its link must keep working after the
wording changes, even when the site is built on a fresh machine without the previous output.
What is kept is the notice text itself (the thing the version hashes), not a built page: an
old version is rendered again through the current theme, so it never points at CSS or JS that
no longer exists, and no generated assets end up in git.

Layout of the archive (written by the build and `optin review --drop`, never edited by hand):

    campaigns/<id>.notices/published.json                 which versions were published, per locale:
                                                          first published when, approved by whom
                                                          (site/published.py; the receiver reads it)
    campaigns/<id>.notices/dropped.log                    append-only: versions dropped as never
                                                          public, by whom, when and why
    campaigns/<id>.notices/<locale>/notice-<hash8>.html   the notice as rendered (one <article>
                                                          per language; ms: BM, then English)
    campaigns/<id>.notices/<locale>/wording-<hash8>.txt   consent wording published with it
                                                          (labels, summary, opt-out), for the record

Each archived notice must still hash to the version it records, so an edited archive file fails
the build instead of silently changing the proof.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

from markupsafe import Markup

from generator.legal import approval
from generator import files
from generator.site import notices, published
from generator.site.published import KINDS, NOTICE, WORDING
from generator.campaign.model import Campaign
from generator.errors import BuildError, OptinError
from generator.site.views import LocaleView, Wording

FILE = re.compile(r"^notice-([0-9a-f]{8})\.html$")
HEADER = re.compile(r"^<!-- optin notice archive: campaign \S+, locale \S+, notice_version ([0-9a-f]{64})\b")
ARTICLE = re.compile(r'<article class="notice" lang="([\w-]+)">\n(.*?)\n</article>', re.S)
NAMES = {NOTICE: "notice-{}.html", WORDING: "wording-{}.txt"}
PREFIX = re.compile(r"^[0-9a-f]{8,64}$")


def archive_dir(campaign: Campaign) -> Path:
    return published.archive_dir(campaign)


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(timezone.utc)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def notice_text(campaign: Campaign, view: LocaleView) -> str:
    """The archive file of a locale's current notice."""
    head = (f"<!-- optin notice archive: campaign {campaign.id}, locale {view.lang}, notice_version "
            f"{view.notice_version}. Proof of what people were shown: never edit this file. -->\n")
    return head + "".join(f'<article class="notice" lang="{w.lang}">\n{w.notice}\n</article>\n'
                          for w in view.wordings)


def wording_text(campaign: Campaign, view: LocaleView) -> str:
    body = [f"campaign {campaign.id}, locale {view.lang}", f"wording_version {view.wording_version}",
            f"notice_version {view.notice_version}", ""]
    for key, text in approval.legal_texts(view).items():
        if key != approval.NOTICE:
            body += [f"## {key} ({text.hash})", *text.lines, ""]
    return "\n".join(body)


def _approvers(record: dict | None, lang: str, keys) -> str:
    names = [(approval.approved_item(record, lang, k) or {}).get("approved_by") for k in keys]
    return ", ".join(dict.fromkeys(n for n in names if n)) or "?"


def record(campaign: Campaign, views: dict[str, LocaleView], now: datetime | None = None) -> tuple[list[str], list[str]]:
    """Publish: archive each locale's notice and consent wording and list them in published.json
    if they are new. Returns ('<locale> <kind> <hash12>' newly published, warnings). Runs after
    the site is published, so a failure (e.g. a read-only checkout) is a warning, not raised."""
    folder = archive_dir(campaign)
    lock, when, new = approval.load(campaign), _stamp(now), []
    try:
        data = published.read(folder)
        fresh = not (folder / published.MANIFEST).is_file()
        for lang, view in views.items():
            kinds = data.setdefault(lang, {NOTICE: [], WORDING: []})
            keys = list(approval.legal_texts(view))
            for kind, make, by in ((NOTICE, notice_text, [approval.NOTICE]),
                                   (WORDING, wording_text, [k for k in keys if k != approval.NOTICE])):
                version = getattr(view, kind)
                path = folder / lang / NAMES[kind].format(version[:8])
                if not path.exists():
                    files.write_atomic(path, make(campaign, view))
                if version not in {e["version"] for e in kinds[kind]}:
                    kinds[kind].append(published.entry(version, when, _approvers(lock, lang, by)))
                    new.append(f"{lang} {kind.split('_')[0]} {version[:12]}")
        if new or fresh:
            published.write(folder, campaign.id, data)
    except OSError as exc:
        return [], [f"campaign {campaign.id}: the published versions could not be archived in {folder} ({exc}); "
                    "old consent records may lose their notice link when the wording changes"]
    return new, []


def _read(path: Path, current: LocaleView) -> LocaleView:
    """An archived notice as a view of the current locale with that notice and version."""
    text = path.read_text(encoding="utf-8")
    head, articles = HEADER.match(text), ARTICLE.findall(text)
    version = head.group(1) if head else ""
    if (not articles or not version.startswith(FILE.match(path.name).group(1))
            or notices.content_hash(*(body for _, body in articles)) != version):
        raise BuildError(f"{path}: its notice text no longer matches the version in its name; archived "
                         "notices are proof of what people were shown and must not be edited (restore the "
                         "file from git)")
    wordings = [Wording(lang, (), Markup(""), notices.NoticeHtml(body)) for lang, body in articles]
    return dataclasses.replace(current, primary=wordings[0], secondary=wordings[1] if len(wordings) > 1 else None,
                               notice_version=version)


def earlier_versions(campaign: Campaign, views: dict[str, LocaleView]) -> dict[str, list[LocaleView]]:
    """Every published notice version other than the current one, per locale, in the order
    they were first published."""
    folder = archive_dir(campaign)
    data = published.read(folder)
    out: dict[str, list[LocaleView]] = {}
    for lang, view in views.items():
        out[lang] = []
        for item in data.get(lang, {}).get(NOTICE, []):
            if item["version"] == view.notice_version:
                continue
            path = folder / lang / NAMES[NOTICE].format(item["version"][:8])
            if not path.is_file():
                raise BuildError(f"{folder / published.MANIFEST}: locale {lang}: notice version {item['version'][:12]} "
                                 f"was published but {path.name} is missing (restore it from git)")
            old = _read(path, view)
            if old.notice_version != item["version"]:
                raise BuildError(f"{path}: holds notice version {old.notice_version[:12]}, not the published "
                                 f"{item['version'][:12]} (restore the archive from git)")
            out[lang].append(old)
    return out


def listing(campaign: Campaign) -> list[dict]:
    """The published versions, one dict per locale and kind (locale, kind, version,
    first_published, approved_by), for `optin review`."""
    data = published.read(archive_dir(campaign))
    return [{"locale": lang, "kind": kind, **item} for lang, kinds in data.items() for kind in KINDS
            for item in kinds.get(kind, [])]


def dropped(campaign: Campaign) -> list[dict]:
    path = archive_dir(campaign) / published.DROP_LOG
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue  # a hand-made note in the log: kept, not listed
        if isinstance(item, dict):
            out.append(item)
    return out


def drop(campaign: Campaign, views: dict[str, LocaleView], version: str, by: str, reason: str,
         locale: str | None = None, now: datetime | None = None) -> list[dict]:
    """Take a version that was never public out of the archive: out of published.json (so no
    build republishes it and no receiver accepts it), its file removed, and a line appended to
    dropped.log saying who dropped it, when and why. Returns the dropped entries."""
    by, reason, version = " ".join(by.split()), " ".join(reason.split()), version.strip().lower()
    if not by:
        raise OptinError("--by needs the name of the person dropping the version")
    if not reason:
        raise OptinError("--reason needs to say why the version was never public")
    if not PREFIX.match(version):
        raise OptinError(f"{version!r} is not a version: give 8 to 64 hex digits of a notice or wording "
                         "version (as listed by `optin review`, or the <hash8> of privacy-<hash8>.html)")
    folder = archive_dir(campaign)
    data = published.read(folder)
    hits = [(lang, kind, item) for lang, kinds in data.items() if locale in (None, lang)
            for kind in KINDS for item in kinds.get(kind, []) if item["version"].startswith(version)]
    where = f"campaign {campaign.id}" + (f", locale {locale}" if locale else "")
    if not hits:
        raise OptinError(f"{where}: no published version {version} (see `optin review {campaign.id}`)")
    if len({item["version"] for _, _, item in hits}) > 1:
        raise OptinError(f"{where}: {version} matches several versions; give more hex digits")
    for lang, kind, item in hits:
        if lang in views and getattr(views[lang], kind) == item["version"]:
            raise OptinError(f"{where}: {version} is the {kind.split('_')[0]} locale {lang} shows now; change the "
                             "text first (a later publish would list it again)")
    when = _stamp(now)
    lines = [json.dumps({"dropped_at": when, "by": by, "reason": reason, "campaign": campaign.id, "locale": lang,
                         "kind": kind, **item}, ensure_ascii=False) for lang, kind, item in hits]
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / published.DROP_LOG, "a", encoding="utf-8") as log:  # append-only: the record stays
        log.write("".join(line + "\n" for line in lines))
        log.flush()
        os.fsync(log.fileno())
    for lang, kind, item in hits:
        data[lang][kind] = [e for e in data[lang][kind] if e["version"] != item["version"]]
    published.write(folder, campaign.id, data)
    for lang, kind, item in hits:
        (folder / lang / NAMES[kind].format(item["version"][:8])).unlink(missing_ok=True)
    return [{"locale": lang, "kind": kind, **item} for lang, kind, item in hits]
