"""Permanent notice versions: every published `privacy-<hash8>.html` is archived next to the
campaign (`campaigns/<id>.notices/`, committed) and republished by every later build.

A consent record names the notice version a person saw; its link must keep working after the
wording changes, even when the site is built on a fresh machine without the previous output.

Layout of the archive (all written by the build, never edited by hand):

    campaigns/<id>.notices/<locale>/privacy-<hash8>.html   the page exactly as first published
    campaigns/<id>.notices/<locale>/wording-<hash8>.txt    consent wording of that build (labels,
                                                           summary, opt-out), for the record
    campaigns/<id>.notices/assets/...                      CSS/JS/logo files those pages use

Republishing checks each archived page: the text of its notice must still hash to the version
in its name, so an edited archive file fails the build instead of silently changing the proof.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from . import approval, notices
from .campaign import Campaign
from .errors import BuildError
from .resolve import LocaleView

PAGE = re.compile(r"^privacy-([0-9a-f]{8})\.html$")
ARTICLE = re.compile(r'<article class="notice"[^>]*>(.*?)</article>', re.S)
ASSET_REF = re.compile(r'(?:href|src)="((?:\.\./)*assets/[^"#?]+)"')


def archive_dir(campaign: Campaign) -> Path:
    return campaign.source.parent / f"{campaign.id}.notices"


def notice_hash(page_html: str) -> str:
    """The notice version of a published privacy page, computed from its text."""
    return notices.content_hash(*ARTICLE.findall(page_html))


def _copy(src: Path, dest: Path) -> None:
    """Copy atomically (parallel builds of the same campaign must not see half a file)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _assets_of(page: Path, page_html: str, site: Path) -> list[Path]:
    """Asset files (relative to `site`) a page under site/<id>/<lang>/ refers to."""
    out = []
    for ref in ASSET_REF.findall(page_html):
        target = (page.parent / ref).resolve()
        try:
            out.append(target.relative_to(site.resolve()))
        except ValueError:
            continue
    return out


def record(campaign: Campaign, views: dict[str, LocaleView], site: Path) -> list[str]:
    """Archive the notice version of each locale if it is new. Runs after the site is published,
    so a failure (e.g. a read-only checkout) is returned as a warning, not raised."""
    folder = archive_dir(campaign)
    try:
        for lang, view in views.items():
            page = site / campaign.id / lang / view.notice_file
            dest = folder / lang / view.notice_file
            if not page.is_file():
                continue
            wording = folder / lang / f"wording-{view.wording_version[:8]}.txt"
            if not wording.exists():
                wording.parent.mkdir(parents=True, exist_ok=True)
                texts = approval.legal_texts(view)
                body = [f"campaign {campaign.id}, locale {lang}", f"wording_version {view.wording_version}",
                        f"notice_version {view.notice_version}", ""]
                for key, text in texts.items():
                    if key != approval.NOTICE:
                        body += [f"## {key} ({text.hash})", *text.lines, ""]
                tmp = wording.with_name(f".{wording.name}.tmp{os.getpid()}")
                tmp.write_text("\n".join(body), encoding="utf-8")
                os.replace(tmp, wording)
            if dest.exists():
                continue
            text = page.read_text(encoding="utf-8")
            for asset in _assets_of(page, text, site):
                if not (folder / asset).exists():
                    _copy(site / asset, folder / asset)
            _copy(page, dest)
    except OSError as exc:
        return [f"campaign {campaign.id}: the notice versions could not be archived in {folder} ({exc}); "
                "old consent records may lose their notice link when the wording changes"]
    return []


def republish(campaign: Campaign, site: Path) -> int:
    """Copy every archived notice version the current build did not produce into `site`, with
    the assets it uses. Returns the number of pages added."""
    folder = archive_dir(campaign)
    if not folder.is_dir():
        return 0
    count = 0
    for page in sorted(folder.glob("*/privacy-*.html")):
        match = PAGE.match(page.name)
        if not match or page.parent.name == "assets":
            continue
        text = page.read_text(encoding="utf-8")
        # A theme whose privacy page has no <article class="notice"> cannot be verified.
        if ARTICLE.search(text) and not notice_hash(text).startswith(match.group(1)):
            raise BuildError(f"{page}: its notice text no longer matches version {match.group(1)} in its "
                             "name; archived notices are proof and must not be edited (restore it from git)")
        target = site / campaign.id / page.parent.name / page.name
        if target.exists():
            continue
        for asset in _assets_of(target, text, site):
            if not (site / asset).exists() and (folder / asset).is_file():
                _copy(folder / asset, site / asset)
        _copy(page, target)
        count += 1
    return count
