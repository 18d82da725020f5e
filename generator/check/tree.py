"""Built pages as small trees, read by one pass of regular expressions (the elements, attributes
and text html.parser gives; no dependencies), line numbers kept for messages."""
from __future__ import annotations

import html
import re

VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
HIDDEN = ("script", "style", "template")  # elements whose content is not the page's text


class Node:
    """An element: tag, attributes (valueless ones map to ""), children (Nodes and strings)."""

    # `doc` is every element of the document in order; a node's descendants are doc[pos + 1:end]
    # (set when the node closes), so iterating them needs no recursion. `at` is where the start
    # tag is in the source: the line is counted only when asked for (messages, tests).
    __slots__ = ("tag", "attrs", "children", "parent", "at", "doc", "pos", "end")

    def __init__(self, tag: str, attrs: dict[str, str], parent: "Node | None", at: int,
                 doc: _Elements, pos: int):
        self.tag, self.attrs, self.parent, self.at = tag, attrs, parent, at
        self.children: list[Node | str] = []
        self.doc, self.pos, self.end = doc, pos, pos + 1

    @property
    def line(self) -> int:
        return self.doc.source.count("\n", 0, self.at) + 1 if self.at >= 0 else 0

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def iter(self, *tags: str):
        """This node's descendant elements, in document order (optionally only `tags`)."""
        if self.pos < 0:  # the document: every element, indexed by tag
            if len(tags) == 1:
                return iter(self.doc.by_tag().get(tags[0], ()))
            nodes = self.doc
        else:
            nodes = self.doc[self.pos + 1:self.end]
        return iter(nodes) if not tags else (n for n in nodes if n.tag in tags)

    def find(self, tag: str) -> "Node | None":
        return next(self.iter(tag), None)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def text(self, skip=None) -> str:
        """Whitespace-folded text of this subtree; `skip(node)` leaves out a child subtree."""
        parts: list[str] = []
        add = parts.append

        def walk(node: Node) -> None:
            for child in node.children:
                if child.__class__ is str:
                    add(child)
                elif child.tag not in HIDDEN and not (skip is not None and skip(child)):
                    walk(child)
                    add(" ")

        walk(self)
        return " ".join("".join(parts).split())

    def describe(self) -> str:
        """A short, stable selector: input#purpose-offers, link[hreflang=de], #main p."""
        if self.get("id"):
            return f"{self.tag}#{self.get('id')}"
        keys = [k for k in ("name", "for", "rel", "hreflang", "http-equiv", "type", "href", "src", "action")
                if self.get(k)]
        own = self.tag + "".join(f"[{k}={self.get(k)}]" for k in keys[:2])
        if not keys and self.get("class"):
            own += "." + ".".join(self.get("class").split())
        anchor = next((a for a in self.ancestors() if a.get("id")), None)
        return f"#{anchor.get('id')} {own}" if anchor is not None else own


class Document(Node):
    """The root of a parsed page; `memo` keeps what rules derive from the page (dropped with the
    tree, so a big site's pages do not all stay in memory)."""

    __slots__ = ("memo",)


class _Elements(list):
    """Every element of a document in order, with the source (for line numbers)."""

    __slots__ = ("_by_tag", "source")

    def by_tag(self) -> dict[str, list[Node]]:
        try:
            return self._by_tag
        except AttributeError:
            index: dict[str, list[Node]] = {}
            for node in self:
                index.setdefault(node.tag, []).append(node)
            self._by_tag = index
            return index


# One pass of regular expressions over the page (html.parser calls back per character run and
# was half of a big site's check): comments, declarations, end tags, start tags; text between
# them (re.split gives text, token, end, start, attrs in turn). script and style hold raw text
# up to their end tag, like html.parser reads them. The attributes of a start tag split only one
# way, so they are matched possessively (no backtracking).
TOKEN = re.compile(r"""(<!--.*?(?:-->|\Z)|<[!?][^>]*>?
    |</(?P<end>[a-zA-Z][^\t\n\r\f />\x00]*)[^>]*>?
    |<(?P<start>[a-zA-Z][^\t\n\r\f />\x00]*)(?P<attrs>(?:[^>"']++|"[^"]*+"|'[^']*+')*+)>)""", re.S | re.X)
ATTR = re.compile(r"""((?<=[\s"'])|^)([^\s"'>/=][^\s"'>/=]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
RAW_TEXT = {"script": re.compile(r"</script\s*>", re.I), "style": re.compile(r"</style\s*>", re.I)}
# A site repeats the same start tags on every page: their attributes are read once per process
_SEEN: dict[str, tuple[dict[str, str], bool]] = {}
SEEN_KEPT = 50_000


def _start_tag(text: str) -> tuple[dict[str, str], bool]:
    """(attributes, whether the tag ends with "/") of a start tag's attribute text, remembered."""
    if len(_SEEN) >= SEEN_KEPT:
        _SEEN.clear()
    seen = _SEEN[text] = (_attributes(text), text.rstrip().endswith("/"))
    return seen


def _feed(source: str, root: Document) -> None:
    """Build the tree under `root`; the elements left open stay open (see `parse`)."""
    doc, current = root.doc, root
    unescape, add_element, seen = html.unescape, doc.append, _SEEN.get
    pieces, pos = TOKEN.split(source), 0
    raw = None  # the end tag of the open script or style: its text is raw
    while True:
        restart = None
        tokens = iter(pieces)
        for text, token, end, tag, attrs in zip(tokens, tokens, tokens, tokens, tokens):
            if raw is not None:
                close = raw.search(source, pos)
                if close is None or close.start() != pos + len(text):
                    restart = close.start() if close else len(source)
                    break  # a token inside the raw text: read again after it
                raw = None
                if text:
                    current.children.append(text)
            elif text:
                current.children.append(unescape(text) if "&" in text else text)
            at = pos + len(text)
            pos = at + len(token)
            if end:
                end = end.lower()
                node = current
                while node is not root and node.tag != end:
                    node = node.parent
                if node is not root:  # a stray end tag is ignored, like browsers do
                    count, parent = len(doc), node.parent
                    while current is not parent:  # implicitly closed elements end here too
                        current.end = count
                        current = current.parent
            elif tag:
                tag = tag.lower()
                values, closed = seen(attrs) or _start_tag(attrs)
                node = Node(tag, values.copy() if values else {}, current, at, doc, len(doc))
                add_element(node)
                current.children.append(node)
                if not closed and tag not in VOID:
                    current = node
                    raw = RAW_TEXT.get(tag)
        else:
            text = pieces[-1]  # after the last token (no end tag follows: raw text runs to the end)
            if text:
                current.children.append(text if raw is not None or "&" not in text else unescape(text))
            break
        if restart > pos:
            current.children.append(source[pos:restart])
        raw, pos = None, restart
        pieces = TOKEN.split(source[restart:])
    while current is not None:  # what the document left open ends with it
        current.end = len(doc)
        current = current.parent


def _attributes(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    if not text.strip(" /"):
        return values
    for _, name, double, single, bare in ATTR.findall(text):
        name = name.lower()
        if name not in values:  # of repeated attributes the first counts, as in browsers
            value = double or single or bare
            values[name] = html.unescape(value) if "&" in value else value
    return values


def parse(source: str) -> Document:
    doc = _Elements()
    doc.source = source
    root = Document("#document", {}, None, -1, doc, -1)
    root.memo = {}
    _feed(source, root)
    return root
