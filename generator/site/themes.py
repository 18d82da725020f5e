"""Themes: templates + static files + a small `theme.toml` (`parent = "default"`).

A theme found in the project's `themes/` comes before a built-in one of the same name; a child
theme's templates and static files override its parent's one file at a time.
"""
from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from generator.errors import BuildError

META = "theme.toml"
META_KEYS = {"name", "parent", "description"}


@dataclass(frozen=True)
class Theme:
    name: str
    folders: tuple[Path, ...]  # this theme's folder first, then its parent's, …

    @property
    def template_dirs(self) -> list[Path]:
        return [f / "templates" for f in self.folders if (f / "templates").is_dir()]

    def static_files(self) -> dict[str, Path]:
        """Logical name (style.css, img/x.svg) -> file; a child's file replaces its parent's."""
        files: dict[str, Path] = {}
        for folder in reversed(self.folders):
            static = folder / "static"
            for file in sorted(static.rglob("*")) if static.is_dir() else []:
                if file.is_file():
                    files[file.relative_to(static).as_posix()] = file
        return dict(sorted(files.items()))


def _meta(folder: Path) -> dict:
    path = folder / META
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BuildError(f"{path}: {exc}") from None
    unknown = sorted(set(data) - META_KEYS)
    if unknown:
        raise BuildError(f"{path}: unknown key {unknown[0]!r} (keys: {', '.join(sorted(META_KEYS))})")
    if "parent" in data and not isinstance(data["parent"], str):
        raise BuildError(f"{path}: parent must be a theme name, e.g. parent = \"default\"")
    return data


def _candidates(name: str, search: list[Path]) -> list[Path]:
    return [d / name for d in search if (d / name / "templates").is_dir() or (d / name / META).is_file()]


def find(name: str, search: list[Path]) -> Theme:
    """The theme `name` from the first folder of `search` that has it, with its parents. A
    parent of the same name (a project's `default` extending the built-in one) is looked up in
    the folders after the child's."""
    found = _candidates(name, search)
    if not found:
        known = sorted({p.name for d in search if d.is_dir() for p in d.iterdir() if p.is_dir()})
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise BuildError(f"theme {name!r} not found in {' or '.join(map(str, search))} "
                         f"(themes: {', '.join(known) or 'none'}){hint}")
    folders = [found[0]]
    while parent := _meta(folders[-1]).get("parent"):
        after = search[search.index(folders[-1].parent) + 1:] if parent == folders[-1].name else search
        options = [f for f in _candidates(parent, after) if f not in folders]
        if not options:
            raise BuildError(f"{folders[-1] / META}: parent theme {parent!r} not found")
        folders.append(options[0])
    if not any((f / "templates").is_dir() for f in folders):
        raise BuildError(f"theme {name!r} ({folders[0]}) has no templates/ folder and no parent")
    return Theme(name, tuple(folders))
