"""Read YAML while keeping line numbers, so every error can name its line."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import re

import yaml

from generator.errors import Problem


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


_KEY_LINE = re.compile(r"^(\s*)(-\s+)?([A-Za-z0-9_-]+)\s*:(\s|$)")


def _key_at(text: str, line: int) -> str:
    """Best-effort key path of a 1-based line of block-style YAML ('brand.name', 'purposes[1].id'),
    from indentation alone, for errors in files that do not parse. "" when the line has no key."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    match = _KEY_LINE.match(lines[line - 1])
    if not match:
        return ""
    path: list = [match.group(3)]
    indent = len(match.group(1))
    item_indent = indent if match.group(2) else None  # the key is the first of a list item
    for number in range(line - 1, 0, -1):
        raw = lines[number - 1]
        stripped = raw.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        lead = len(raw) - len(stripped)
        if item_indent is None and stripped.startswith("-") and lead < indent:
            item_indent = lead  # the line is inside this list item
        if lead >= (item_indent if item_indent is not None else indent):
            continue
        parent = _KEY_LINE.match(raw)
        if not parent:
            return ""
        if item_indent is not None:  # count the items of this list above ours
            index = sum(1 for n in range(number + 1, line + 1)
                        if (lines[n - 1][:item_indent + 1].strip() == "-"
                            and len(lines[n - 1]) - len(lines[n - 1].lstrip()) == item_indent)) - 1
            path.insert(0, max(index, 0))
            item_indent = None
        path.insert(0, parent.group(3))
        indent = lead
        if parent.group(2):
            item_indent = lead
    return key_name(tuple(path))


def _quote_span(text: str, line: int) -> int | None:
    """Start line of a quoted value that runs on over line breaks and ends on `line` (1-based):
    the likely culprit when a parser error follows an unclosed quote that a later quote closed."""
    try:
        for token in yaml.scan(text, Loader=Loader):
            if (isinstance(token, yaml.ScalarToken) and token.style in ('"', "'")
                    and token.start_mark.line + 1 < token.end_mark.line + 1 == line):
                return token.start_mark.line + 1
    except yaml.YAMLError:
        pass
    return None


def _syntax_problem(file: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    """Name the line where the broken construct starts when that is where the fix goes."""
    context = exc.context or ""
    problem = exc.problem or str(exc)
    start = exc.context_mark
    if start is not None and "quoted scalar" in context:  # runs to the end of the file
        line = start.line + 1
        quote = text[start.index] if start.index < len(text) else '"'
        return Problem(file, line, _key_at(text, line), f"YAML syntax error: the {quote} on this line is never closed",
                       f"add the closing {quote} at the end of the value")
    if start is not None and context.startswith("while parsing a flow"):  # [ or { not closed
        line = start.line + 1
        opened, closing, what = ("[", "]", "list") if "sequence" in context else ("{", "}", "mapping")
        return Problem(file, line, _key_at(text, line),
                       f"YAML syntax error: the {opened} on this line is not closed ({problem} on line "
                       f"{exc.problem_mark.line + 1 if exc.problem_mark else '?'})",
                       f"add {closing} at the end of the {what}, or write one item per line")
    mark = exc.problem_mark or start
    line = mark.line + 1 if mark else None
    if line and isinstance(exc, yaml.parser.ParserError):
        opened = _quote_span(text, line)
        if opened:
            return Problem(file, opened, _key_at(text, opened),
                           f"YAML syntax error: the quoted value on this line runs on to line {line} ({problem})",
                           "add the missing closing quote on this line")
    return Problem(file, line, _key_at(text, line) if line else "", f"YAML syntax error: {problem}",
                   "check indentation, colons and quotes on this line or the one before")


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
        return None, [_syntax_problem(file, text, exc)]
    except yaml.YAMLError as exc:
        return None, [Problem(file, None, "", f"YAML error: {exc}", "fix the YAML syntax")]
    if root is None:
        return None, [Problem(file, 1, "", "the file is empty", "start from `optin new NAME`")]
    return Source(file, data, root), _duplicate_keys(root, (), file)
