"""What every command shares: the project (found once per run) and campaign arguments.

Only click is imported here, so `optin --help` stays fast; the stages load when a command runs.
"""
from __future__ import annotations

import functools
from pathlib import Path

import click


def project(ctx: click.Context | None = None):
    """The project of this run: `-f/--config`, else optin.toml here or above, else this folder."""
    from generator.project import Project

    ctx = (ctx or click.get_current_context()).find_root()
    ctx.ensure_object(dict)
    if "project" not in ctx.obj:
        ctx.obj["project"] = Project.find(config=ctx.obj.get("config"))
    return ctx.obj["project"]


def pass_project(command):
    """Give the command the project as its first argument."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        return command(project(), *args, **kwargs)
    return wrapper


def campaign_paths(proj, args) -> list[Path]:
    """Files, folders or campaign ids (`nordlys-sko` -> campaigns/nordlys-sko.yaml); default:
    the project's campaigns folder."""
    return [proj.campaign_file(str(arg)) for arg in args] or [proj.campaigns_dir]


def echo_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
