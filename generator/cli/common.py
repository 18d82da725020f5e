"""What every command shares: the project (found once per run) and campaign arguments.

Only click is imported here, so `optin --help` stays fast; the stages load when a command runs.
"""
from __future__ import annotations

import contextlib
import functools
import re
import sys
from pathlib import Path

import click


def project(ctx: click.Context | None = None):
    """The project of this run: `-f/--config`, else optin.toml here or above, else this folder."""
    from generator.project import Project

    ctx = (ctx or click.get_current_context()).find_root()
    ctx.ensure_object(dict)
    if "project" not in ctx.obj:
        ctx.obj["project"] = Project.find(config=ctx.obj.get("config"))
    return ctx.obj["project"]


def pass_project(command):
    """Give the command the project as its first argument."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        return command(project(), *args, **kwargs)
    return wrapper


def campaign_paths(proj, args) -> list[Path]:
    """Files, folders or campaign ids (`nordlys-sko` -> campaigns/nordlys-sko.yaml); default:
    the project's campaigns folder."""
    return [proj.campaign_file(str(arg)) for arg in args] or [proj.campaigns_dir]


TRANSLATION_WARNING = re.compile(r"^locale (\S+): (?:missing|fuzzy) translation, English shown: ")
SHOWN_PER_LOCALE = 5  # past LISTED_PER_LOCALE, a locale's missing strings are counted, not listed
LISTED_PER_LOCALE = 10


def summarised(warnings: list[str]) -> list[str]:
    """The warnings, a locale's flood of missing/fuzzy strings cut to its first few and a count."""
    per_locale: dict[str, int] = {}
    for warning in warnings:
        if match := TRANSLATION_WARNING.match(warning):
            per_locale[match.group(1)] = per_locale.get(match.group(1), 0) + 1
    out, seen = [], dict.fromkeys(per_locale, 0)
    for warning in warnings:
        match = TRANSLATION_WARNING.match(warning)
        if not match or per_locale[match.group(1)] <= LISTED_PER_LOCALE:
            out.append(warning)
            continue
        lang = match.group(1)
        seen[lang] += 1
        if seen[lang] <= SHOWN_PER_LOCALE:
            out.append(warning)
        elif seen[lang] == SHOWN_PER_LOCALE + 1:
            out.append(f"locale {lang}: {per_locale[lang] - SHOWN_PER_LOCALE} more missing or fuzzy translations, "
                       f"English shown ({per_locale[lang]} in all; `optin i18n status` lists them)")
    return out


PROGRESS_MIN_PAGES = 50  # smaller builds finish before a progress line would help


@contextlib.contextmanager
def status_line():
    """A `show(text)` callback that keeps one line on stderr up to date; None when stderr is no
    terminal (CI logs, pipes). The line is cleared when the block ends, however it ends."""
    stream = sys.stderr
    if not stream.isatty():
        yield None
        return
    shown = []

    def show(text: str) -> None:
        shown.append(True)
        stream.write(f"\r\033[K{text}")
        stream.flush()

    try:
        yield show
    finally:
        if shown:
            stream.write("\r\033[K")
            stream.flush()


@contextlib.contextmanager
def progress_line():
    """A `progress(campaigns_done, campaigns, pages, expected)` callback for builds of many
    pages (see status_line); None when stderr is no terminal."""
    with status_line() as show:
        def progress(done: int, total: int, pages: int, expected: int) -> None:
            if expected >= PROGRESS_MIN_PAGES:
                show(f"building: campaign {done}/{total}, {pages} pages")
        yield progress if show else None


def echo_warnings(warnings: list[str]) -> None:
    for warning in summarised(warnings):
        click.echo(f"warning: {warning}", err=True)
