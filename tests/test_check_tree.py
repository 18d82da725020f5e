"""The checker's page trees: descendants in document order, misnested and unclosed markup closed
the way the tree builder closes it, and another page's language read from its <html> tag alone."""
from __future__ import annotations

from html.parser import HTMLParser

from generator.check.model import Page, Site
from generator.check.tree import parse


def tags(nodes) -> list[str]:
    return [n.tag for n in nodes]


def test_descendants_in_document_order_and_filtered():
    root = parse("<html><body><div id=a><p>x<span>y</span></p><ul><li>1</li><li>2</li></ul></div>"
                 "<p>after</p></body></html>")
    div = next(n for n in root.iter("div"))
    assert tags(div.iter()) == ["p", "span", "ul", "li", "li"]
    assert tags(div.iter("li", "span")) == ["span", "li", "li"]
    assert tags(root.iter("p")) == ["p", "p"] and root.find("span").text() == "y"


def test_end_tag_closes_what_it_skips_and_open_elements_end_with_the_document():
    root = parse("<div><p>a<span>b</div><i>c</i><section><em>open")
    div, section = root.find("div"), root.find("section")
    assert tags(div.iter()) == ["p", "span"]  # </div> closed p and span too
    assert root.find("i").parent is root
    assert tags(section.iter()) == ["em"] and tags(root.iter()) == ["div", "p", "span", "i", "section", "em"]
    assert tags(parse("<br><img src=x><p>t</p>").iter()) == ["br", "img", "p"]
    assert not list(root.find("span").iter())


def test_lang_of_a_page_comes_from_its_html_tag(tmp_path):
    site = Site(tmp_path, locales=None)
    page = Page(site, "x.html", '<!DOCTYPE html>\n<HTML class="a" LANG=" de-AT "><head><title>t</title>')
    assert page.lang == "de-AT"
    assert Page(site, "y.html", "<p lang=en>no html tag</p>").lang == ""


class _Reference(HTMLParser):
    """The standard library's parser, as a reference: the events it reports, in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.events.append(("start", tag, _first(attrs), self.getpos()[0]))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self.events.append(("end", tag))

    def handle_data(self, data):
        if self.events and self.events[-1][0] == "data":
            self.events[-1] = ("data", self.events[-1][1] + data)
        else:
            self.events.append(("data", data))


def _first(attrs) -> dict:
    out = {}
    for k, v in attrs:
        out.setdefault(k.lower(), v if v is not None else "")
    return out


def _starts_and_text(root) -> tuple[list, str]:
    def text(node) -> str:  # in document order
        return "".join(c if isinstance(c, str) else text(c) for c in node.children)
    return [(n.tag, n.attrs, n.line) for n in root.iter()], text(root)


def test_the_tree_matches_html_parser_on_every_built_page(example_site):
    """Elements, attributes (entities decoded, the first of repeated ones), start lines and text
    as html.parser reports them, on every page of the examples."""
    pages = sorted(example_site.rglob("*.html"))
    assert len(pages) > 50
    for path in pages:
        source = path.read_text(encoding="utf-8")
        ref = _Reference()
        ref.feed(source)
        ref.close()
        starts, text = _starts_and_text(parse(source))
        assert starts == [(tag, attrs, line) for kind, tag, attrs, line in
                          (e for e in ref.events if e[0] == "start")], path
        assert text == "".join(e[1] for e in ref.events if e[0] == "data"), path


def test_hostile_markup_is_read_like_html_parser():
    source = ('<!DOCTYPE html><!-- a <p> in a comment --><p class="a" class=b data-x=\'1 > 2\' hidden>'
              'x &amp; y &lt;b&gt;</p>\n<script>if (a < b && "</p>") {}</script><style>a>b{}</style>'
              '<a href="?a=1&amp;b=2">l</a> 1 < 2 <br/><img src=x alt="&quot;q&quot;"><p>unclosed')
    ref = _Reference()
    ref.feed(source)
    ref.close()
    starts, text = _starts_and_text(parse(source))
    assert starts == [(tag, attrs, line) for kind, tag, attrs, line in (e for e in ref.events if e[0] == "start")]
    assert text == "".join(e[1] for e in ref.events if e[0] == "data")
    root = parse(source)
    assert root.find("p").attrs == {"class": "a", "data-x": "1 > 2", "hidden": ""}
    assert root.find("a").get("href") == "?a=1&b=2" and root.find("img").get("alt") == '"q"'
    assert root.find("script").children == ['if (a < b && "</p>") {}']
