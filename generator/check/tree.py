"""Built pages as small trees: the standard library's html.parser, no dependencies, line numbers
kept for messages."""
from __future__ import annotations

import html
import re

VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


class Node:
    """An element: tag, attributes (valueless ones map to ""), children (Nodes and strings)."""

    # `doc` is every element of the document in order; a node's descendants are doc[pos + 1:end]
    # (set when the node closes), so iterating them needs no recursion
    __slots__ = ("tag", "attrs", "children", "parent", "line", "doc", "pos", "end")

    def __init__(self, tag: str, attrs: dict[str, str], parent: "Node | None", line: int,
                 doc: "list[Node]", pos: int):
        self.tag, self.attrs, self.parent, self.line = tag, attrs, parent, line
        self.children: list[Node | str] = []
        self.doc, self.pos, self.end = doc, pos, pos + 1

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def iter(self, *tags: str):
        """This node's descendant elements, in document order (optionally only `tags`)."""
        nodes = self.doc[self.pos + 1:self.end]
        return iter(nodes) if not tags else (n for n in nodes if n.tag in tags)

    def find(self, tag: str) -> "Node | None":
        return next(self.iter(tag), None)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def text(self, skip=lambda node: False) -> str:
        """Whitespace-folded text of this subtree; `skip(node)` leaves out a child subtree."""
        parts: list[str] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                elif child.tag not in ("script", "style", "template") and not skip(child):
                    walk(child)
                    parts.append(" ")

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


# One pass of regular expressions over the page (html.parser calls back per character run and
# was half of a big site's check): comments, declarations, end tags, start tags; text between
# them. script and style hold raw text up to their end tag, like html.parser reads them.
TOKEN = re.compile(r"""<!--.*?(?:-->|\Z)|<[!?][^>]*>?
    |</(?P<end>[a-zA-Z][^\t\n\r\f />\x00]*)[^>]*>?
    |<(?P<start>[a-zA-Z][^\t\n\r\f />\x00]*)(?P<attrs>(?:[^>"']|"[^"]*"|'[^']*')*)>""", re.S | re.X)
ATTR = re.compile(r"""((?<=[\s"'])|^)([^\s"'>/=][^\s"'>/=]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
RAW_TEXT = {"script": re.compile(r"</script\s*>", re.I), "style": re.compile(r"</style\s*>", re.I)}


class _TreeBuilder:
    def __init__(self) -> None:
        self.doc: list[Node] = []
        self.root = Node("#document", {}, None, 0, self.doc, -1)
        self.current = self.root

    def _add(self, tag: str, attrs: dict[str, str], line: int, descend: bool) -> None:
        node = Node(tag, attrs, self.current, line, self.doc, len(self.doc))
        self.doc.append(node)
        self.current.children.append(node)
        if descend and tag not in VOID:
            self.current = node

    def _close_to(self, node: Node) -> None:
        """Close the open elements up to and including `node` (implicitly closed ones too)."""
        open_node = self.current
        while open_node is not node.parent:
            open_node.end = len(self.doc)
            open_node = open_node.parent
        self.current = node.parent

    def end(self, tag: str) -> None:
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:  # a stray end tag is ignored, like browsers do
            self._close_to(node)

    def data(self, text: str, raw: bool = False) -> None:
        if text:
            self.current.children.append(text if raw else html.unescape(text))

    def feed(self, source: str) -> None:
        pos, line = 0, 1
        while True:
            match = TOKEN.search(source, pos)
            stop = match.start() if match else len(source)
            self.data(source[pos:stop])
            if not match:
                return
            line += source.count("\n", pos, stop)  # the line the token starts on
            pos = match.end()
            if match.group("end"):
                self.end(match.group("end").lower())
            elif match.group("start"):
                tag, attrs = match.group("start").lower(), match.group("attrs")
                self._add(tag, _attributes(attrs), line, not attrs.rstrip().endswith("/"))
                if tag in RAW_TEXT and self.current.tag == tag:
                    close = RAW_TEXT[tag].search(source, pos)
                    pos = close.start() if close else len(source)
                    self.data(source[match.end():pos], raw=True)
            line += source.count("\n", match.start(), pos)


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


def parse(source: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(source)
    node = builder.current
    while node is not None:  # what the document left open ends with it
        node.end = len(builder.doc)
        node = node.parent
    return builder.root
