"""The queue's SLA column, its order, and the SLA views with their badge counts."""

from __future__ import annotations

import re

from opora.sla.tasks import check_sla
from opora.tickets import actions
from tests.sla.conftest import clock, msk, office, policy

__all__ = ["clock", "office", "policy"]


def _rows(response) -> list[tuple[int, str, str]]:
    """(number, SLA state, SLA text) of each listed row, in order."""
    html = response.content.decode()
    found = []
    for row in re.findall(r'<tr class="ticket-row".*?</tr>', html, re.S):
        number_match = re.search(r'data-number="(\d+)"', row)
        cell_match = re.search(r'<td class="c-sla">(.*?)</td>', row, re.S)
        assert number_match is not None and cell_match is not None
        number, cell = int(number_match.group(1)), cell_match.group(1)
        state = re.search(r'data-sla-state="(\w*)"', cell)
        text = re.sub(r"<[^>]+>", "", cell).strip()
        found.append((number, state.group(1) if state else "", " ".join(text.split())))
    return found


def _counts(response) -> dict[str, int]:
    return {q.key: n for q, n in response.context["queues"]}


def test_the_column_counts_down_then_says_overdue_in_the_state_colour(
    client, alice, dana, make_ticket, policy, clock
):
    # given a normal ticket opened at 9:00 (first response due in 4 business hours)
    ticket = make_ticket(dana, subject="Printer")
    client.force_login(alice)
    # when Alice looks at 9:00
    rows = _rows(client.get("/agent/?view=open"))
    # then the row says how long is left, on track
    assert rows == [(ticket.number, "ok", "in 4 hours")]
    # when the check marks it at risk a little before the due moment
    clock.move_to(msk(2026, 3, 2, 12, 50))
    check_sla.call()
    assert _rows(client.get("/agent/?view=open"))[0][1] == "at_risk"
    # and when the due moment has passed
    clock.move_to(msk(2026, 3, 2, 14, 30))
    check_sla.call()
    _number, state, text = _rows(client.get("/agent/?view=open"))[0]
    assert state == "breached"
    assert text == "overdue by 1 hour, 30 minutes"


def test_the_column_speaks_russian(client, alice, dana, make_ticket, policy, clock):
    make_ticket(dana)
    alice.language = "ru"
    alice.save()
    client.force_login(alice)
    clock.move_to(msk(2026, 3, 2, 14, 0))
    response = client.get("/agent/?view=open")
    assert _rows(response)[0][2] == "просрочено на 1 час"


def test_sorting_by_the_sla_column_puts_the_nearest_due_first(
    client, alice, dana, make_ticket, policy, clock
):
    # given a normal ticket, an urgent one opened later (due sooner) and one with no SLA
    normal = make_ticket(dana, subject="Normal")
    clock.move_to(msk(2026, 3, 2, 9, 10))
    urgent = make_ticket(dana, subject="Urgent", priority="urgent")
    policy.delete()
    clock.move_to(msk(2026, 3, 2, 9, 20))
    client.force_login(alice)
    # when sorted by the SLA column both ways
    up = [n for n, _s, _t in _rows(client.get("/agent/?view=open&sort=due"))]
    down = [n for n, _s, _t in _rows(client.get("/agent/?view=open&sort=-due"))]
    # then the nearest due time comes first, and last when reversed
    assert up[:2] in ([urgent.number, normal.number], [normal.number, urgent.number])
    assert up[:2] == list(reversed(down[-2:]))
    html = client.get("/agent/?view=open&sort=due").content.decode()
    assert 'aria-sort="ascending"' in html


def test_at_risk_and_breached_views_list_what_their_badges_count(
    client, alice, dana, make_ticket, policy, clock
):
    # given one ticket breached, one at risk, one on track
    late = make_ticket(dana, subject="Late")
    clock.move_to(msk(2026, 3, 2, 10, 30))
    risky = make_ticket(dana, subject="Risky")
    clock.move_to(msk(2026, 3, 2, 13, 30))
    fresh = make_ticket(dana, subject="Fresh")
    clock.move_to(msk(2026, 3, 2, 13, 31))
    check_sla.call()  # Late: due 13:00, breached; Risky: due 14:30, warned
    clock.move_to(msk(2026, 3, 2, 14, 0))
    check_sla.call()
    client.force_login(alice)
    for view, expected in (("breached", [late]), ("at_risk", [risky])):
        # when the view is opened
        response = client.get(f"/agent/?view={view}")
        # then it lists those tickets, and its badge counts exactly them
        listed = [t.number for t in response.context["page"].object_list]
        assert listed == [t.number for t in expected], view
        assert _counts(response)[view] == len(response.context["page"].object_list)
    assert fresh.number not in [n for n, _s, _t in _rows(client.get("/agent/?view=at_risk"))]


def test_escalated_to_me_follows_the_line_and_the_lead(
    client, api, alice, bob, lena, dana, make_ticket, policy, clock
):
    # given one ticket escalated to line 2 and one escalated on to the lead
    to_two = make_ticket(dana, by=alice, subject="Logs")
    to_lead = make_ticket(dana, by=alice, subject="Refund")
    for ticket in (to_two, to_lead):
        answer = api(alice).post(f"/tickets/{ticket.number}/escalate", {"to": "2", "reason": "x"})
        assert answer.status_code == 200
    answer = api(bob).post(f"/tickets/{to_lead.number}/escalate", {"to": "lead", "reason": "y"})
    assert answer.status_code == 200
    seen = {}
    for person in (alice, bob, lena):
        client.force_login(person)
        response = client.get("/agent/?view=escalated")
        listed = [t.number for t in response.context["page"].object_list]
        assert _counts(response)["escalated"] == len(listed)
        seen[person.name] = listed
    # then line 2 sees the one at line 2, the lead the one at her level, line 1 nothing
    assert seen == {"Alice": [], "Bob": [to_two.number], "Lena": [to_lead.number]}


def test_the_queue_keeps_its_query_count_with_the_sla_column(
    client, alice, dana, make_ticket, policy, clock
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(alice)
    make_ticket(dana)
    client.get("/agent/?view=open")

    def count() -> int:
        from django.core.cache import cache

        from opora.sla import config as sla_config

        cache.clear()  # the views' counts are cached until a change: count them each time
        sla_config.configuration()  # read again outside the count (its version was cleared)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/agent/?view=open").status_code == 200
        return len(captured.captured_queries)

    few = count()
    for _ in range(5):
        actions.create_ticket(requester=dana, by=dana, subject="More", body="more")
    assert count() == few
