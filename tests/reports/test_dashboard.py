"""The dashboard page: tiles named in words, the comparison with the week before,
numbers in the reader's format, the drill-down behind each number, and refusals."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from opora.reports import drilldown
from opora.reports.views import parse_filter
from tests.reports.weeks import LAST_WEEK, weeks
from tests.writes import nothing_written

__all__ = ["weeks"]


def _page(client: Client, user, params=None, language="en"):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    return client.get("/reports/", params or {}, HTTP_ACCEPT_LANGUAGE=language)


def _tile(html: str, key: str) -> str:
    found = re.search(rf'<section class="card tile" data-kpi="{key}">(.*?)</section>', html, re.S)
    assert found, key
    return found.group(1)


def test_tiles_name_each_kpi_define_it_and_compare_with_the_week_before(client, weeks, lena):
    response = _page(client, lena, LAST_WEEK)
    assert response.status_code == 200
    html = response.content.decode()
    afrt = _tile(html, "afrt")
    assert "Average first response time (AFRT)" in afrt
    # the definition is the title and an accessible tooltip of the focusable name
    assert 'aria-describedby="def-afrt"' in afrt
    assert 'role="tooltip" id="def-afrt"' in afrt
    assert "first public agent reply" in afrt
    nst = _tile(html, "nst")
    assert "New tickets (NST)" in nst
    assert ">4</a>" in nst  # four tickets last week
    # the week before had two: up 100 %, and more tickets is neither good nor bad
    assert 'data-tone="neutral"' in nst and "▲" in nst and "+100.0 %" in nst
    assert "before: 2" in nst
    ntb = _tile(html, "ntb")
    assert 'data-tone="bad"' in ntb  # the backlog grew from 0 to 1
    fcr = _tile(html, "fcr")
    assert "First-contact resolution (FCR)" in fcr
    assert "33.3 %" in fcr  # B1 of B1, B2, B3 (B2 was escalated, B3 reopened)
    assert 'data-tone="bad"' in fcr and "▼" in fcr and "\u221266.7 %" in fcr  # from 100 %
    assert "1,500.00" in _tile(html, "cost")
    assert 'class="on">Reports</a>' in html  # the agent layout and its navigation


def test_russian_lead_reads_decimal_commas_thin_spaces_and_russian_names(client, weeks, lena):
    html = _page(client, lena, LAST_WEEK, language="ru").content.decode()
    assert "Показатели поддержки" in html
    assert "Среднее время первого ответа (AFRT)" in _tile(html, "afrt")
    assert "33,3\u00a0%" in _tile(html, "fcr")
    assert "1\u202f500,00" in _tile(html, "cost")  # 45 min at 2,000 an hour
    assert "Заявки по каналам" in html
    assert "■ Создано" in html and "■ Решено" in html


@pytest.mark.parametrize(
    "kpi, key",
    [("nst", "nst"), ("solved", "solved"), ("backlog", "ntb"), ("overdue", "ntb_overdue")],
)
def test_drill_down_lists_as_many_tickets_as_the_tile_counts(client, weeks, lena, api, kpi, key):
    numbers = api(lena).get("/reports/kpis", LAST_WEEK).json()
    client.force_login(lena)
    page = client.get("/reports/tickets", {"kpi": kpi, **LAST_WEEK})
    assert page.status_code == 200
    rows = re.findall(r'<li data-ticket="(\d+)">', page.content.decode())
    assert len(rows) == numbers[key] > 0
    for number in rows:  # every row opens its ticket
        assert f'href="/agent/tickets/{number}"' in page.content.decode()


def test_rate_drill_downs_hold_the_rates_numerators(weeks, api, lena):
    from django.http import QueryDict

    numbers = api(lena).get("/reports/kpis", LAST_WEEK).json()
    f = parse_filter(QueryDict(f"start={LAST_WEEK['start']}&end={LAST_WEEK['end']}"), lena)
    solved = numbers["solved"]
    assert drilldown.drill("fcr", f).count() == round(numbers["fcr_rate"] * solved / 100)
    assert drilldown.drill("escalated", f).count() == round(
        numbers["escalation_rate"] * solved / 100
    )
    assert drilldown.drill("responded", f).count() == numbers["first_responses"]
    assert drilldown.drill("rated", f).count() == numbers["csat_ratings"]
    assert {t.subject for t in drilldown.drill("breached", f)} == {"B2 database"}
    assert numbers["on_time_rate"] == round(100 * (solved - 1) / solved, 1)


def test_the_drill_down_pages_and_the_api_agree(client, weeks, lena, api):
    body = api(lena).get("/reports/tickets", {"kpi": "nst", **LAST_WEEK}).json()
    assert body["count"] == 4 and body["hidden"] == 0 and body["pages"] == 1
    assert {row["url"] for row in body["items"]} == {
        f"/agent/tickets/{t.number}" for t in weeks.last
    }


def test_customers_get_403_and_bad_filters_422(client, weeks, lena, dana, api):
    client.force_login(dana)
    with nothing_written():
        assert client.get("/reports/").status_code == 403
        assert client.get("/reports/tickets", {"kpi": "nst"}).status_code == 403
    client.force_login(lena)
    for params in (
        {"start": "2026-13-01"},
        {"team": "abc"},
        {"team": "99999999999999999999999"},
        {"channel": "fax"},
        {"priority": "whenever"},
        {"start": "2026-03-10", "end": "2026-03-01"},
    ):
        page = client.get("/reports/", params)
        assert page.status_code == 422, params
        assert "data-error" in page.content.decode()
    assert client.get("/reports/tickets", {"kpi": "nope"}).status_code == 422
    assert client.get("/reports/tickets", {"kpi": "nst", "agent": "x"}).status_code == 422
    assert api(dana).get("/reports/tickets", {"kpi": "nst"}).status_code == 403
    assert api(lena).get("/reports/tickets", {"kpi": "nope"}).status_code == 422
    assert api(lena).get("/reports/tickets", {"kpi": "nst", "page": "0"}).status_code == 422


def test_the_new_charts_slice_per_line_agent_and_channel(client, weeks, lena):
    html = _page(client, lena, LAST_WEEK).content.decode()
    channel = re.search(r'<section class="card" id="by-channel">(.*?)</section>', html, re.S)
    assert channel is not None
    assert set(re.findall(r'data-label="(\w+)"', channel.group(1))) == {"email", "web", "chat"}
    agents = re.search(r'id="by-agent">(.*?)</section>', html, re.S)
    assert agents is not None and "Alice" in agents.group(1) and "Bob" in agents.group(1)
    assert 'id="afrt-by-agent"' in html and 'id="solved-by-line"' in html
    assert "Tickets per channel" in html and "■ Created" in html
