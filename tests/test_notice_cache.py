"""Notices converted once per structure (site/notice_cache.py) are byte-identical to notices
rendered and converted in full, for the examples and for any values in any Markdown context."""
from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from generator.errors import BuildError
from generator.i18n.locales import Locales
from generator.site import notice_cache, notices, views

# Every place a value can stand in a notice's Markdown, the awkward ones included, and whether
# plain values ("Shop") there take the cache (else the notice is rendered directly).
CONTEXTS = [
    ("# Notice of {{ v[0] }} { #top }\n\n{{ v[1] }}, is the controller.", True),
    ("Text {{ v[0] }} and {{ v[1] }}.\nMore {{ v[0] }}{{ v[1] }}  \nnext", True),
    ("- {{ v[0] }}: at most {{ v[1] }} { .item-x }\n- two", True),
    ("**{{ v[0] }}** and *{{ v[1] }}*, **a {{ v[0] }}**b", True),
    ("Contact: [{{ v[0] }}](mailto:{{ v[1] }}).", True),
    ('![{{ v[0] }}](logo.png "{{ v[1] }}")', True),
    ("1. {{ v[0] }}\n2. {{ v[1] }}. After", True),
    ("> {{ v[0] }}\n{{ v[1] }}", True),
    ("{{ v[0] }}\n===\n\n{{ v[1] }}\n---", True),
    ("[link]({{ v[0] }}) {{ more }} {{ v[1] }}", True),
    ("{% macro twice(x) %}[{{ x }}]({{ x }}) {{ x }}{% endmacro %}{{ twice(v[0]) }} {{ twice(v[1]) }}", True),
    ("Code `{{ v[0] }}` and {{ v[1] }}", False),
    ("Code `a` {{ v[0] }} `b` {{ v[1] }} `c`", True),
    ("    {{ v[0] }}\n\n{{ v[1] }}", False),
    ("<{{ v[0] }}> and <https://{{ v[1] }}>", False),
    ("_{{ v[0] }}_ and x{{ v[1] }}_y_", False),
    ("&{{ v[0] }}; and &#{{ v[1] }};", False),
    ("{{ v[0] }}\tafter {{ v[1] }}", False),
    ('<div class="x">{{ v[0] }}</div>\n\n{{ v[1] }}', False),
    ("Text { .item-{{ v[0] }} } {{ v[1] }}", False),
]
# What the shipped notices do: values in headings, paragraphs, lists, emphasis and mailto links.
PLAIN = """\
# Notice of {{ v[0] }} { #top }

{{ v[1] }}, {{ v[2] }}, is the controller. Contact: [{{ v[3] }}](mailto:{{ v[3] }}).

- {{ v[4] }}: at most {{ v[5] }} { .item-x }
- **{{ v[6] }}** and *{{ v[7] }}*.
"""
ALPHABET = st.sampled_from(list("aZé\u0301ø1 0._*`#-+!()[]{}<>&;:\"'=\\/@\t\n\x02\x03\xa0")
                           + ["\U000F0000", "https://", "javascript:"])
VALUE = st.lists(ALPHABET, max_size=6).map("".join)


def _render(locales: Locales, values: list[str], direct: bool, extra: str = "") -> str:
    context = {"v": values, "more": Markup("**ours** [x](y.html)")}
    with mock.patch.object(notice_cache, "tokenisable", return_value=False) if direct else mock.MagicMock():
        try:
            return str(notices.render("en", context, locales, extra).html)
        except BuildError as exc:
            return f"refused: {exc}"


def _locales(folder, template: str) -> Locales:
    (folder / "en").mkdir()
    (folder / "en" / "notice.md").write_text(template + "\n", encoding="utf-8")
    return Locales(folder)


@pytest.mark.parametrize("template, cached", CONTEXTS)
def test_any_values_in_any_context_give_the_direct_bytes(tmp_path, template, cached):
    locales = _locales(tmp_path, template)
    with mock.patch.object(notice_cache, "fill", wraps=notice_cache.fill) as fill:
        assert _render(locales, ["Shop", "Shop"], direct=False) == _render(locales, ["Shop", "Shop"], direct=True)
    assert fill.called == cached

    @settings(max_examples=60, deadline=None)
    @given(values=st.lists(VALUE, min_size=2, max_size=2), extra=st.sampled_from(["", "Extra *text* {{ x }}"]))
    def same(values, extra):
        assert _render(locales, values, direct=False, extra=extra) == _render(locales, values, direct=True, extra=extra)

    same()


def test_plain_values_take_the_cache_and_markdown_runs_once(tmp_path):
    locales = _locales(tmp_path, PLAIN)
    names = [f"Shop {i}" for i in range(8)]
    names[3] = "info@shop.example"
    calls = mock.Mock(wraps=notice_cache.markdown_html)
    with mock.patch.object(notice_cache, "markdown_html", calls):
        first = _render(locales, names, direct=False)
        second = _render(locales, [n.replace("Shop", "Store").replace("shop", "store") for n in names], direct=False)
    assert calls.call_count == 1
    assert first.replace("Shop", "Store").replace("shop", "store") == second
    assert first == _render(locales, names, direct=True)


@pytest.mark.parametrize("body", [
    "{% filter upper %}{{ v[0] }}{% endfilter %}",
    "{% set x %}{{ v[0] }}{% endset %}{{ x|upper }}",
    "{% macro m() %}{{ v[0] }}{% endmacro %}{{ m()|upper }}",
])
def test_templates_that_transform_output_render_directly(tmp_path, body):
    assert _render(_locales(tmp_path, body), ["Shop *one*"], direct=False) == "<p>SHOP *ONE*</p>"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x"])
def test_a_value_that_makes_an_unsafe_link_is_refused(tmp_path, url):
    locales = _locales(tmp_path, "[Our site]({{ v[0] }}) and ![logo]({{ v[1] }})")
    assert _render(locales, ["https://shop.example", "logo.png"], direct=False).startswith("<p>")
    for values in ([url, "logo.png"], ["https://shop.example", "https://tracker.example/x.png"]):
        assert _render(locales, values, direct=False).startswith("refused: ")
        assert _render(locales, values, direct=False) == _render(locales, values, direct=True)


def test_example_campaigns_render_the_same(example_project):
    from generator.campaign.model import load_all
    from generator.site.build import campaign_files

    campaigns = load_all(campaign_files([example_project.campaigns_dir]), example_project)
    for campaign in campaigns:
        fast = views.resolve_all(campaign, example_project.locales)
        with mock.patch.object(notice_cache, "tokenisable", return_value=False):
            direct = views.resolve_all(campaign, example_project.locales)
        assert fast == direct, campaign.id
