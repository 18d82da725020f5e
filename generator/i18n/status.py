"""`optin i18n status`: what each locale lacks, as the lines the command prints."""
from __future__ import annotations

from pathlib import Path

from generator.i18n.catalogs import key
from generator.i18n.locales import Locales


def stale_template(locales: Locales, source_root: Path | None) -> list[str]:
    """Strings optin's sources use that messages.pot lacks (empty outside optin's checkout,
    e.g. an installed package, where the sources are not there to extract)."""
    if source_root is None or not (source_root / "babel.cfg").is_file():
        return []
    from generator.i18n.workflow import extract

    have = {m.id for m in locales.template if m.id}
    return sorted(key(m.id) for m in extract(source_root) if m.id and m.id not in have)


def report(locales: Locales, langs: list[str], used: set[str] | None, stale: list[str]) -> tuple[list[str], bool]:
    """(lines, failed). `used`: locales the campaigns use (None: all count)."""
    reports = [locales.report(lang) for lang in langs]
    english = {lang for lang in langs if locales.notice_is_english_copy(lang)}
    lines = [f"{'locale':<8}{'translated':>11}{'fuzzy':>7}{'missing':>9}{'obsolete':>10}  notice   used"]
    failed = bool(stale)
    for rep in reports:
        total = len(rep.translated) + len(rep.fuzzy) + len(rep.missing)
        pct = 100 * len(rep.translated) // total if total else 100
        has_notice = locales.notice_path(rep.lang).is_file()
        notice = "ENGLISH" if rep.lang in english else "yes" if has_notice else "MISSING"
        in_use = used is None or rep.lang in used
        lines.append(f"{rep.lang:<8}{len(rep.translated):>6} {pct:>3}%{len(rep.fuzzy):>7}{len(rep.missing):>9}"
                     f"{len(rep.obsolete):>10}  {notice:<8} {'yes' if in_use else 'no'}")
        failed |= bool(rep.errors) or (in_use and bool(rep.missing or rep.fuzzy or not has_notice or rep.lang in english))
    for rep in reports:
        for title, items in (("missing", rep.missing), ("fuzzy (English shown until reviewed)", rep.fuzzy)):
            if items:
                lines += ["", f"{rep.lang}: {title}:", *(f"  {msgid!r}" for msgid in items)]
        if rep.errors:
            lines += ["", f"{rep.lang}: placeholder errors:", *(f"  {problem}" for problem in rep.errors)]
    for lang in sorted(english):
        lines += ["", f"{lang}: {locales.notice_path(lang)} is still the English notice copied by "
                  "`optin i18n init`; translate it"]
    if stale:
        lines += ["", f"messages.pot is out of date: {len(stale)} string(s) of the templates/code are "
                  "not in it; run `optin i18n extract` then `optin i18n update`:", *(f"  {msgid!r}" for msgid in stale)]
    for lang in sorted((used or set()) - set(langs)):
        lines += ["", f"{lang}: used by a campaign but has no catalog; run `optin i18n init {lang}`"]
        failed = True
    return lines, failed
