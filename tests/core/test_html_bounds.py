"""Hostile HTML is bounded before it is sanitized: deep nesting or a flood of elements
is flattened (its text kept), so no message can hold the desk; real mail is untouched."""

from __future__ import annotations

import re

import nh3
import pytest

from opora.core.html import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    MAX_DEPTH,
    MAX_ELEMENTS,
    URL_SCHEMES,
    bound_markup,
    sanitize_html,
)


def _depth(markup: str) -> int:
    depth = deepest = 0
    for closing, _name in re.findall(r"<(/?)(div|span|b|blockquote)\b[^>]*>", markup):
        depth += -1 if closing else 1
        deepest = max(deepest, depth)
    return deepest


def _plain_nh3(markup: str) -> str:
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


@pytest.mark.parametrize("tag", ["div", "span", "blockquote", "b"])
def test_deep_nesting_is_flattened_and_its_text_kept(tag: str) -> None:
    n = 50_000
    hostile = f"<{tag}>" * n + "the customer's words" + f"</{tag}>" * n
    clean = sanitize_html(hostile)
    assert "the customer's words" in clean
    assert _depth(clean) <= MAX_DEPTH + 1


def test_unclosed_nesting_is_flattened() -> None:
    clean = sanitize_html("<div>a" * 100_000)
    assert _depth(clean) <= MAX_DEPTH + 1
    assert clean.count("a") >= 100_000


def test_a_flood_of_elements_keeps_the_first_ones_and_all_text() -> None:
    hostile = "<b>x</b>" * (MAX_ELEMENTS + 1000)
    clean = sanitize_html(hostile)
    assert clean.count("<b>") == MAX_ELEMENTS
    assert clean.count("x") == MAX_ELEMENTS + 1000


def test_real_mail_is_untouched_by_the_bounds() -> None:
    newsletter = (
        "<table><tr><td><div><p>Hello <b>Anna</b>, <a href='https://shop.example/o/1'>"
        "your order</a> is on its way.</p><ul><li>one<li>two</ul></div></td></tr></table>\n"
    ) * 2000
    quoted = "<blockquote>" * 40 + "old text" + "</blockquote>" * 40
    for markup in (newsletter, quoted):
        assert bound_markup(markup) is markup
        assert sanitize_html(markup) == _plain_nh3(markup)


def test_sanitizing_still_removes_scripts_beyond_the_bound() -> None:
    hostile = "<div>" * (MAX_DEPTH + 50) + "<script>alert(1)</script><img src=x onerror=alert(1)>"
    clean = sanitize_html(hostile)
    assert "<script" not in clean and "onerror" not in clean
