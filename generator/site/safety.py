"""What published HTML may not contain, as one set of predicates: the build refuses notices
that break them, and `optin check` (generator/check/rules/web.py) reports pages that do.

Scripts never run on these pages (the CSP allows none), so anything that would is a mistake or
an attack: script and data URLs, event-handler and style attributes, raw <script>/<iframe>/…,
and images from another origin (they tell a third party who read the notice).
"""
from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from generator.urls import SCRIPT_SCHEMES, origin, scheme, unsafe_url

# elements that run code, embed other documents or restyle the page
FORBIDDEN_ELEMENTS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "style",
                      "base", "meta", "link", "form"}
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "xlink:href", "poster", "data",
                  "background", "cite", "ping"}
LOADING = {("img", "src"), ("img", "srcset"), ("source", "src"), ("source", "srcset"),
           ("video", "src"), ("video", "poster"), ("audio", "src"), ("input", "src")}


def is_event_handler(attribute: str) -> bool:
    """onclick=, onerror=, …: code run by the page (the CSP blocks it)."""
    return attribute.lower().startswith("on")


def is_script_url(url: str) -> bool:
    """javascript: or vbscript:, however spelled (case, leading spaces, tabs inside)."""
    return scheme(url) in SCRIPT_SCHEMES


def is_foreign(url: str, own: str = "") -> bool:
    """`url` points at another origin than `own` (an absolute or scheme-relative URL)."""
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    if not scheme(url):
        return False
    return not own or origin(url) != own


@dataclass(frozen=True)
class Finding:
    message: str
    needle: str  # a piece of the source to look for, to name its line


class _Scanner(HTMLParser):
    def __init__(self, own: str):
        super().__init__(convert_charrefs=True)
        self.own = own
        self.found: list[Finding] = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_ELEMENTS:
            self.found.append(Finding(f"<{tag}> element (no scripts, frames, styles or embeds in a notice)",
                                      f"<{tag}"))
        for name, value in attrs:
            value = value or ""
            if is_event_handler(name):
                self.found.append(Finding(f"event-handler attribute {name}= (scripts never run on these pages)",
                                          name))
            elif name == "style":
                self.found.append(Finding("style= attribute (the pages allow no inline style)", "style"))
            elif name in URL_ATTRIBUTES and unsafe_url(value):
                self.found.append(Finding(f"{unsafe_url(value)}: URL in <{tag} {name}=> (only http(s), "
                                          "mailto, tel and relative links)", value.strip() or name))
            elif (tag, name) in LOADING and any(is_foreign(u.split()[0] if u.split() else "", self.own)
                                                for u in value.split(",")):
                self.found.append(Finding(f"image from another origin ({value.strip()}): it would tell that "
                                          "site who reads the notice; put the image in the project", value.strip()))

    handle_startendtag = handle_starttag


def scan(fragment: str, own_origin: str = "") -> list[Finding]:
    """Everything in an HTML fragment (a rendered notice) that a page must not publish."""
    scanner = _Scanner(own_origin)
    scanner.feed(fragment)
    scanner.close()
    return scanner.found
