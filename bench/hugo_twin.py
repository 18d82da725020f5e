"""A Hugo site shaped like an optin build, so the two generators can be timed on the same work.

Per campaign and locale: a signup page with a form, confirm, thanks and withdraw pages, the
privacy notice and two earlier notice versions (7 pages), each notice ~1,000 words of the
locale's real notice Markdown (Jinja logic stripped); one shared layout with hreflang alternates, a CSP meta tag and a
stylesheet. Only `bench/` uses it.
"""
from __future__ import annotations

import re
from pathlib import Path

LANGS = ("nb", "de", "en", "es", "ms")
PAGES = ("index", "confirm", "thanks", "withdraw", "privacy", "privacy-v1", "privacy-v2")

CONFIG = """baseURL = "https://example.org/"
defaultContentLanguage = "en"
defaultContentLanguageInSubdir = true
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[markup.goldmark.parser.attribute]
  block = true
  title = true
[languages]
{languages}
"""

LAYOUT = """<!doctype html>
<html lang="{{ .Language.Lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'self'; form-action https://example.org">
<title>{{ .Title }} · {{ .Params.brand }}</title>
{{ range .AllTranslations }}<link rel="alternate" hreflang="{{ .Language.Lang }}" href="{{ .Permalink }}">
{{ end }}<link rel="stylesheet" href="/style.css">
</head>
<body>
<header><a href="{{ .Site.Home.RelPermalink }}">{{ .Params.brand }}</a></header>
<main>
<h1>{{ .Title }}</h1>
{{ if .Params.form }}
<form method="post" action="https://example.org/api/{{ .Params.campaign }}/submit">
<fieldset><legend>Messages</legend>
<label><input type="checkbox" name="purpose" value="offers"> Offers by SMS</label>
<label><input type="checkbox" name="purpose" value="news"> News by email</label>
</fieldset>
<label>Phone <input type="tel" name="phone" autocomplete="tel"></label>
<label>Email <input type="email" name="email" autocomplete="email"></label>
<button type="submit">Sign up</button>
</form>
{{ end }}
{{ .Content }}
</main>
<footer>{{ .Params.brand }} · <a href="privacy/">Privacy</a></footer>
</body>
</html>
"""

PLACEHOLDER = re.compile(r"\{\{.*?\}\}")
TAG = re.compile(r"\{[%#].*?[%#]\}", re.DOTALL)


def notice_markdown(source: str, brand: str) -> str:
    """The locale's notice with its Jinja logic removed and placeholders filled with a word."""
    text = TAG.sub("", source)
    return PLACEHOLDER.sub(brand, text)


def make_twin(folder: Path, campaigns: int, locales_dir: Path) -> int:
    """Write the Hugo twin into `folder`; returns the number of pages Hugo will render."""
    languages = "\n".join(f'  [languages.{lang}]\n    weight = {i + 1}\n    languageName = "{lang}"'
                          for i, lang in enumerate(LANGS))
    (folder / "config.toml").write_text(CONFIG.format(languages=languages), encoding="utf-8")
    layouts = folder / "layouts" / "_default"
    layouts.mkdir(parents=True)
    for kind in ("single", "list"):
        (layouts / f"{kind}.html").write_text(LAYOUT, encoding="utf-8")
    (folder / "static").mkdir()
    (folder / "static" / "style.css").write_text("body{font:1rem/1.5 system-ui;margin:0 auto;max-width:40rem}",
                                                 encoding="utf-8")
    notices = {lang: (locales_dir / lang / "notice.md").read_text(encoding="utf-8") for lang in LANGS}
    content = folder / "content"
    for number in range(campaigns):
        brand, campaign = f"Shop {number}", f"bench-{number:04d}"
        for lang in LANGS:
            body = notice_markdown(notices[lang], brand)
            for page in PAGES:
                target = content / campaign / page
                target.mkdir(parents=True, exist_ok=True)
                form = "true" if page == "index" else "false"
                text = body if page.startswith("privacy") else f"{page} {brand}\n"
                front = f'---\ntitle: "{page}"\nbrand: "{brand}"\ncampaign: "{campaign}"\nform: {form}\n---\n'
                (target / f"index.{lang}.md").write_text(front + text, encoding="utf-8")
    return campaigns * len(LANGS) * len(PAGES)
