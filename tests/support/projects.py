"""Fixture projects, copied into temporary folders: tests never read or write the repository's
own campaigns/ (a marketer may add campaigns there; no test result may change)."""
from __future__ import annotations

import shutil
from pathlib import Path

from generator.i18n.locales import Locales
from generator.project import Project, package_data

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
EXAMPLE_IDS = ("nordlys-sko", "kedai-harmoni")
LOCALES = ("nb", "de", "ms", "en", "es")


def example_files() -> list[Path]:
    """The example campaigns' files by name: YAML, logo, approval lock and notice archive."""
    out = []
    for cid in EXAMPLE_IDS:
        out += [p for p in REPO.joinpath("campaigns").glob(f"{cid}*") if not p.name.startswith(".")]
    return sorted(out)


def copy_examples(folder: Path) -> Path:
    """The example campaigns copied into `folder` (a campaigns folder), which is returned."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in example_files():
        if path.is_dir():
            shutil.copytree(path, folder / path.name, dirs_exist_ok=True)
        else:
            shutil.copy2(path, folder / path.name)
    return folder


def example_project(root: Path) -> Project:
    """A project in `root` holding copies of the example campaigns (and nothing of its own)."""
    copy_examples(root / "campaigns")
    return Project(root.resolve())


def project(root: Path) -> Project:
    """A project in `root` (created if missing) using only the built-in locales and themes."""
    root.mkdir(parents=True, exist_ok=True)
    return Project(root.resolve())


def builtin_locales() -> Locales:
    """The locales shipped with optin, as every project without its own locales/ sees them."""
    return Locales(package_data("locales"))
