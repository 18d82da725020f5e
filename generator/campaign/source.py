"""Read YAML while keeping line numbers, so every error can name its line."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.campaign.safety import describe
from generator.errors import Problem


class Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false. `country: NO` stays the string "NO"."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                             list("tTfF"))


# libyaml parses ~10x faster; a document it refuses is parsed again by the pure-Python Loader,
# whose messages (and the analysis around them) name the problem best.
if getattr(yaml, "__with_libyaml__", False):
    class FastLoader(yaml.CSafeLoader):
        """Loader's resolvers on libyaml's parser."""

    FastLoader.yaml_implicit_resolvers = Loader.yaml_implicit_resolvers
else:
    FastLoader = Loader


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
        opened = text[start.index] if start.index < len(text) else ""
        if opened not in ("[", "{"):  # "while parsing a flow node": the mark is where it stopped
            opened, line = _open_bracket(text) or ("[" if "sequence" in context else "{", line)
        closing, what = ("]", "list") if opened == "[" else ("}", "mapping")
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


def _open_bracket(text: str) -> tuple[str, int] | None:
    """The innermost [ or { still open where the text stops parsing, and its 1-based line."""
    stack: list = []
    try:
        for token in yaml.scan(text, Loader=Loader):
            if isinstance(token, (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken)):
                stack.append(token)
            elif isinstance(token, (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)) and stack:
                stack.pop()
    except yaml.YAMLError:
        pass
    if not stack:
        return None
    return ("[" if isinstance(stack[-1], yaml.FlowSequenceStartToken) else "{"), stack[-1].start_mark.line + 1


MAX_DEPTH = 32  # a campaign needs 5 levels; deeper is a mistake or an attack on the parser
# what PyYAML refuses to read, plus a byte order mark after the start
UNREADABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff\ufeff]")


def _characters(file: str, text: str) -> list[Problem]:
    """Characters a YAML file cannot hold, by line and column (not "position 277")."""
    match = UNREADABLE.search(text, 1 if text.startswith("\ufeff") else 0)
    if not match:
        return []
    line = text.count("\n", 0, match.start()) + 1
    column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    if match.group() == "\ufeff":
        return [Problem(file, line, _key_at(text.replace("\ufeff", ""), line), f"a byte order mark (U+FEFF) in the middle of the file, "
                        f"at column {column} (invisible in most editors; often left where two files were joined)",
                        "delete it: retype the start of the line")]
    return [Problem(file, line, _key_at(text, line), f"the control character {describe(match.group())} at column "
                    f"{column} cannot be in a YAML file", "delete it; it is invisible in most editors")]


def _depth_problem(file: str, text: str, line: int | None = None) -> Problem:
    if line is None:
        depth = 0
        try:
            for event in yaml.parse(text, Loader=Loader):  # iterative: no recursion to run out of
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1
                    if depth > MAX_DEPTH:
                        line = event.start_mark.line + 1
                        break
                elif isinstance(event, yaml.CollectionEndEvent):
                    depth -= 1
        except yaml.YAMLError:
            pass
    return Problem(file, line, _key_at(text, line) if line else "",
                   f"lists or mappings nested more than {MAX_DEPTH} levels deep",
                   "a campaign needs at most 5 levels: look for repeated or unclosed [ or {")


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
    early = _characters(file, text)
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
                return None, [_depth_problem(file, text, deep)]
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except RecursionError:
        return None, [_depth_problem(file, text)]
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(file, text, exc)]
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
        return None, [Problem(name, line, _key_at(raw.decode("utf-8", "replace"), line),
                              f"byte 0x{byte.hex().upper()} at column {column} is not UTF-8 (in Windows-1252 it "
                              f"would be {byte.decode('cp1252', 'replace')!r})",
                              "save the file as UTF-8 (your editor's \"Save with encoding\")")]
    return read(name, text)
