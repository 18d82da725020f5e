"""The `optin` command line: one module per command group; argument handling and exit codes only."""
from generator.cli.main import main

__all__ = ["main"]
