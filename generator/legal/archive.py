"""Permanent notice versions: the text of every published notice is archived next to the
campaign (`campaigns/<id>.notices/`, committed) and every later build publishes it again as
`privacy-<hash8>.html`.

A consent record names the notice version a person saw; its link must keep working after the
wording changes, even when the site is built on a fresh machine without the previous output.
What is kept is the notice text itself (the thing the version hashes), not a built page: an
old version is rendered again through the current theme, so it never points at CSS or JS that
no longer exists, and no generated assets end up in git.

Layout of the archive (written by the build, never edited by hand):

    campaigns/<id>.notices/<locale>/notice-<hash8>.html   the notice as rendered (one <article>
                                                          per language; ms: BM, then English)
    campaigns/<id>.notices/<locale>/wording-<hash8>.txt   consent wording published with it
                                                          (labels, summary, opt-out), for the record

Each archived notice must still hash to the version it records, so an edited archive file fails
the build instead of silently changing the proof.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from markupsafe import Markup

from generator.legal import approval
from generator import files
from generator.site import notices
from generator.campaign.model import Campaign
from generator.errors import BuildError
from generator.site.views import LocaleView, Wording

FILE = re.compile(r"^notice-([0-9a-f]{8})\.html$")
HEADER = re.compile(r"^<!-- optin notice archive: campaign \S+, locale \S+, notice_version ([0-9a-f]{64})\b")
ARTICLE = re.compile(r'<article class="notice" lang="([\w-]+)">\n(.*?)\n</article>', re.S)


def archive_dir(campaign: Campaign) -> Path:
    return campaign.source.parent / f"{campaign.id}.notices"


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


def record(campaign: Campaign, views: dict[str, LocaleView]) -> list[str]:
    """Archive each locale's notice and consent wording if they are new. Runs after the site is
    published, so a failure (e.g. a read-only checkout) is returned as a warning, not raised."""
    folder = archive_dir(campaign)
    try:
        for lang, view in views.items():
            for name, make in ((f"notice-{view.notice_version[:8]}.html", notice_text),
                               (f"wording-{view.wording_version[:8]}.txt", wording_text)):
                if not (folder / lang / name).exists():
                    files.write_atomic(folder / lang / name, make(campaign, view))
    except OSError as exc:
        return [f"campaign {campaign.id}: the notice versions could not be archived in {folder} ({exc}); "
                "old consent records may lose their notice link when the wording changes"]
    return []


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
    """Every archived notice version other than the current one, per locale, oldest name first."""
    folder = archive_dir(campaign)
    out: dict[str, list[LocaleView]] = {}
    for lang, view in views.items():
        files = sorted(p for p in (folder / lang).glob("notice-*.html") if FILE.match(p.name))
        out[lang] = [old for old in (_read(p, view) for p in files) if old.notice_version != view.notice_version]
    return out
