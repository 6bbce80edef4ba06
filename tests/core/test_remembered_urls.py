"""`{% url %}` in the page templates remembers its answers, and they stay right."""

from __future__ import annotations

import pytest
from django.template import engines
from django.urls import NoReverseMatch, reverse, set_script_prefix


def _render(source: str, **context: object) -> str:
    return engines["django"].from_string(source).render(context)


def test_it_answers_as_reverse_for_names_numbers_and_text():
    assert _render("{% url 'agent:queue' %}") == reverse("agent:queue")
    for number in (1, 2, 1):
        assert _render("{% url 'agent:ticket' n %}", n=number) == reverse(
            "agent:ticket", args=[number]
        )
    assert _render("{% url 'agent:ticket' n %}", n="7") == reverse("agent:ticket", args=["7"])


def test_a_new_script_prefix_is_not_served_an_old_answer():
    plain = _render("{% url 'agent:queue' %}")
    set_script_prefix("/desk/")
    try:
        assert _render("{% url 'agent:queue' %}") == "/desk" + plain
    finally:
        set_script_prefix("/")
    assert _render("{% url 'agent:queue' %}") == plain


def test_as_a_variable_and_unknown_names_behave_as_djangos_tag():
    assert _render("{% url 'agent:queue' as q %}[{{ q }}]") == f"[{reverse('agent:queue')}]"
    assert _render("{% url 'no-such-page' as q %}[{{ q }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        _render("{% url 'no-such-page' %}")


def test_arguments_that_are_not_plain_are_reversed_each_time():
    class Number:
        def __str__(self) -> str:
            return "42"

    assert _render("{% url 'agent:ticket' n %}", n=Number()) == reverse("agent:ticket", args=[42])
