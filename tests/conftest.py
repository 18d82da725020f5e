"""Shared fixtures: Debian's Chromium for Playwright, a static server for built sites, the
example project built once per session, a receiver of the examples on a fresh SQLite ledger."""
from __future__ import annotations

import subprocess

import pytest

from generator.check.browser import CHROMIUM_ARGS, chromium_path, serve
from support import projects


def _git_status() -> str | None:
    try:
        return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=projects.REPO,
                              capture_output=True, text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None  # not a git checkout (e.g. an unpacked sdist): nothing to compare


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # the controller, not an xdist worker
        session.config._optin_git_status = _git_status()


def pytest_sessionfinish(session, exitstatus):
    """A test run must leave the checkout as it found it (no built sites, archives, ledgers)."""
    before = getattr(session.config, "_optin_git_status", None)
    after = _git_status() if before is not None else None
    if before is not None and after != before:
        new = sorted(set(after.splitlines()) - set(before.splitlines()))
        session.config.get_terminal_writer().line(
            "FAILED the test run changed the checkout (git status):\n  " + "\n  ".join(new), red=True)
        session.exitstatus = 1


def pytest_collection_modifyitems(items):
    """Every test under tests/browser/ is marked `browser` (`-m "not browser"` skips them)."""
    for item in items:
        if "browser" in item.path.parts:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright hook: launch Debian's chromium, never a downloaded one."""
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def static_server():
    """Start a static HTTP server for a folder: `url = static_server(folder)`."""
    servers = []

    def start(folder) -> str:
        context = serve(folder)
        servers.append(context)
        return context.__enter__()

    yield start
    for context in servers:
        context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def example_project(tmp_path_factory):
    """A project holding copies of the example campaigns (builds write next to campaigns)."""
    return projects.example_project(tmp_path_factory.mktemp("example"))


@pytest.fixture(scope="session")
def example_site(example_project):
    """The example campaigns built once per test session."""
    from generator.pipeline.build import build

    out = example_project.root / "site"
    build(example_project, None, out)
    return out


@pytest.fixture(scope="session")
def locales():
    """The built-in locales (what a project without its own locales/ uses)."""
    return projects.builtin_locales()


@pytest.fixture
def rx(tmp_path):
    """A receiver of the example campaigns on its own SQLite ledger (support.receiver.Rx)."""
    from support.receiver import Rx

    made = Rx(tmp_path / "ledger.sqlite")
    yield made
    made.ledger.close()
