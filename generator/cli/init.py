"""`optin init` (a new project) and `optin new` (a starter campaign in a project)."""
from __future__ import annotations

import re
from pathlib import Path

import click

from generator.cli.common import project as current_project


def _schema_copy(root: Path) -> Path:
    """The campaign schema where editors of this project find it: the packaged file inside
    optin's own checkout, else a copy in .optin/ (git-ignored; refreshed on every init/new)."""
    from generator.campaign.validate import schema_file
    from generator.files import write_atomic
    from generator.project import package_data
    import json

    packaged = Path(__file__).resolve().parent.parent / "campaign" / "schema" / "campaign.schema.json"
    if (root / "locales").resolve() == package_data("locales").resolve():
        return packaged
    copy = root / ".optin" / "campaign.schema.json"
    write_atomic(copy, json.dumps(schema_file(), indent=2, ensure_ascii=False) + "\n")
    return copy


@click.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option("--name", help="Id of the starter campaign (default: the folder's name).")
def init(folder: Path, name: str | None) -> None:
    """Create a project with a starter campaign.

    Writes optin.toml, .gitignore, README.md and campaigns/NAME.yaml (NAME: --name, default the
    folder's name) into FOLDER (default: here)."""
    from generator.campaign.starter import write_project

    folder = folder.resolve()
    name = name or re.sub(r"[^a-z0-9-]+", "-", folder.name.lower()).strip("-") or "my-campaign"
    for path in write_project(folder, name, _schema_copy(folder)):
        click.echo(f"created {path}")
    click.echo(f"next: edit campaigns/{name}.yaml, then `optin build` (in {folder})")


@click.command()
@click.argument("name")
@click.option("--dir", "folder", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder to write the campaign file into (default: the project's campaigns/).")
def new(name: str, folder: Path | None) -> None:
    """Write a commented starter campaign to campaigns/NAME.yaml."""
    from generator.campaign.starter import write_starter

    proj = current_project()
    path = write_starter(name, folder or proj.campaigns_dir, _schema_copy(proj.root))
    click.echo(f"wrote {path}; edit it, then run `optin build {name if folder is None else path}`")
