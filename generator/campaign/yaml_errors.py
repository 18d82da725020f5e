"""What a YAML error or an unreadable character means for a campaign file: the line, the key
and a fix, in words a marketer understands (PyYAML's own messages name positions, not keys)."""
from __future__ import annotations

import re

import yaml

from generator.campaign.safety import describe
from generator.campaign.yaml_loader import Loader
from generator.errors import Problem


def key_name(path: tuple) -> str:
    """('purposes', 1, 'channel') -> 'purposes[1].channel'."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


_KEY_LINE = re.compile(r"^(\s*)(-\s+)?([A-Za-z0-9_-]+)\s*:(\s|$)")


def key_at(text: str, line: int) -> str:
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


def syntax_problem(file: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    """Name the line where the broken construct starts when that is where the fix goes."""
    context = exc.context or ""
    problem = exc.problem or str(exc)
    start = exc.context_mark
    if start is not None and "quoted scalar" in context:  # runs to the end of the file
        line = start.line + 1
        quote = text[start.index] if start.index < len(text) else '"'
        return Problem(file, line, key_at(text, line), f"YAML syntax error: the {quote} on this line is never closed",
                       f"add the closing {quote} at the end of the value")
    if start is not None and context.startswith("while parsing a flow"):  # [ or { not closed
        line = start.line + 1
        opened = text[start.index] if start.index < len(text) else ""
        if opened not in ("[", "{"):  # "while parsing a flow node": the mark is where it stopped
            opened, line = _open_bracket(text) or ("[" if "sequence" in context else "{", line)
        closing, what = ("]", "list") if opened == "[" else ("}", "mapping")
        return Problem(file, line, key_at(text, line),
                       f"YAML syntax error: the {opened} on this line is not closed ({problem} on line "
                       f"{exc.problem_mark.line + 1 if exc.problem_mark else '?'})",
                       f"add {closing} at the end of the {what}, or write one item per line")
    mark = exc.problem_mark or start
    line = mark.line + 1 if mark else None
    if line and isinstance(exc, yaml.parser.ParserError):
        opened = _quote_span(text, line)
        if opened:
            return Problem(file, opened, key_at(text, opened),
                           f"YAML syntax error: the quoted value on this line runs on to line {line} ({problem})",
                           "add the missing closing quote on this line")
    return Problem(file, line, key_at(text, line) if line else "", f"YAML syntax error: {problem}",
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


def character_problems(file: str, text: str) -> list[Problem]:
    """Characters a YAML file cannot hold, by line and column (not "position 277")."""
    match = UNREADABLE.search(text, 1 if text.startswith("\ufeff") else 0)
    if not match:
        return []
    line = text.count("\n", 0, match.start()) + 1
    column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    if match.group() == "\ufeff":
        return [Problem(file, line, key_at(text.replace("\ufeff", ""), line), f"a byte order mark (U+FEFF) in the middle of the file, "
                        f"at column {column} (invisible in most editors; often left where two files were joined)",
                        "delete it: retype the start of the line")]
    return [Problem(file, line, key_at(text, line), f"the control character {describe(match.group())} at column "
                    f"{column} cannot be in a YAML file", "delete it; it is invisible in most editors")]


def depth_problem(file: str, text: str, line: int | None = None) -> Problem:
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
    return Problem(file, line, key_at(text, line) if line else "",
                   f"lists or mappings nested more than {MAX_DEPTH} levels deep",
                   "a campaign needs at most 5 levels: look for repeated or unclosed [ or {")
