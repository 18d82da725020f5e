"""Language rules of `optin check`: channel names in the page language (for checkbox labels)
and English UI strings left on pages of other locales (`english-text`)."""
from __future__ import annotations

import re
from functools import cache, lru_cache

from generator.campaign import vocab
from generator.check.model import Page
from generator.check.registry import fail, rule
from generator.check.tree import HIDDEN, Node
from generator.i18n.locales import Locales

TEXT_ATTRS = ("alt", "title", "aria-label", "placeholder")


@lru_cache(maxsize=None)
def channel_pattern(locales: Locales, lang: str, channel: str) -> re.Pattern:
    """The channel's name in `lang` (from the catalog), as a pattern tolerant of inflection:
    'correo electrónico' also finds 'Correos electrónicos', 'E-Mail' finds 'E-Mails'."""
    try:
        name = locales.translations(lang).ugettext(vocab.CHANNEL_NAMES[channel])
    except OSError:
        name = vocab.CHANNEL_NAMES[channel]
    words = r"\W+".join(re.escape(w) + r"\w*" for w in name.split())
    return re.compile(rf"(?<!\w){words}", re.I)


# --- English left on non-English pages -------------------------------------------------------

@lru_cache(maxsize=None)
def _english_patterns(locales: Locales, lang: str) -> tuple[tuple[str, re.Pattern], ...]:
    """English UI fragments, minus any the locale's own translations use verbatim."""
    own = " ".join(" ".join(str(m.string or "").split()) for _, catalog in locales.layers(lang) for m in catalog
                   if m.id and not m.fuzzy and isinstance(m.string, str))
    out = []
    for text in locales.english_ui_strings():
        if text in own:
            continue
        body = r"\s+".join(re.escape(w) for w in text.split())
        out.append((text, re.compile(rf"(?<!\w){body}(?!\w)", re.I)))
    return tuple(sorted(out, key=lambda item: -len(item[0])))


WORD = re.compile(r"\w+")


@lru_cache(maxsize=None)
def _english_words(locales: Locales, lang: str) -> tuple[tuple[frozenset[str], str, re.Pattern], ...]:
    """Each fragment with the set of its words, lower-cased."""
    return tuple((frozenset(w.lower() for w in WORD.findall(text)), text, pattern)
                 for text, pattern in _english_patterns(locales, lang))


@cache
def _english_index(locales: Locales, lang: str) -> tuple[dict[str, tuple[int, ...]], tuple[int, ...]]:
    """The fragments (their positions in `_english_words`) by one of their words, the longest (rarely
    on other pages); and those without words, which every text is searched for."""
    index: dict[str, list[int]] = {}
    wordless = []
    for i, (needed, _, _) in enumerate(_english_words(locales, lang)):
        if needed:
            index.setdefault(max(sorted(needed), key=len), []).append(i)
        else:
            wordless.append(i)
    return {word: tuple(found) for word, found in index.items()}, tuple(wordless)


_PIECE_WORDS: dict[str, frozenset[str]] = {}
PIECES_KEPT = 100_000


def _piece_words(piece: str) -> frozenset[str]:
    if len(_PIECE_WORDS) >= PIECES_KEPT:
        _PIECE_WORDS.clear()
    words = _PIECE_WORDS[piece] = frozenset(map(str.lower, WORD.findall(piece)))
    return words


def _words(text: str) -> set[str]:
    """The words of `text`, lower-cased. No word holds white space, so the words of each piece
    between white space are remembered: the pages of a site repeat most of them."""
    known = _PIECE_WORDS.get
    return set().union(*[known(piece) or _piece_words(piece) for piece in set(text.split())])


@lru_cache(maxsize=1024)  # attribute texts repeat on every page, a page's text on its copy
def _found(locales: Locales, lang: str, text: str) -> list[tuple[str, re.Pattern]]:
    """The fragments present in `text`, longest first. A fragment can only be there when all its
    words are: a set test per candidate fragment leaves few regex searches per page."""
    words = _words(text)
    index, wordless = _english_index(locales, lang)
    candidates = [i for word in index.keys() & words for i in index[word]]
    if not candidates and not wordless:
        return []
    fragments = _english_words(locales, lang)
    return [(english, pattern) for needed, english, pattern in (fragments[i] for i in sorted([*candidates, *wordless]))
            if needed <= words and pattern.search(text)]


def _deepest(node: Node, pattern: re.Pattern, skip, nouns) -> Node:
    for child in node.children:
        if isinstance(child, Node) and not skip(child) and pattern.search(_strip(child.text(skip), nouns)):
            return _deepest(child, pattern, skip, nouns)
    return node


def _strip(text: str, nouns: list[str]) -> str:
    for noun in nouns:
        text = text.replace(noun, " | ")
    return text


def _in_english(node: Node) -> bool:
    """A subtree the English rule leaves out: not text, or marked as English on purpose."""
    lang = node.attrs.get("lang")
    return node.tag in HIDDEN or (bool(lang) and lang.lower().split("-")[0] == "en")


@rule({
    "english-text": "pages of a non-English locale show no English UI strings",
})
def rule_english_text(page: Page):
    lang = page.lang.split("-")[0].lower()
    if not lang or lang == "en":
        return
    skip = _in_english
    nouns = sorted((page.manifest or {}).get("proper_nouns", []), key=len, reverse=True)
    nouns = [" ".join(n.split()) for n in nouns if n.strip()]
    text = _strip(page.memo("text", lambda page: page.html.text(_in_english), tree_only=True), nouns)
    reported: dict[int, list[str]] = {}  # node -> fragments reported there (longest first)
    for english, pattern in _found(page.site.locales, lang, text):
        node = _deepest(page.html, pattern, skip, nouns)
        done = reported.setdefault(id(node), [])
        if not any(english.lower() in longer.lower() for longer in done):
            done.append(english)
            yield fail(page, "english-text", node, f"untranslated English: {english!r}")
    for node in page.html.iter():
        if node.attrs.keys().isdisjoint(TEXT_ATTRS):
            continue
        values = [(attr, node.get(attr)) for attr in TEXT_ATTRS if (node.get(attr) or "").strip()]
        if not values or skip(node) or any(skip(a) for a in node.ancestors()):
            continue
        for attr, value in values:
            found = _found(page.site.locales, lang, _strip(" ".join(value.split()), nouns))
            if found:
                yield fail(page, "english-text", node, f"untranslated English in {attr}=: {found[0][0]!r}")
