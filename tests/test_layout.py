"""The package's shape: one subpackage per stage, imports pointing one way (import-linter, the
contract in pyproject.toml), small modules, no path globals bound at import."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from support.projects import REPO

PACKAGE = REPO / "generator"
MAX_LINES = 300


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_import_layers_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--config", str(REPO / "pyproject.toml")], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_modules_stay_small():
    big = {m.relative_to(REPO).as_posix(): n for m in modules()
           if (n := len(m.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert big == {}


def test_no_module_level_paths():
    """Paths come from the Project; a module-level Path(...) would be bound at import time."""
    found = []
    for module in modules():
        for node in ast.parse(module.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and "Path(" in ast.unparse(node.value or node):
                found.append(f"{module.relative_to(REPO)}:{node.lineno}")
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for default in node.args.defaults + node.args.kw_defaults:
                    if default is not None and "Path(" in ast.unparse(default) or (
                            isinstance(default, ast.Name) and default.id.endswith("_DIR")):
                        found.append(f"{module.relative_to(REPO)}:{node.lineno} {node.name}")
    assert found == []


def test_stage_packages_exist():
    for name in ("campaign", "i18n", "site", "legal", "check", "receiver", "pipeline", "cli"):
        assert (PACKAGE / name / "__init__.py").is_file(), name


def test_cli_imports_only_click(tmp_path):
    """`optin --help` loads click and the command modules, not Jinja, Babel or Markdown."""
    code = ("import sys; from generator.cli import main\n"
            "heavy = [m for m in ('jinja2', 'babel', 'markdown', 'jsonschema', 'yaml', 'werkzeug', 'phonenumbers')"
            " if m in sys.modules]\nprint(','.join(heavy))")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
