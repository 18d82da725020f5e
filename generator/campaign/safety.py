"""Rules for values that would otherwise reach pages and files unchecked: the text of every field
(no control or bidi-override characters, sensible lengths) and the logo (inside the project, a
real PNG, JPEG, WebP or SVG image, small, an SVG with no script, handler or outside reference).
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from xml.parsers import expat

from generator.errors import Problem
from generator.project import Project
from generator.urls import unsafe_url

MAX_LOGO_BYTES = 512 * 1024
# Longest sensible value per key (fnmatch-like: * is one key or list index); others: DEFAULT_MAX.
MAX_LENGTH = {
    "brand.name": 200, "controller.name": 200, "controller.*.name": 200, "providers.*.name": 200,
    "hosting.*.name": 200,
    "controller.address": 500, "controller.*.address": 500, "purposes.*.wording.*": 200,
    "notice.*": 20_000,
}
DEFAULT_MAX = 2_000
MULTI_LINE = ("notice.*",)  # texts that may hold line breaks and tabs
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
CONTROL_SINGLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def _pattern(path: tuple) -> str:
    return ".".join("*" if isinstance(step, int) else str(step) for step in path)


def _matches(pattern: str, rule: str) -> bool:
    a, b = pattern.split("."), rule.split(".")
    return len(a) == len(b) and all(y == "*" or x == y for x, y in zip(a, b))


def describe(char: str) -> str:
    """'U+001B (ESCAPE)': a character that cannot be shown, by code point and name."""
    name = unicodedata.name(char, "") or {"\x00": "NULL", "\x07": "BELL", "\x1b": "ESCAPE",
                                          "\x7f": "DELETE"}.get(char, "control character")
    return f"U+{ord(char):04X} ({name})"


def _strings(value, path: tuple):
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield path + (key,), key, True
            yield from _strings(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, path + (index,))
    elif isinstance(value, str):
        yield path, value, False


def text_problems(source) -> list[Problem]:
    """Every text value and key: no control characters (tabs and line breaks only in multi-line
    texts), no bidi overrides or isolates (they reorder what a reader sees), no 100 KB names."""
    out: list[Problem] = []
    for path, text, is_key in _strings(source.data, ()):
        pattern = _pattern(path)
        multi = not is_key and any(_matches(pattern, rule) for rule in MULTI_LINE)
        where, key = source.line(path), source.key(path)
        bad = (CONTROL if multi else CONTROL_SINGLE).search(text) or BIDI.search(text)
        if bad:
            char = bad.group()
            what = "bidi override/isolate" if BIDI.match(char) else "control character"
            fix = ("line breaks and tabs are allowed only in the notice text; write it on one line"
                   if char in "\t\n" else "delete it: it is invisible, or reorders or garbles what people read")
            out.append(Problem(source.file, where, key, f"{'the key' if is_key else 'the value'} contains the "
                               f"{what} {describe(char)} at character {bad.start() + 1}", fix))
        if is_key:
            continue
        limit = next((n for rule, n in MAX_LENGTH.items() if _matches(pattern, rule)), DEFAULT_MAX)
        if len(text) > limit:
            out.append(Problem(source.file, where, key, f"is {len(text):,} characters long; at most {limit:,}",
                               "shorten it: this text is shown on every page or in every message"))
    return out


# --- logo -----------------------------------------------------------------------------------

def image_type(data: bytes) -> str:
    """'png', 'jpg', 'webp' or 'svg' from the content (never the file name); '' for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") and b"<svg" in data[:4096] and svg_problem(data) != "not an SVG image":
        return "svg"
    return ""


SVG_NS = "http://www.w3.org/2000/svg"
FORBIDDEN_SVG = {"script", "foreignObject", "iframe", "embed", "object", "handler", "listener"}
SAFE_DATA_IMAGE = re.compile(r"^\s*data:image/(png|jpeg|gif|webp);base64,", re.I)
CSS_URL = re.compile(r"url\(\s*(['\"]?)\s*([^'\")]*)", re.I)


def _reference_problem(name: str, value: str) -> str:
    value = value.strip()
    if value.startswith("#") or SAFE_DATA_IMAGE.match(value):
        return ""
    if unsafe_url(value):
        return f"{name}={value[:60]!r}: a {unsafe_url(value)}: URL"
    return f"{name}={value[:60]!r} refers to a file or site outside the logo (only #fragments)"


def svg_problem(data: bytes) -> str:
    """Why an SVG cannot be published as it is ('' when it can): scripts, event handlers,
    <foreignObject>, references outside the file (href, xlink:href, CSS url(), @import,
    stylesheets), DTDs and entities. A problem found on a line says so ("… on line 3")."""
    found: list[str] = []
    root: list[str] = []
    parser = expat.ParserCreate(namespace_separator=" ")
    in_style = []

    def where() -> str:
        return f" on line {parser.CurrentLineNumber} of the SVG"

    def start(tag, attrs):
        ns, _, local = tag.rpartition(" ")
        if not root:
            root.append(local if ns == SVG_NS else "")
        if local in FORBIDDEN_SVG:
            found.append(f"<{local}>{where()}")
        in_style.append(local == "style")
        for name, value in attrs.items():
            local_name = name.rpartition(" ")[2]
            if local_name.lower().startswith("on"):
                found.append(f"event handler {local_name}={where()}")
            elif local_name == "href":
                problem = _reference_problem("xlink:href" if " " in name else "href", value)
                if problem:
                    found.append(problem + where())
            elif unsafe_url(value) and not SAFE_DATA_IMAGE.match(value):
                found.append(f"{local_name}={value[:60]!r}: a {unsafe_url(value)}: URL{where()}")
            if local_name == "style" or "url(" in value.lower():
                css(value)

    def css(text: str) -> None:
        if "@import" in text.lower():
            found.append(f"a stylesheet @import{where()}")
        for match in CSS_URL.finditer(text):
            if not match.group(2).strip().startswith("#"):
                found.append(f"a CSS url({match.group(2)[:60]}) outside the logo{where()}")

    def end(tag):
        in_style.pop()

    def text(chars):
        if in_style and in_style[-1]:
            css(chars)

    def refuse(what):
        return lambda *args: found.append(f"{what}{where()}")

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    parser.StartDoctypeDeclHandler = refuse("a <!DOCTYPE> (entities can expand or load files)")
    parser.EntityDeclHandler = refuse("an entity declaration")
    parser.ProcessingInstructionHandler = lambda target, body: (
        found.append(f"a <?{target}?> instruction{where()}") if target.lower() == "xml-stylesheet" else None)
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        return f"not well-formed XML ({expat.ErrorString(exc.code)} on line {exc.lineno} of the SVG)" \
            if root else "not an SVG image"
    if root != ["svg"]:
        return "not an SVG image"
    return found[0] if found else ""


def _inside(path: Path, folders: list[Path]) -> bool:
    return any(path == folder or folder in path.parents for folder in folders)


def logo_problems(logo, campaign_path: Path, project: Project, file: str, line: int | None) -> list[Problem]:
    """`brand.logo`: a file inside the project (symlinks followed), of an allowed image type by
    its content, at most MAX_LOGO_BYTES, an SVG without anything that could run or load."""
    if not isinstance(logo, str) or not logo:
        return []
    key = "brand.logo"
    given = campaign_path.parent / logo
    target = given.resolve()
    folder = campaign_path.parent.resolve()
    root = project.root.resolve()
    allowed = [root] if _inside(folder, [root]) else [folder]
    if not _inside(target, allowed):
        via = " through a symbolic link" if given.is_symlink() else ""
        return [Problem(file, line, key, f"{logo!r} leads outside the project ({allowed[0]}){via}",
                        "put the logo file in the project, next to the campaign, and name it relative to it")]
    if not target.is_file():
        return [Problem(file, line, key, f"logo file {logo!r} does not exist",
                        f"put the file next to the campaign (looked in {campaign_path.parent}) or fix the path")]
    size = target.stat().st_size
    if size > MAX_LOGO_BYTES:
        return [Problem(file, line, key, f"{logo!r} is {size // 1024:,} KB; a logo may be at most "
                        f"{MAX_LOGO_BYTES // 1024} KB", "export it smaller (an SVG or a PNG of about 400 px wide)")]
    data = target.read_bytes()
    kind = image_type(data)
    if not kind:
        return [Problem(file, line, key, f"{logo!r} is not a PNG, JPEG, WebP or SVG image (by its content)",
                        "export the logo as SVG, PNG, JPEG or WebP")]
    if kind == "svg":
        problem = svg_problem(data)
        if problem:
            return [Problem(file, line, key, f"the SVG logo {logo!r} has {problem}",
                            "remove it (export the logo as a plain SVG, or as PNG): the logo is published "
                            "as it is")]
    return []
