"""The checker's page trees: descendants in document order, misnested and unclosed markup closed
the way the tree builder closes it, and another page's language read from its <html> tag alone."""
from __future__ import annotations

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
