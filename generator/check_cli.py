"""Placeholder: filled in by its issue."""
import click
from .errors import OptinError


@click.command()
def check() -> None:
    """Not implemented yet."""
    raise OptinError("not implemented yet")
