"""Read YAML while keeping line numbers, so every error can name its line."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.campaign.yaml_errors import (  # noqa: F401 - key_name: re-exported for validate
    MAX_DEPTH, character_problems, depth_problem, key_at, key_name, syntax_problem)
from generator.campaign.yaml_loader import FastLoader, Loader
from generator.errors import Problem



@dataclass
class Source:
    """A parsed YAML document plus its node tree for line look-ups."""

    file: str
    data: Any
    root: yaml.Node | None

    def line(self, path: tuple) -> int | None:
        """1-based line of the deepest node on `path` that exists (key line for mappings)."""
        node, line = self.root, 1
        for step in path:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value == step or (not isinstance(step, str) and key.value == str(step)):
                        line, node = key.start_mark.line + 1, value
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
                node = node.value[step]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    def key(self, path: tuple) -> str:
        """Like key_name, but an integer that is a mapping key (`1: …`) shows as a key: 'opt_out.1'."""
        node, steps = self.data, []
        for step in path:
            steps.append(str(step) if isinstance(node, dict) else step)
            node = node.get(step) if isinstance(node, dict) else (
                node[step] if isinstance(node, list) and isinstance(step, int) and step < len(node) else None)
        return key_name(tuple(steps))


def _duplicate_keys(node: yaml.Node, path: tuple, file: str) -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value)
            line = key.start_mark.line + 1
            if name in seen:
                problems.append(Problem(file, line, key_name(path + (name,)),
                                        f"duplicate key (first given on line {seen[name]})",
                                        "keep one of them"))
            seen.setdefault(name, line)
            problems += _duplicate_keys(value, path + (name,), file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _duplicate_keys(item, path + (index,), file)
    return problems


def _too_deep(root: yaml.Node) -> int | None:
    """Line of the first node nested deeper than MAX_DEPTH (walked without recursion)."""
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            stack += [(child, depth + 1) for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(child, depth + 1) for child in node.value]
    return None


def _fast(text: str) -> tuple[yaml.Node, Any] | None:
    """(root, data) from libyaml, or None to take the pure-Python path (refused, empty or too deep)."""
    loader = FastLoader(text)
    try:
        root = loader.get_single_node()
        if root is None or _too_deep(root) is not None:
            return None
        return root, loader.construct_document(root)
    except (yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()


def read(file: str, text: str) -> tuple[Source | None, list[Problem]]:
    """Parse `text`; on a syntax error return (None, [problem with its line])."""
    early = character_problems(file, text)
    if early:
        return None, early
    fast = _fast(text) if FastLoader is not Loader else None
    if fast:
        return Source(file, fast[1], fast[0]), _duplicate_keys(fast[0], (), file)
    try:
        loader = Loader(text)
        try:
            root = loader.get_single_node()
            deep = _too_deep(root) if root is not None else None
            if deep:
                return None, [depth_problem(file, text, deep)]
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except RecursionError:
        return None, [depth_problem(file, text)]
    except yaml.MarkedYAMLError as exc:
        return None, [syntax_problem(file, text, exc)]
    except yaml.YAMLError as exc:
        return None, [Problem(file, None, "", f"YAML error: {exc}", "fix the YAML syntax")]
    if root is None:
        return None, [Problem(file, 1, "", "the file is empty", "start from `optin new NAME`")]
    return Source(file, data, root), _duplicate_keys(root, (), file)


def read_path(path: Path) -> tuple[Source | None, list[Problem]]:
    """Read and parse a campaign file: a byte that is not UTF-8 is named by line and column."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(name, None, "", f"cannot read the file: {exc.strerror or exc}", "check the path")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = raw[exc.start:exc.start + 1]
        return None, [Problem(name, line, key_at(raw.decode("utf-8", "replace"), line),
                              f"byte 0x{byte.hex().upper()} at column {column} is not UTF-8 (in Windows-1252 it "
                              f"would be {byte.decode('cp1252', 'replace')!r})",
                              "save the file as UTF-8 (your editor's \"Save with encoding\")")]
    return read(name, text)
