"""SMS segment counting: GSM-7 (with its extension table) and UCS-2, at the exact boundaries."""
from __future__ import annotations

import pytest

from generator.site.sms import GSM7, UCS2, non_gsm, segments


@pytest.mark.parametrize("text, expected", [
    ("", (GSM7, 1)),
    ("a" * 160, (GSM7, 1)),
    ("a" * 161, (GSM7, 2)),
    ("a" * 306, (GSM7, 2)),
    ("a" * 307, (GSM7, 3)),
    ("a" * 459, (GSM7, 3)),
    ("a" * 460, (GSM7, 4)),
])
def test_gsm7_basic(text, expected):
    assert segments(text) == expected


def test_norwegian_letters_and_newlines_are_gsm7():
    text = "æøåÆØÅ ÄÖÑÜäöñüàé @£$¥ §¿¡\n\r" * 5
    assert non_gsm(text) == []
    assert segments(text)[0] == GSM7


@pytest.mark.parametrize("text, expected", [
    ("€" * 80, (GSM7, 1)),              # 160 septets
    ("€" * 80 + "a", (GSM7, 2)),        # 161
    ("{" * 79 + "ab", (GSM7, 1)),       # 158 + 2 = 160
    ("[" * 79 + "abc", (GSM7, 2)),      # 161
    ("^{}\\[~]|€" * 16 + "ab", (GSM7, 2)),  # 9 characters * 2 septets * 16 + 2 = 290
    ("€" * 152 + "a", (GSM7, 2)),            # 305 septets: 76 pairs + 76 pairs and an "a"
    ("€" * 152 + "aa", (GSM7, 3)),           # 306: two parts of 153 would hold it, split pairs cannot
])
def test_gsm7_extension_counts_two_septets(text, expected):
    assert segments(text) == expected


def test_an_extension_character_is_not_split_between_parts():
    # 152 + 2 + 152 = 306 septets would fit 2 x 153, but the euro sign cannot straddle parts
    assert segments("a" * 152 + "€" + "a" * 152) == (GSM7, 3)
    assert segments("a" * 151 + "€" + "a" * 153) == (GSM7, 2)


@pytest.mark.parametrize("char", ["ş", "ć", "á", "“"])
def test_one_character_outside_gsm7_makes_the_whole_text_ucs2(char):
    assert segments("a" * 69 + char) == (UCS2, 1)
    assert segments("a" * 70 + char) == (UCS2, 2)
    assert non_gsm("ab" + char + char) == [char]


@pytest.mark.parametrize("length, count", [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
def test_ucs2_boundaries(length, count):
    assert segments("ş" * length) == (UCS2, count)


def test_emoji_outside_the_bmp_take_two_units_and_are_not_split():
    assert segments("😀" * 35) == (UCS2, 1)  # 70 units
    assert segments("😀" * 35 + "a") == (UCS2, 2)  # 71
    assert segments("a" * 66 + "😀" + "a" * 66) == (UCS2, 3)  # 134 units, but the pair moves whole
    assert segments("a" * 65 + "😀" + "a" * 67) == (UCS2, 2)
