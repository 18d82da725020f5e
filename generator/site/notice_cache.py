"""Notice Markdown converted once per structure, not once per campaign.

A notice is Jinja (campaign values) then Markdown. Campaigns of one project differ mostly in
their values, so the Jinja render puts a private-use token where each value goes (`as_text`
calls `Recorder.token`), the tokenised Markdown is converted once and cached, and each token is
then replaced by its value, HTML-escaped. Values never pass through Markdown (as before, where
they entered it backslash-escaped).

The result is byte-identical to converting the fully rendered source, and used only where that
is known to hold; anything else takes the direct path (`render_direct` in notices.py):
- a value is tokenised only when Markdown would treat it as plain text wherever it stands
  (`inert`: printable, no surrounding whitespace, no token characters);
- the template may not transform rendered output (filter/set/call blocks, includes, a macro's
  output passed to a filter...; `tokenisable`);
- no token may stand where a value's characters change the Markdown around it: inside `<...>`
  (autolinks, raw HTML), `{...}` (attribute lists), code, an entity, next to `_` (emphasis),
  before a tab on its line (tab stops), at a line start unless the value starts with a letter
  (list, heading and code markers), or inside a tag unless the value has no whitespace.
"""
from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field

from jinja2 import nodes

from generator.site import safety

FIRST = 0xF0000  # Supplementary Private Use Area-A: never a word, space or digit character
LAST = 0xFFFFD
TOKEN = re.compile("[\U000F0000-\U000FFFFD]")
TAG = re.compile(r"<[^<>]*>")
CODE = re.compile(r"<(code|pre)\b.*?</\1>", re.S)
LINE_START = re.compile(r"[ \t>*+\-\d.)#=]*")  # what may precede a token at a block's start
ENTITY_START = re.compile(r"&#?[0-9a-zA-Z]*$")
CAPTURES = (nodes.FilterBlock, nodes.AssignBlock, nodes.CallBlock, nodes.Include, nodes.Import,
            nodes.FromImport, nodes.Extends, nodes.Block)
RENDERING = {"caller", "loop", "super", "self", "varargs", "kwargs"}
CACHE_SIZE = 256  # distinct notice structures kept (a few per locale in a typical project)

_local = threading.local()


def markdown_html(text: str) -> tuple[str, list[str]]:
    """HTML of `text` and the raw HTML Markdown passed through. One converter per thread, reset
    between notices: ~15% faster per notice than building one (and its extensions) each time."""
    md = getattr(_local, "md", None)
    if md is None:
        import markdown  # here: a rebuild that finds every structure in the store never needs it
        from markdown.extensions.attr_list import AttrListExtension
        from markdown.extensions.sane_lists import SaneListExtension

        # instances, not names: a name costs a scan of every installed package's entry points
        md = _local.md = markdown.Markdown(extensions=[AttrListExtension(), SaneListExtension()], output_format="html")
    html = md.reset().convert(text)
    return html, [str(block) for block in md.htmlStash.rawHtmlBlocks]


class Recorder:
    """The values of one notice render, in the order their tokens were handed out."""

    def __init__(self):
        self.values: list[str] = []

    def token(self, text: str) -> str | None:
        if len(self.values) > LAST - FIRST or not inert(text):
            return None
        self.values.append(text)
        return chr(FIRST + len(self.values) - 1)


def recorder() -> Recorder | None:
    """The recorder of the render running in this thread, if it tokenises."""
    return getattr(_local, "recorder", None)


@contextmanager
def recording():
    rec = _local.recorder = Recorder()
    try:
        yield rec
    finally:
        _local.recorder = None


def inert(text: str) -> bool:
    """Markdown shows `text` (backslash-escaped by as_text) as it is, whatever its context. A
    backtick is not: code spans are found before escapes, so even an escaped one closes a span
    the template opened."""
    return (bool(text) and text == text.strip() and text.isprintable() and "`" not in text
            and not TOKEN.search(text))


def tokenisable(env, name: str) -> bool:
    """The template outputs values only where they end up in the text as they are: no output
    captured and transformed (filter, set and call blocks, a macro's result given to a filter),
    nothing from other templates. Decided once per compiled template (a changed file is a new one)."""
    template = env.get_template(name)
    found = getattr(template, "_optin_tokenisable", None)
    if found is None:
        with open(template.filename, encoding="utf-8") as file:  # what the loader read (not loaded twice)
            source = file.read()
        name = "template " + hashlib.sha256(source.encode()).hexdigest()
        plain = _stored(name)
        if plain is None:
            tree = env.parse(source)
            macros = {m.name for m in tree.find_all(nodes.Macro)} | RENDERING
            plain = _plain(tree, None, macros)
        found = template._optin_tokenisable = (name, plain)
    _store_put(*found)
    return found[1]


def _plain(node, parent, macros: set[str]) -> bool:
    if isinstance(node, CAPTURES):
        return False
    if isinstance(node, nodes.Call) and not isinstance(parent, nodes.Output):
        callee = node.node
        while isinstance(callee, (nodes.Getattr, nodes.Getitem)):
            callee = callee.node
        if not isinstance(callee, nodes.Name) or callee.name in macros:
            return False
    return all(_plain(child, node, macros) for child in node.iter_child_nodes())


@dataclass
class Entry:
    """One tokenised notice converted: the HTML around the tokens and what each token needs."""

    parts: tuple[str, ...]
    order: tuple[int, ...]  # the token between parts[k] and parts[k + 1]
    line_start: frozenset[int]  # tokens whose value must start with a letter
    in_tag: frozenset[int]  # tokens inside a tag: no whitespace in the value
    tags: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...]  # tags holding tokens, split the same way
    findings: dict[str, bool] = field(default_factory=dict)  # origin -> the HTML outside values is unsafe


_entries: OrderedDict[tuple[str, int], Entry | None] = OrderedDict()
_entries_lock = threading.Lock()
_MISSING = object()
# What earlier builds worked out (conversions, templates' tokenisability): a dict of the build
# cache's (saved with it), so a rebuild converts no notice whose structure it has seen.
_store: dict = {"data": None, "kept": set()}


def use_store(store: dict | None) -> None:
    """Keep what is worked out in `store` (the build cache's memo); None: in this process only."""
    if store is not _store["data"]:
        _store.update(data=store, kept=set())


def _stored(name: str, default=None):
    with _entries_lock:
        data = _store["data"]
        return data.get(name, default) if data is not None else default


def _store_put(name: str, value, key=None) -> None:
    """Keep `value` in the store (also what this process worked out before the store was set)."""
    with _entries_lock:
        if _store["data"] is not None:
            _store["data"][name] = value
            if key is not None:
                _store["kept"].add(key)


def trim_store(wanted: int = 4 * CACHE_SIZE) -> None:
    """Before the store is saved: only the newest `wanted` items stay."""
    with _entries_lock:
        data = _store["data"]
        for name in list(data)[:-wanted] if data else ():
            del data[name]


def _split(text: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    return tuple(TOKEN.split(text)), tuple(ord(t) - FIRST for t in TOKEN.findall(text))


def _analyse(source: str, count: int) -> Entry | None:
    """None when the tokenised source cannot stand for the rendered one (module docstring)."""
    found = [m.start() for m in TOKEN.finditer(source)]
    if sorted(ord(source[i]) - FIRST for i in found) != list(range(count)):
        return None  # a token lost, repeated, or a token character in the template itself
    line_start = set()
    for at in found:
        line = source.rfind("\n", 0, at) + 1
        end = source.find("\n", at)
        if (source.rfind("<", 0, at) > source.rfind(">", 0, at) or source.rfind("{", 0, at) > source.rfind("}", 0, at)
                or source[at - 1:at] == "_" or source[at + 1:at + 2] == "_" or "\t" in source[at:end if end >= 0 else None]
                or ENTITY_START.search(source, max(line, at - 40), at)):
            return None
        if LINE_START.fullmatch(source, line, at):
            line_start.add(ord(source[at]) - FIRST)
    html, raw = markdown_html(source)
    if any(TOKEN.search(block) for block in raw) or any(TOKEN.search(m.group(0)) for m in CODE.finditer(html)):
        return None
    parts, order = _split(html)
    if sorted(order) != list(range(count)):
        return None
    tags = tuple(_split(m.group(0)) for m in TAG.finditer(html) if TOKEN.search(m.group(0)))
    return Entry(parts, order, frozenset(line_start), frozenset(i for _, o in tags for i in o), tags)


def entry(source: str, count: int) -> Entry | None:
    """The cached conversion of a tokenised source with `count` tokens (None: render directly)."""
    key = (source, count)  # the count too: a value's own private-use characters may look like tokens
    with _entries_lock:
        found = _entries.get(key, _MISSING)
        if found is not _MISSING:
            _entries.move_to_end(key)
            if _store["data"] is None or key in _store["kept"]:
                return found
    name = f"entry {count} " + hashlib.sha256(source.encode()).hexdigest()
    if found is _MISSING:
        found = _stored(name, _MISSING)
    if found is _MISSING:
        found = _analyse(source, count)
    _store_put(name, found, key)
    with _entries_lock:
        _entries[key] = found
        while len(_entries) > CACHE_SIZE:
            _entries.popitem(last=False)
    return found


def _join(parts: tuple[str, ...], order: tuple[int, ...], values: list[str]) -> str:
    out = [parts[0]]
    for k, index in enumerate(order):
        out += (values[index], parts[k + 1])
    return "".join(out)


def fits(found: Entry, values: list[str]) -> bool:
    """Whether these values may take the tokens' places (else: the direct path)."""
    return (all(values[i][:1].isalpha() for i in found.line_start)
            and not any(any(c.isspace() for c in values[i]) for i in found.in_tag))


def fill(found: Entry, escaped: list[str]) -> str:
    """The notice HTML with the (HTML-escaped) values in place."""
    return _join(found.parts, found.order, escaped)


def unsafe(found: Entry, escaped: list[str], own_origin: str) -> bool:
    """Whether the filled notice may hold something safety.scan refuses: the HTML outside the
    values is scanned once per origin, then only the tags that hold values (escaped values
    cannot end or add a tag)."""
    if own_origin not in found.findings:
        found.findings[own_origin] = bool(safety.scan(_join(found.parts, found.order, [""] * len(escaped)),
                                                      own_origin))
    if found.findings[own_origin]:
        return True
    return bool(found.tags) and bool(safety.scan("".join(_join(p, o, escaped) for p, o in found.tags), own_origin))
