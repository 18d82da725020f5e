"""Placeholder: filled in by its issue."""
import click
from .errors import OptinError


@click.command()
def review() -> None:
    """Not implemented yet."""
    raise OptinError("not implemented yet")


@click.command()
def approve() -> None:
    """Not implemented yet."""
    raise OptinError("not implemented yet")
