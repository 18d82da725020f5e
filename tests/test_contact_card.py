"""The WhatsApp "save our number" contact card: valid vCard, shown only with a WhatsApp purpose
and a number, the number also readable as text on the thanks and confirmed pages."""
from __future__ import annotations

import re

import pytest
import vobject

from generator.errors import CampaignError, OptinError
from generator.pipeline.build import build
from support import projects


def _project(tmp_path, number: str | None, campaign: str = "nordlys-sko"):
    project = projects.example_project(tmp_path / "project")
    path = project.campaigns_dir / f"{campaign}.yaml"
    text = path.read_text(encoding="utf-8")
    if number is not None:
        text = text.replace("\nlocales:", f"\nwhatsapp_number: {number!r}\nlocales:", 1)
    path.write_text(text, encoding="utf-8")
    return project, path


def test_card_parses_with_name_and_number_and_pages_show_the_number(tmp_path):
    project, path = _project(tmp_path, "+47 400 00 000")
    out = tmp_path / "site"
    build(project, [path], out)
    card = vobject.readOne((out / "nordlys-sko" / "contact.vcf").read_text(encoding="utf-8"))
    assert card.fn.value == "Nordlys Sko"
    assert card.tel.value == "+4740000000"
    assert card.url.value == "https://optin.nordlyssko.example/nordlys-sko/"
    raw = (out / "nordlys-sko" / "contact.vcf").read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF line ends, as RFC 2426 asks
    for page in ("thanks.html", "confirm.html"):
        html = (out / "nordlys-sko" / "nb" / page).read_text(encoding="utf-8")
        assert '<span class="phone-number">+47 40 00 00 00</span>' in html
        assert re.search(r'<a href="\.\./contact\.vcf" download>', html)
    # Not on the sign-up page: the offer comes after the person has chosen.
    assert "contact.vcf" not in (out / "nordlys-sko" / "nb" / "index.html").read_text(encoding="utf-8")


def test_brand_with_vcard_specials_is_escaped(tmp_path):
    project, path = _project(tmp_path, "+47 400 00 000")
    path.write_text(path.read_text(encoding="utf-8").replace("name: Nordlys Sko\n", "name: 'Sko, Støvler; og mer'\n", 1),
                    encoding="utf-8")
    out = tmp_path / "site"
    build(project, [path], out)
    card = vobject.readOne((out / "nordlys-sko" / "contact.vcf").read_text(encoding="utf-8"))
    assert card.fn.value == "Sko, Støvler; og mer"


def test_no_number_no_card(tmp_path):
    project, path = _project(tmp_path, None)
    out = tmp_path / "site"
    build(project, [path], out)
    assert not (out / "nordlys-sko" / "contact.vcf").exists()
    assert "contact.vcf" not in (out / "nordlys-sko" / "nb" / "thanks.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("number, message", [
    ("+47 123", "is not a valid phone number"),
    ("call us", "is not a valid phone number"),
])
def test_invalid_number_names_the_key(tmp_path, number, message):
    project, path = _project(tmp_path, number)
    with pytest.raises(OptinError) as failure:
        build(project, [path], tmp_path / "site")
    assert isinstance(failure.value, CampaignError)
    text = str(failure.value)
    assert "whatsapp_number" in text and message in text and "nordlys-sko.yaml:" in text


def test_number_without_a_whatsapp_purpose_is_refused(tmp_path):
    project, path = _project(tmp_path, "+47 400 00 000")
    text = path.read_text(encoding="utf-8").replace("channel: whatsapp", "channel: sms")
    path.write_text(text.replace("  whatsapp: STOPP\n", ""), encoding="utf-8")
    with pytest.raises(OptinError) as failure:
        build(project, [path], tmp_path / "site")
    assert "whatsapp_number" in str(failure.value) and "no purpose sends WhatsApp" in str(failure.value)
