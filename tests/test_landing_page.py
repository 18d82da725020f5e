"""The campaign's `page:` (headline, intro, incentive, hero): validated with the campaign, the
intro's Markdown inserted safely (no raw HTML, links only https or relative), the hero image a
file of the project, sized in the HTML and copied as an asset."""
from __future__ import annotations

import json
import re

import pytest

from generator.campaign.model import load
from generator.pipeline.build import build
from generator.site.landing import intro_html
from support.projects import example_project
from support.projects import LOCALES

EXAMPLE = "nordlys-sko"


def per_locale(text: str) -> str:
    return "\n".join(f"    {lang}: {json.dumps(text)}" for lang in LOCALES)


@pytest.fixture
def project(tmp_path):
    return example_project(tmp_path / "p")


def with_page(project, block: str):
    path = project.campaigns_dir / f"{EXAMPLE}.yaml"
    text = path.read_text(encoding="utf-8")
    text = text[:text.index("\npage:")] if "\npage:" in text else text
    path.write_text(text + "\npage:\n" + block, encoding="utf-8")
    return load(path, project)


def messages(problems) -> list[str]:
    return [f"{p.key}: {p.message}" for p in problems]


def test_the_examples_have_landing_copy(example_site):
    page = (example_site / EXAMPLE / "nb" / "index.html").read_text(encoding="utf-8")
    assert "<h1>Skotilbud og ordrevarsler fra Nordlys Sko</h1>" in page
    assert '<p class="incentive">' in page and "<strong>Ingenting sendes før du bekrefter.</strong>" in page
    hero = re.search(r'<img class="hero" src="([^"]+)" alt="([^"]+)" width="(\d+)" height="(\d+)">', page)
    assert hero and hero.group(2) == "Grønn joggesko på en lys bakke" and hero.groups()[2:] == ("640", "320")
    assert (example_site / EXAMPLE / "nb" / hero.group(1)).resolve().is_file()  # copied as an asset
    assert hero.group(1).startswith("../../assets/")


def test_fields_and_button_follow_the_choices(example_site):
    """Purposes, then the fields, then the statements before consent, then the button."""
    page = (example_site / EXAMPLE / "es" / "index.html").read_text(encoding="utf-8")
    order = [page.index(s) for s in ('class="purposes"', 'id="phone"', 'class="summaries"', 'id="signup-submit"')]
    assert order == sorted(order)
    assert 'name="notice_version"' in page and '<details class="version">' in page


def test_intro_markdown_is_made_safe():
    out = intro_html('Hi <script>alert(1)</script> **bold** [ok](https://x.example/a?b=1&c=2) '
                     '[rel](withdraw.html) [bad](javascript:alert(1)) [plain](http://x.example) '
                     '<img src=x onerror=alert(1)> <b onclick="x">b</b>')
    assert "<script" not in out and "<img" not in out and "<b " not in out  # raw HTML is shown as text
    assert "&lt;script&gt;" in out
    assert "<strong>bold</strong>" in out
    assert '<a href="https://x.example/a?b=1&amp;c=2">ok</a>' in out and '<a href="withdraw.html">rel</a>' in out
    assert "javascript:" not in out and 'href="http://' not in out
    assert "bad" in out and "plain" in out  # the text of a refused link stays


def test_valid_page_loads(project):
    campaign, problems = with_page(project, f"  headline:\n{per_locale('Hello')}\n  intro:\n{per_locale('*Hi* there')}\n")
    assert problems == [] and campaign.page.headline["de"] == "Hello" and campaign.page.hero is None


@pytest.mark.parametrize("block, expected", [
    ("  headline:\n    nb: Hei\n", "page.headline: missing for 'en', 'de', 'es', 'ms'"),
    (f"  headline:\n{per_locale('x')}\n    fr: Salut\n", "page.headline.fr: 'fr' is not a locale of this campaign"),
    (f"  intro:\n{per_locale('<b>x</b>')}\n", "page.intro.nb: contains raw HTML"),
    (f"  intro:\n{per_locale('[x](javascript:alert(1))')}\n", "page.intro.nb: link 'javascript:alert(1' is not https or relative"),
    (f"  intro:\n{per_locale('[x](http://a.example)')}\n", "page.intro.nb: link 'http://a.example' is not https or relative"),
    (f"  hero:\n    src: https://cdn.example/x.png\n    alt:\n{per_locale('x').replace('    ', '      ')}\n",
     "page.hero.src: 'https://cdn.example/x.png' is hosted elsewhere"),
    (f"  hero:\n    src: ../outside.png\n    alt:\n{per_locale('x').replace('    ', '      ')}\n",
     "page.hero.src: '../outside.png' is outside the project"),
    (f"  hero:\n    src: campaigns/missing.png\n    alt:\n{per_locale('x').replace('    ', '      ')}\n",
     "page.hero.src: image file 'campaigns/missing.png' does not exist"),
    ("  hero:\n    src: campaigns/nordlys-sko-hero.svg\n    alt:\n      nb: x\n",
     "page.hero.alt: missing for 'en', 'de', 'es', 'ms'"),
    ("  teaser: x\n", "page.teaser: unknown key"),
])
def test_page_problems_name_the_key(project, block, expected):
    campaign, problems = with_page(project, block)
    assert campaign is None and expected in messages(problems), messages(problems)


def test_a_hero_that_is_not_an_image_is_refused(project):
    (project.root / "campaigns" / "fake.png").write_text("not an image", encoding="utf-8")
    _, problems = with_page(project, f"  hero:\n    src: campaigns/fake.png\n    alt:\n{per_locale('x').replace('    ', '      ')}\n")
    assert any(p.key == "page.hero.src" and "size can be read" in p.message for p in problems)


def test_a_png_hero_is_sized_from_its_header(project, tmp_path):
    import struct
    import zlib
    raw = b"".join(b"\x00" + b"\xff\xff\xff" * 3 for _ in range(2))
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 3, 2, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    (project.root / "img").mkdir()
    (project.root / "img" / "hero.png").write_bytes(png)
    campaign, problems = with_page(project, f"  hero:\n    src: img/hero.png\n    alt:\n{per_locale('Shoes').replace('    ', '      ')}\n")
    assert problems == [] and (campaign.page.hero.width, campaign.page.hero.height) == (3, 2)
    build(project, [project.campaigns_dir / f"{EXAMPLE}.yaml"], tmp_path / "site")
    page = (tmp_path / "site" / EXAMPLE / "en" / "index.html").read_text(encoding="utf-8")
    assert 'alt="Shoes" width="3" height="2"' in page
    assert list((tmp_path / "site" / "assets" / EXAMPLE).glob("hero.*.png"))
