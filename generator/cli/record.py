"""`optin record` and `optin dpia`: documents for legal about the processing (argument handling
only; the work is in legal/record.py and legal/dpia.py)."""
from __future__ import annotations

from pathlib import Path

import click

from generator.cli.common import pass_project

OUT_HELP = "Write to FILE instead of printing."


def project_ids(project) -> list[str]:
    folder = project.campaigns_dir
    return sorted(p.stem for p in (*folder.glob("*.yaml"), *folder.glob("*.yml"))) if folder.is_dir() else []


def load(project, args: tuple[str, ...]):
    """The campaigns named (ids or files; default: every campaign of the project), or exit 2
    naming the one that does not exist."""
    from generator.campaign.model import load_all
    from generator.errors import OptinError
    from generator.site.build import campaign_files

    paths = []
    for arg in args:
        path = project.campaign_file(arg)
        if not path.exists():
            known = ", ".join(project_ids(project)) or "none"
            raise OptinError(f"unknown campaign {arg!r}: no such file, and no {arg}.yaml in {project.campaigns_dir} "
                             f"(campaigns there: {known})")
        paths.append(path)
    return load_all(campaign_files(paths or [project.campaigns_dir]), project)


def emit(text: str, out: Path | None) -> None:
    from generator.errors import OptinError
    from generator.files import write_atomic

    if out is None:
        click.echo(text, nl=False)
        return
    try:
        write_atomic(out, text)
    except OSError as exc:
        raise OptinError(f"cannot write {out}: {exc}") from None
    click.echo(f"wrote {out}", err=True)


@click.command()
@click.argument("campaigns", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["md", "json", "html"]), default="md", show_default=True)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FILE", help=OUT_HELP)
@pass_project
def record(project, campaigns: tuple[str, ...], fmt: str, out: Path | None) -> None:
    """Print the record of processing of CAMPAIGNS.

    CAMPAIGNS are ids or files (default: the whole project). GDPR Art. 30(1) per campaign, and the project's controllers and processors: law (GDPR,
    and for a Malaysian controller the PDPA), controller, representative, DPO, processing
    operations with their legal bases, data subjects and data, recipients, transfers and their
    basis, retention, technical and organisational measures, and what is left to complete.
    JSON follows generator/legal/schema/record.schema.json; docs/legal.md explains each field."""
    from generator.legal import record as legal_record
    from generator.legal.record_render import render

    document = legal_record.build(load(project, campaigns), project.locales, project.root)
    emit(render(document, fmt), out)


@click.command()
@click.argument("campaigns", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FILE", help=OUT_HELP)
@pass_project
def dpia(project, campaigns: tuple[str, ...], fmt: str, out: Path | None) -> None:
    """Print a DPIA screening of CAMPAIGNS.

    CAMPAIGNS are ids or files (default: every campaign). The nine criteria of the WP248 guidelines, each marked as applying, not applying or
    unknown with the reason from the campaign (its `dpia:` answers), as a checklist for legal:
    a DPIA is likely required when two or more apply. Never a verdict."""
    from generator.legal import dpia as legal_dpia
    from generator.legal.record_render import as_json

    document = legal_dpia.build(load(project, campaigns), project.locales, project_ids(project))
    emit(as_json(document) if fmt == "json" else legal_dpia.markdown(document), out)
