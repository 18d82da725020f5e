"""Placeholder: filled in by its issue."""
import click
from .errors import OptinError


@click.command()
def serve() -> None:
    """Not implemented yet."""
    raise OptinError("not implemented yet")


@click.command()
def ledger() -> None:
    """Not implemented yet."""
    raise OptinError("not implemented yet")
