"""QR codes and posters: `optin build` writes, per campaign and locale, a QR code of the signup
page's public address (qr.svg, qr.png) and an A4 poster page; the codes decode back to the
address (zbarimg, Debian's zbar-tools; the SVG as Chromium draws it) and the posters pass
`optin check`. A campaign without base_url gets none, and the build says why."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from support.checks import failures, run_check
from support.projects import project as empty_project

from generator.pipeline.build import build
from generator.site import qr

BASE = "https://optin.shop.example"


def zbarimg() -> str:
    """Debian's zbar-tools decoder; scripts/test.sh installs it (and sets OPTIN_REQUIRE_TOOLS)."""
    found = shutil.which("zbarimg")
    if not found:
        if os.environ.get("CI") or os.environ.get("OPTIN_REQUIRE_TOOLS"):
            pytest.fail("zbarimg is missing: apt-get install zbar-tools (scripts/test.sh does it)")
        pytest.skip("zbarimg not installed (apt-get install zbar-tools)")
    return found


def decode(image) -> list[str]:
    """Every QR code zbarimg finds in the image file, as text."""
    proc = subprocess.run([zbarimg(), "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(image)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr  # 4: no code found
    return proc.stdout.splitlines()


def make_project(root, base_url: str | None = BASE, locales: str = "[en, nb]"):
    """A one-campaign project from optin's starter, with `base_url` and `locales` set."""
    from generator.campaign.starter import write_starter

    project = empty_project(root)
    path = write_starter("shop", project.campaigns_dir, project.root / "schema.json")
    text = path.read_text(encoding="utf-8").replace("locales: [en]", f"locales: {locales}")
    if base_url:
        text = text.replace("# base_url: https://optin.example.com", f"base_url: {base_url}")
    path.write_text(text, encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("qr"))
    out = project.root / "site"
    result = build(project, None, out)
    assert not [w for w in result.warnings if "QR" in w]
    return out


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_png_decodes_to_the_signup_address(site, lang):
    assert decode(site / "shop" / lang / qr.QR_PNG) == [f"{BASE}/shop/{lang}/"]


def test_svg_and_png_hold_the_same_code(site):
    svg = (site / "shop/en/qr.svg").read_text(encoding="utf-8")
    size = qr.qr_code(f"{BASE}/shop/en/").symbol_size(border=4)[0]
    assert svg.startswith("<svg") and f'width="{size}"' in svg and 'fill="#fff"' in svg  # white quiet zone
    assert qr.qr_files(f"{BASE}/shop/en/") == {name: (site / "shop/en" / name).read_bytes()
                                                for name in (qr.QR_SVG, qr.QR_PNG)}


def test_poster_names_the_brand_the_address_and_shows_the_code(site):
    page = (site / "shop/nb/poster.html").read_text(encoding="utf-8")
    assert '<html lang="nb">' in page and "Example Shop" in page
    assert f'<a href="{BASE}/shop/nb/">{BASE}/shop/nb/</a>' in page
    assert 'src="qr.svg"' in page and 'href="../en/poster.html"' in page
    assert "@page { size: A4" in next((site / "assets").glob("poster.*.css")).read_text(encoding="utf-8")


def test_posters_pass_the_checker(site):
    code, report = run_check(site, "--page", "*/poster.html")
    assert report["pages_checked"] == 2
    assert (code, failures(report)) == (0, [])


def test_no_base_url_no_code_and_the_build_says_why(tmp_path):
    project = make_project(tmp_path / "p", base_url=None)
    result = build(project, None, tmp_path / "site")
    assert not list((tmp_path / "site").rglob("qr.*")) and not list((tmp_path / "site").rglob("poster.html"))
    [warning] = [w for w in result.warnings if "QR codes" in w]
    assert "shop.yaml: base_url: not set" in warning and "set `base_url:`" in warning


@pytest.mark.browser
def test_svg_as_chromium_draws_it_decodes(site, static_server, page, tmp_path):
    page.set_viewport_size({"width": 800, "height": 1100})
    page.goto(f"{static_server(site)}/shop/en/poster.html")
    shot = tmp_path / "poster.png"
    page.locator("img.poster-qr").screenshot(path=str(shot))
    assert decode(shot) == [f"{BASE}/shop/en/"]
