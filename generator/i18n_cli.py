"""Placeholder: filled in by its issue."""
import click
from .errors import OptinError


@click.command()
def i18n() -> None:
    """Not implemented yet."""
    raise OptinError("not implemented yet")
