"""Read YAML while keeping line numbers, so every error can name its line."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import re

import yaml

from .errors import Problem


class Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false. `country: NO` stays the string "NO"."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                             list("tTfF"))


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
                    if key.value == step:
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


def key_name(path: tuple) -> str:
    """('purposes', 1, 'channel') -> 'purposes[1].channel'."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


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


def read(file: str, text: str) -> tuple[Source | None, list[Problem]]:
    """Parse `text`; on a syntax error return (None, [problem with its line])."""
    try:
        loader = Loader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or str(exc)
        return None, [Problem(file, line, "", f"YAML syntax error: {what}",
                              "check indentation, colons and quotes on this line or the one before")]
    except yaml.YAMLError as exc:
        return None, [Problem(file, None, "", f"YAML error: {exc}", "fix the YAML syntax")]
    if root is None:
        return None, [Problem(file, 1, "", "the file is empty", "start from `optin new NAME`")]
    return Source(file, data, root), _duplicate_keys(root, (), file)
