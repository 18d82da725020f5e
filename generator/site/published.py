"""Published versions: the notice and consent-wording versions a campaign's pages have really
shown, per locale. One format, two copies:

    campaigns/<id>.notices/published.json   the record, committed; written only when a build
                                            publishes (legal/archive.py) or a version is dropped
    <site>/<id>/versions.json               written by every build: the published versions plus
                                            the ones this output shows (`current`)

The receiver (`Accepted`) takes a sign-up's `notice_version` and `wording_version` only when
they were published for that campaign and locale, or are what the campaign renders now; a
forged hash, or a version of another locale, is refused. This module sits below legal/ and
receiver/ so both read the same file.

An archive written before published.json existed counts as published in full (its notice and
wording files are read instead): the safe side for old consent records, whose notice links must
keep working; drop versions that were never public with `optin review --drop`.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from pathlib import Path

from generator import files
from generator.campaign.model import Campaign
from generator.errors import BuildError, OptinError

FORMAT = 1
MANIFEST, SITE_MANIFEST, DROP_LOG = "published.json", "versions.json", "dropped.log"
NOTICE, WORDING = "notice_version", "wording_version"
KINDS = (NOTICE, WORDING)
LISTS = {NOTICE: "notice_versions", WORDING: "wording_versions"}
HEX64 = re.compile(r"^[0-9a-f]{64}$")
_LEGACY = {NOTICE: ("notice-*.html", re.compile(r"notice_version ([0-9a-f]{64})\b")),
           WORDING: ("wording-*.txt", re.compile(r"^wording_version ([0-9a-f]{64})$", re.M))}
ABOUT = ("Notice and consent wording versions this campaign has published (shown on its live site), "
         "per locale; written by `optin build --strict` into the project's out_dir. Commit it. The "
         "receiver accepts only these versions (and the current ones); never edit it by hand: drop a "
         "version that was never public with `optin review CAMPAIGN --drop VERSION --by NAME --reason TEXT`.")
log = logging.getLogger("optin.published")


def current(views) -> dict[str, dict[str, str]]:
    """Locale -> the notice and wording versions its pages show (LocaleViews by locale)."""
    return {lang: {NOTICE: v.notice_version, WORDING: v.wording_version} for lang, v in views.items()}


def archive_dir(campaign: Campaign) -> Path:
    return campaign.source.parent / f"{campaign.id}.notices"


def entry(version: str, first_published: str | None, approved_by: str | None) -> dict:
    return {"version": version, "first_published": first_published, "approved_by": approved_by}


def _legacy(folder: Path) -> dict[str, dict[str, list[dict]]]:
    """An archive from before published.json: every archived file counts as published."""
    out: dict[str, dict[str, list[dict]]] = {}
    for lang_dir in sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
        for kind, (pattern, version) in _LEGACY.items():
            for path in sorted(lang_dir.glob(pattern)):
                found = version.search(path.read_text(encoding="utf-8")[:400])
                prefix = pattern.split("*")[0]
                if found and path.name[len(prefix):len(prefix) + 8] == found.group(1)[:8]:
                    out.setdefault(lang_dir.name, {NOTICE: [], WORDING: []})[kind].append(
                        entry(found.group(1), None, None))
    return out


def read(folder: Path) -> dict[str, dict[str, list[dict]]]:
    """locale -> kind (NOTICE, WORDING) -> entries (version, first_published, approved_by), in
    the order they were first published."""
    path = folder / MANIFEST
    if not path.is_file():
        return _legacy(folder)
    fix = "restore it from git; it is the record of what the site has shown"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(f"{path}: cannot read the published versions: {exc} ({fix})") from None
    locales = data.get("locales") if isinstance(data, dict) else None
    if not isinstance(locales, dict):
        raise BuildError(f"{path}: not a list of published versions (no 'locales' object; {fix})")
    out: dict[str, dict[str, list[dict]]] = {}
    for lang, kinds in locales.items():
        out[lang] = {}
        for kind, key in LISTS.items():
            items = kinds.get(key, []) if isinstance(kinds, dict) else None
            if not isinstance(items, list) or not all(
                    isinstance(i, dict) and HEX64.match(str(i.get("version", ""))) for i in items):
                raise BuildError(f"{path}: locale {lang}: {key} must be a list of "
                                 f"{{version, first_published, approved_by}} ({fix})")
            out[lang][kind] = [entry(i["version"], i.get("first_published"), i.get("approved_by")) for i in items]
    return out


def write(folder: Path, campaign_id: str, data: dict[str, dict[str, list[dict]]]) -> Path:
    body = {"format": FORMAT, "campaign": campaign_id, "about": ABOUT,
            "locales": {lang: {LISTS[k]: kinds.get(k, []) for k in KINDS} for lang, kinds in data.items()}}
    path = folder / MANIFEST
    files.write_atomic(path, json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    return path


def versions(data: dict[str, dict[str, list[dict]]]) -> dict[str, dict[str, set[str]]]:
    """locale -> kind -> the published versions, as a set."""
    return {lang: {k: {e["version"] for e in kinds.get(k, [])} for k in KINDS} for lang, kinds in data.items()}


def site_manifest(campaign_id: str, data: dict[str, dict[str, list[dict]]],
                  current: dict[str, dict[str, str]]) -> dict:
    """<site>/<id>/versions.json: per locale the versions shown now and every version a
    receiver of this site should accept (published, then current)."""
    locales = {}
    for lang, now in current.items():
        known = data.get(lang, {})
        lists = {LISTS[k]: list(dict.fromkeys([e["version"] for e in known.get(k, [])] + [now[k]])) for k in KINDS}
        locales[lang] = {"current": dict(now), **lists}
    return {"format": FORMAT, "campaign": campaign_id,
            "about": "Versions a receiver of this site accepts: published ones (campaigns/<id>.notices/"
                     "published.json) and the ones these pages show.",
            "locales": locales}


def write_site(site: Path, campaign_id: str, data: dict, current: dict[str, dict[str, str]]) -> None:
    path = site / campaign_id / SITE_MANIFEST
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(site_manifest(campaign_id, data, current), indent=2) + "\n", encoding="utf-8")


class Accepted:
    """What a receiver accepts as `notice_version` / `wording_version`, per campaign and locale:
    the published versions (re-read when published.json changes) and the current ones (from
    `seed`, e.g. the build of `optin serve`, or rendered once on first need)."""

    def __init__(self, locales):
        self._locales = locales
        self._lock = threading.Lock()
        self._archive: dict[str, tuple[int | None, dict]] = {}
        self._current: dict[str, tuple[Campaign, dict]] = {}

    def seed(self, campaign: Campaign, now: dict[str, dict[str, str]]) -> None:
        """The current versions of `campaign` as built (`current(views)`)."""
        with self._lock:
            self._current[campaign.id] = (campaign, now)

    def _published(self, campaign: Campaign) -> dict[str, dict[str, set[str]]]:
        folder = archive_dir(campaign)
        try:
            stamp = (folder / MANIFEST).stat().st_mtime_ns
        except OSError:
            stamp = None
        with self._lock:
            cached = self._archive.get(campaign.id)
            if cached and cached[0] == stamp:
                return cached[1]
            try:
                known = versions(read(folder))
            except (OptinError, OSError) as exc:  # an operator's problem: log it, accept current only
                log.error("campaign %s: published versions unreadable: %s", campaign.id, exc)
                known = {}
            self._archive[campaign.id] = (stamp, known)
            return known

    def _now(self, campaign: Campaign) -> dict[str, dict[str, str]]:
        with self._lock:
            cached = self._current.get(campaign.id)
            if cached and cached[0] is campaign:
                return cached[1]
            from generator.site.views import resolve_all  # only when a version is not in the archive

            try:
                views = resolve_all(campaign, self._locales)
            except OptinError as exc:
                log.error("campaign %s: cannot render its current texts: %s", campaign.id, exc)
                views = {}
            now = {lang: {NOTICE: v.notice_version, WORDING: v.wording_version} for lang, v in views.items()}
            self._current[campaign.id] = (campaign, now)
            return now

    def problem(self, campaign: Campaign, lang: str, given: dict[str, str]) -> tuple[str, str] | None:
        """(field, message) for the first of `given` (kind -> version) that this campaign never
        published for `lang` and does not show now; None when all are known."""
        known = self._published(campaign).get(lang, {})
        missing = [k for k in KINDS if given[k] not in known.get(k, set())]
        if missing:
            now = self._now(campaign).get(lang, {})
            missing = [k for k in missing if now.get(k) != given[k]]
        if not missing:
            return None
        kind = missing[0]
        return kind, (f"{kind} {given[kind][:12]}… was never published for campaign {campaign.id}, locale {lang} "
                      "(reload the page to get the current texts)")
