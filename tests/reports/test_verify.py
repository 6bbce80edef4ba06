"""`opora kpi verify` on generated histories: the reports agree with the raw rows."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from opora.sla.models import TicketSla
from opora.tickets.models import Message
from tests.reports.histories import START, Cast, Story, build_history

PERIOD = ["--from", "2026-09-01", "--to", "2026-11-30"]


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as moving:
        yield moving


@pytest.fixture
def cast(alice, bob, lena, otto, dana, dave, charlie, support) -> Cast:
    return Cast(agents=[alice, bob, lena], customers=[dana, dave, charlie], team=support)


def _verify() -> str:
    out = StringIO()
    try:
        call_command("kpi", "verify", *PERIOD, stdout=out)
    except CommandError:
        pytest.fail(out.getvalue())
    return out.getvalue()


def _history(seed: int, cast: Cast, traveller: time_machine.Traveller) -> Story:
    return build_history(seed, cast, traveller.move_to, tickets=120)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_verify_agrees_with_the_reports_on_a_generated_history(seed, cast, traveller):
    # given three months of a desk's work, different for each seed
    story = _history(seed, cast, traveller)
    assert len(story.tickets) == 120, [s for s in story.skipped if s.startswith("open")]
    # (the story has what the KPIs are about: automated replies, reopens, merges)
    assert Message.objects.filter(automated=True).exists()
    # then every KPI recomputed from the raw rows agrees with the reports
    assert "agree" in _verify()


def test_verify_names_the_kpi_and_ticket_of_a_broken_sla_row(cast, traveller):
    # given a generated history whose reports agree
    _history(4, cast, traveller)
    # when one solved ticket's SLA row loses its breach (as the old clock did)
    row = (
        TicketSla.objects.filter(
            solved_at__isnull=False, resolution_breached=True, first_response_breached=None
        )
        .select_related("ticket")
        .first()
        or TicketSla.objects.filter(solved_at__isnull=False, resolution_breached=True)
        .select_related("ticket")
        .first()
    )
    assert row is not None
    TicketSla.objects.filter(pk=row.pk).update(
        resolution_breached=False, first_response_breached=False
    )
    # then verify exits 1 naming the on-time rate and that ticket
    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("kpi", "verify", *PERIOD, stdout=out)
    assert failed.value.returncode == 1
    lines = [line for line in out.getvalue().splitlines() if line.startswith("on_time_rate:")]
    assert lines and f"#{row.ticket.number}" in lines[0]


def test_verify_refuses_a_date_that_is_not_iso(db):
    with pytest.raises(CommandError, match="ISO date"):
        call_command("kpi", "verify", "--from", "01.09.2026", "--to", "2026-11-30")
