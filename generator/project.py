"""The user's project: a folder with `campaigns/` and optionally `locales/`, `themes/` and an
`optin.toml`. One `Project` carries every path through the code; built-in locales and themes
(shipped inside the package) sit under the project's own.

Found like MkDocs finds mkdocs.yml: `optin.toml` in the current folder or a parent, or the file
given with `-f/--config`; without one, the current folder is the project.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import OptinError, Problem

if TYPE_CHECKING:
    from generator.i18n.locales import Locales

CONFIG_NAME = "optin.toml"
# key -> (type, default, what it is); docs/marketer.md ("Project file") documents the same keys
SETTINGS = {
    "campaigns_dir": (str, "campaigns", "folder of campaign files"),
    "out_dir": (str, "site", "where `optin build` writes the site"),
    "default_theme": (str, "default", "theme of campaigns that name none"),
    "review_dir": (str, "review", "where `optin review` writes the review document"),
}
SECTIONS = {"receiver"}  # tables handed to the stage that owns them


def package_data(name: str) -> Path:
    """A folder of built-in data: inside the installed package (the wheel maps the repository's
    top-level `locales/` and `themes/` there), or next to the package in a source checkout."""
    here = Path(__file__).resolve().parent
    inside = here / name
    return inside if inside.is_dir() else here.parent / name


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if line.split("=")[0].strip().strip('"') == key or line.strip() == f"[{key}]":
            return number
    return None


@dataclass(frozen=True)
class Project:
    root: Path
    config_file: Path | None = None
    settings: dict = field(default_factory=dict)
    receiver: dict = field(default_factory=dict)

    @classmethod
    def find(cls, start: Path | None = None, config: Path | None = None) -> "Project":
        """The project of `config`, else of the nearest optin.toml at or above `start`, else
        `start` (default: the current folder) itself."""
        if config is not None:
            if not config.is_file():
                raise OptinError(f"{config}: no such project file")
            return cls.load(config)
        start = (start or Path.cwd()).resolve()
        for folder in (start, *start.parents):
            if (folder / CONFIG_NAME).is_file():
                return cls.load(folder / CONFIG_NAME)
        return cls(start)

    @classmethod
    def load(cls, config: Path) -> "Project":
        config = config.resolve()
        text = config.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise OptinError(f"{config}: {exc}; see docs/marketer.md, \"Project file\"") from None
        problems, settings = [], {}
        for key, value in data.items():
            if key in SECTIONS:
                if not isinstance(value, dict):
                    problems.append(Problem(str(config), _line_of(text, key), key, "must be a table",
                                            f"write it as [{key}]"))
                continue
            if key not in SETTINGS:
                problems.append(Problem(str(config), _line_of(text, key), key, "is not a setting",
                                        "settings: " + ", ".join([*SETTINGS, *SECTIONS])))
                continue
            kind = SETTINGS[key][0]
            if not isinstance(value, kind) or (kind is str and not value.strip()):
                problems.append(Problem(str(config), _line_of(text, key), key,
                                        f"must be a {kind.__name__}", f'e.g. {key} = "{SETTINGS[key][1]}"'))
                continue
            settings[key] = value
        if problems:
            raise OptinError("\n".join(map(str, problems)))
        return cls(config.parent, config, settings, dict(data.get("receiver", {})))

    def setting(self, key: str) -> str:
        return self.settings.get(key, SETTINGS[key][1])

    def path(self, key: str) -> Path:
        """A folder setting, relative to the project root."""
        return self.root / self.setting(key)

    @property
    def campaigns_dir(self) -> Path:
        return self.path("campaigns_dir")

    @property
    def out_dir(self) -> Path:
        return self.path("out_dir")

    @property
    def ledger_path(self) -> Path:
        """The SQLite consent ledger of `optin serve` and `optin ledger` ([receiver] ledger)."""
        return self.root / str(self.receiver.get("ledger", "optin-ledger.sqlite"))

    @property
    def locales_dir(self) -> Path:
        """The project's own locales (may not exist)."""
        return self.root / "locales"

    @property
    def themes_dir(self) -> Path:
        return self.root / "themes"

    @property
    def builtin_locales_dir(self) -> Path:
        return package_data("locales")

    @property
    def builtin_themes_dir(self) -> Path:
        return package_data("themes")

    @property
    def is_builtin(self) -> bool:
        """True in optin's own checkout: the project's locales/ are the built-in ones."""
        return self.locales_dir.resolve() == self.builtin_locales_dir.resolve()

    @cached_property
    def locales(self) -> Locales:
        from generator.i18n.locales import Locales  # Babel loads only when locales are used (fast --help)

        if self.is_builtin:
            return Locales(self.builtin_locales_dir)
        return Locales(self.locales_dir, self.builtin_locales_dir)

    @property
    def theme_dirs(self) -> list[Path]:
        """Where themes are looked up, the project's first."""
        dirs = [self.themes_dir, self.builtin_themes_dir]
        return [d for i, d in enumerate(dirs) if d.is_dir() and d.resolve() not in
                {x.resolve() for x in dirs[:i]}]

    def theme_names(self) -> list[str]:
        return sorted({p.name for d in self.theme_dirs for p in d.iterdir()
                       if (p / "templates").is_dir() or (p / "theme.toml").is_file()})

    def campaign_file(self, arg: str) -> Path:
        """A campaign given as a path or as an id (`nordlys-sko` -> campaigns/nordlys-sko.yaml)."""
        path = Path(arg)
        if not path.exists() and "/" not in arg and not arg.endswith((".yaml", ".yml")):
            for suffix in (".yaml", ".yml"):
                if (self.campaigns_dir / f"{arg}{suffix}").is_file():
                    return self.campaigns_dir / f"{arg}{suffix}"
        return path
