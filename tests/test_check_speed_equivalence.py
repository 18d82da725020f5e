"""What makes `optin check` fast on a big site must not change what it finds: links resolved as
strings (cached per folder), one tree for pages with the same source, the English fragments
looked up by word, raw text read after a script's end tag, the collector left as it was."""
from __future__ import annotations

import gc
import os

from generator.check.model import Page, Site
from generator.check.run import check_site
from generator.check.tree import parse
from support import projects
from support.checks import copy_site, edit, failures, run_check

EN = "nordlys-sko/en/"


def _site(tmp_path) -> Site:
    for rel in ["index.html", "a/b/index.html", "a/b/x y.html", "a/b/privacy.html", "a/c/index.html", "a/d.html"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(f"<p>{rel}</p>", encoding="utf-8")
    (tmp_path / "a" / "empty").mkdir()
    return Site(tmp_path, locales=None)


def test_links_resolve_to_the_site_files_they_name(tmp_path):
    site = _site(tmp_path)
    page = Page(site, "a/b/index.html", "")
    expected = {
        "../c/": "a/c/index.html", "../c": "a/c/index.html",  # a folder is its index.html
        "/a/b/privacy.html": "a/b/privacy.html", "./privacy.html?v=1#top": "a/b/privacy.html",
        "x%20y.html": "a/b/x y.html", "?q": "a/b/index.html", "  privacy.html ": "a/b/privacy.html",
        "../empty/": "a/empty/index.html", "../d.html": "a/d.html", "/": "index.html",
        "../../../elsewhere.html": "../elsewhere.html",
    }
    for href, rel in expected.items():
        target = page.resolve(href)
        assert isinstance(target, str) and os.path.relpath(target, tmp_path) == os.path.normpath(rel), href
        assert page.resolve(href) == target  # the folder's cache answers the same
    for href in ["", "  ", "#frag", "https://cdn.example/x.js", "//cdn.example/x", "mailto:a@b.example"]:
        assert page.resolve(href) is None, href
    assert site.page(page.resolve("x%20y.html")).rel == "a/b/x y.html"
    assert site.page(page.resolve("../c")).source == "<p>a/c/index.html</p>"
    for missing in ["../empty/", "../../../elsewhere.html", "nope.html"]:
        assert site.page(page.resolve(missing)) is None, missing
    assert site.page("a/d.html") is site.page(tmp_path / "a" / "d.html") is site.page(str(tmp_path / "a/./d.html"))
    assert site.page("a/b") is None and site.page("../x.html") is None and site.page("/etc/hostname") is None


def test_pages_with_one_source_share_a_tree_not_their_results(tmp_path):
    site = Site(tmp_path, locales=None)
    source = '<html lang="de"><body><a href="privacy.html">p</a></body></html>'
    one, two = Page(site, "x/de/privacy.html", source), Page(site, "y/de/privacy.html", source)
    assert one.root is two.root and one.root is not Page(site, "z.html", source + " ").root
    assert one.memo("rel", lambda page: page.rel) == "x/de/privacy.html"
    assert two.memo("rel", lambda page: page.rel) == "y/de/privacy.html"  # per page by default
    assert two.memo("links", lambda page: len(list(page.root.iter("a"))), tree_only=True) == 1
    assert one.memo("links", lambda page: 0, tree_only=True) == 1  # computed once for the tree


def test_copies_of_a_page_are_each_reported(example_site, tmp_path):
    """A notice and its versioned copy are one source: each is still checked as itself."""
    site = copy_site(example_site, tmp_path)
    notices = sorted(p.relative_to(site).as_posix() for p in (site / EN).glob("privacy*.html"))
    assert len(notices) == 2 and len({(site / n).read_text(encoding="utf-8") for n in notices}) == 1
    for rel in notices:
        edit(site, rel, r"</main>", '<p id="tap" onclick="go()">x</p></main>')
    code, report = run_check(site, "--page", f"{EN}privacy*")
    found = failures(report, "inline-code")
    assert code == 1 and sorted(f["page"] for f in found) == notices
    assert all(f["element"].endswith("p#tap") and "onclick=" in f["message"] for f in found)


def _reference_found(locales, lang: str, text: str) -> list[str]:
    """The fragments a full scan finds: every word of the fragment in the text, then its pattern."""
    from generator.check.rules.language import WORD, _english_words

    words = {w.lower() for w in WORD.findall(text)}
    return [english for needed, english, pattern in _english_words(locales, lang)
            if needed <= words and pattern.search(text)]


def test_english_fragments_are_found_like_a_full_scan(locales):
    from generator.check.rules.language import _found

    ui = sorted(locales.english_ui_strings(), key=len)
    picks = [ui[0], ui[len(ui) // 2], ui[-1]]
    texts = [
        f"Vielen Dank. {picks[1]} Bis bald!",
        " ".join(picks).upper(),
        "\n".join(picks[2].split()) + "\u00a0(ſ K İ Σ)",
        picks[0] + picks[0],  # glued: a longer word, not the fragment
        f"«{picks[2]}»—{picks[1]}…",
        "Nichts auf Englisch hier, nur ein Satz.",
    ]
    for text in texts:
        found = [english for english, _ in _found(locales, "de", text)]
        assert found == _reference_found(locales, "de", text), text
    assert [e for e, _ in _found(locales, "de", texts[0])] and not _found(locales, "de", texts[-1])


def test_raw_text_ends_at_its_end_tag_even_around_markup():
    root = parse('<p>a</p><script>if (a<b) x = "<p>y</p>";</script><p>b &amp; c</p>'
                 '<style>a > b {}</style><script/>d<p>e</p>\n<script>var s = "<i>open')
    assert [n.tag for n in root.iter()] == ["p", "script", "p", "style", "script", "p", "script"]
    first, closed, last = root.iter("script")
    assert first.children == ['if (a<b) x = "<p>y</p>";'] and last.children == ['var s = "<i>open']
    assert [p.text() for p in root.iter("p")] == ["a", "b & c", "e"]
    assert root.find("style").children == ["a > b {}"] and closed.children == [] and "d" in root.children
    assert [n.line for n in root.iter("script")] == [1, 1, 2]
    unclosed = parse('<p title="a>b">x</p><a b="c>d</a>')  # a quote never closed: text, not a tag
    assert unclosed.find("p").get("title") == "a>b" and unclosed.find("a") is None
    assert unclosed.text() == 'x <a b="c>d'


def test_check_leaves_the_collector_as_it_was(example_site, tmp_path):
    threshold = gc.get_threshold()
    _, pages = check_site(example_site, projects.project(tmp_path))
    assert pages > 50
    assert gc.get_threshold() == threshold and gc.get_freeze_count() == 0
