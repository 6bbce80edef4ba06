"""`opora demo`: a believable quarter, played through the real actions, loaded once.

The demo is loaded once for the module (it takes seconds) inside a transaction that is
rolled back at the end; every test reads it.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from opora.accounts.models import Identity, Organization, Role, Team, User
from opora.automation.models import BotConversation, BotState
from opora.chat.models import ChatSession
from opora.core import clock as wall_clock
from opora.feedback.models import Rating, RatingRequest
from opora.reports.kpis import ReportFilter, all_kpis
from opora.sla.models import SlaPolicy, TicketSla
from opora.tickets import clock
from opora.tickets.models import (
    Channel,
    Event,
    EventKind,
    Message,
    Priority,
    Ticket,
    TicketStatus,
    TicketType,
    TimeEntry,
)

CYRILLIC = re.compile("[\u0400-\u04ff]")
# The derived figures a replay must reproduce exactly.
SLA_FIGURES = (
    "first_response_seconds",
    "resolution_seconds",
    "first_response_breached",
    "resolution_breached",
    "agent_replies",
    "reopens",
    "escalations",
    "logged_minutes",
    "logged_cost",
    "policy_id",
)


def load(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    with django_db_blocker.unblock(), transaction.atomic():
        started = time.monotonic()
        output = load()
        print(f"\nopora demo: {time.monotonic() - started:.1f} s")
        yield output
        transaction.set_rollback(True)


@pytest.fixture
def loaded(demo: str, db: None) -> str:
    return demo


def _at(moment: datetime) -> datetime:
    return moment


def kpis(days: int) -> dict[str, Any]:
    now = timezone.now()
    return all_kpis(ReportFilter(start=now - timedelta(days=days), end=now))


@pytest.mark.parametrize("days", [30, 91], ids=["last 30 days", "quarter"])
def test_every_kpi_has_a_plausible_value(loaded: str, days: int) -> None:
    found = kpis(days)

    assert found["nst"] > 0
    assert 0.1 < found["afrt_hours"] < 48
    assert 0.1 < found["art_hours"] < 48
    assert 10 <= found["fcr_rate"] <= 90
    assert 50 <= found["on_time_rate"] <= 99
    assert found["csat_average"] is not None and found["csat_ratings"] > 0
    assert 0 < found["csat_response_rate"] <= 100
    assert Decimal(found["cost_total"]) > 0
    assert found["logged_minutes"] > 0
    assert found["incidents_with_time_rate"] > 0
    assert found["escalation_rate"] > 0
    assert found["hours_per_line"]["2"] is not None
    assert found["ntb"] > 0
    days_with_tickets = [d for d in found["trend"] if d["created"]]
    assert len(days_with_tickets) >= days * 2 // 3
    today = timezone.now().astimezone(UTC).date().isoformat()
    assert sum(d["created"] for d in found["trend"] if d["day"] == today) < found["nst"] / 5


@pytest.mark.parametrize("days", [30, 91], ids=["last 30 days", "quarter"])
def test_every_kpi_equals_its_recomputation_from_the_raw_rows(loaded: str, days: int) -> None:
    today = timezone.now().astimezone(UTC).date()
    out = StringIO()
    period = ("--from", (today - timedelta(days=days)).isoformat(), "--to", today.isoformat())
    try:
        # `opora kpi verify` exits 1 (CommandError here) listing each KPI that differs.
        call_command("kpi", "verify", *period, stdout=out)
    except CommandError:
        pytest.fail(out.getvalue())
    assert re.search(r"All \d+ KPI values .* agree \([1-9]\d* tickets", out.getvalue())


def test_quarter_follows_the_working_week(loaded: str) -> None:
    per_day = Counter(
        t.created_at.astimezone(timezone.get_current_timezone()).date()
        for t in Ticket.objects.filter(merged_into=None).only("created_at")
    )
    weekdays = [n for day, n in per_day.items() if day.isoweekday() <= 5]
    weekends = [n for day, n in per_day.items() if day.isoweekday() > 5]
    assert sum(weekends) / max(1, len(weekends)) < sum(weekdays) / len(weekdays) / 2
    oldest = Ticket.objects.order_by("created_at").values_list("created_at", flat=True).first()
    assert oldest is not None and timezone.now() - oldest > timedelta(days=80)


def test_sla_rows_are_what_live_use_writes(loaded: str) -> None:
    """Recomputing a closed ticket's clock at the moment it closed changes nothing."""
    closed = list(Ticket.objects.filter(status=TicketStatus.CLOSED, merged_into=None)[:60])
    assert closed
    before = {r["ticket_id"]: r for r in TicketSla.objects.values("ticket_id", *SLA_FIGURES)}
    for ticket in closed:
        assert ticket.closed_at is not None
        moment = ticket.closed_at
        with wall_clock.use(partial(_at, moment)):
            clock.refresh(ticket, moment)
    after = {r["ticket_id"]: r for r in TicketSla.objects.values("ticket_id", *SLA_FIGURES)}
    assert all(after[t.pk] == before[t.pk] for t in closed)
    assert SlaPolicy.objects.count() == len(Priority)
    assert TicketSla.objects.filter(first_response_breached=True).exists()
    assert TicketSla.objects.filter(resolution_breached=True).exists()


def test_derived_rows_are_stamped_with_the_story_time(loaded: str) -> None:
    now = timezone.now()
    assert not Message.objects.filter(created_at__gt=now).exists()
    assert not Event.objects.filter(created_at__gt=now).exists()
    assert not Event.objects.filter(created_at__lt=F("ticket__created_at")).exists()
    assert not Message.objects.filter(created_at__lt=F("ticket__created_at")).exists()
    sla = TicketSla.objects.exclude(first_response_at=None)
    assert not sla.exclude(first_response_at=F("ticket__first_response_at")).exists()
    assert not sla.filter(first_response_at__lt=F("created_at")).exists()
    ratings = Rating.objects.select_related("ticket")
    assert ratings.count() > 20
    assert not ratings.filter(created_at__gt=now).exists()
    assert not ratings.filter(created_at__lt=F("ticket__created_at")).exists()
    requests = RatingRequest.objects.all()
    assert requests.count() >= ratings.count()
    assert not requests.filter(sent_at__lt=F("ticket__created_at")).exists()
    assert not TimeEntry.objects.filter(created_at__lt=F("ticket__created_at")).exists()
    assert not TimeEntry.objects.filter(created_at__gt=now).exists()


def test_ratings_time_and_escalations(loaded: str) -> None:
    comments = list(Rating.objects.exclude(comment="").values_list("comment", flat=True))
    assert any(CYRILLIC.search(c) for c in comments)
    assert any(not CYRILLIC.search(c) for c in comments)
    assert set(Rating.objects.values_list("score", flat=True)) == {1, 2, 3, 4, 5}
    rates = TimeEntry.objects.values_list("rate_per_hour", flat=True).distinct()
    assert len(rates) >= 3 and min(rates) > 0
    assert TicketSla.objects.filter(escalations__gt=0, level="3").exists()
    assert TicketSla.objects.filter(reopens__gt=0).exists()
    paused = Event.objects.filter(kind=EventKind.STATUS, new=TicketStatus.PENDING)
    assert paused.exists()
    assert Event.objects.filter(kind=EventKind.STATUS, new=TicketStatus.ON_HOLD).exists()


def test_every_status_priority_type_and_channel(loaded: str) -> None:
    tickets = Ticket.objects.all()
    assert set(tickets.values_list("status", flat=True)) == set(TicketStatus.values)
    assert set(tickets.values_list("priority", flat=True)) == set(Priority.values)
    assert set(tickets.values_list("type", flat=True)) == set(TicketType.values)
    used_channels = set(tickets.values_list("channel", flat=True))
    assert set(Channel.values) - used_channels == set()  # monitoring: the demo's incident
    assert set(tickets.values_list("line", flat=True)) == {1, 2, 3}
    assert tickets.filter(merged_into__isnull=False).exists()
    incidents = tickets.filter(problem__type=TicketType.PROBLEM)
    assert incidents.values("problem").distinct().count() == 2
    assert Message.objects.filter(internal=True).exists()


def test_chats_and_messengers_came_through_the_channels(loaded: str) -> None:
    chats = Ticket.objects.filter(channel=Channel.CHAT)
    assert chats.exists()
    # Every chat ticket has its session, ended, with the visitor as the requester.
    sessions = ChatSession.objects.filter(ticket__in=chats)
    assert sessions.count() == chats.count()
    assert not sessions.exclude(state="ended").exists()
    assert not sessions.exclude(requester=F("ticket__requester")).exists()
    assert sessions.filter(agent__isnull=False, ticket__rating__isnull=False).exists()
    for kind in (Channel.TELEGRAM, Channel.VK):
        requesters = set(
            Ticket.objects.filter(channel=kind).values_list("requester", flat=True).distinct()
        )
        assert requesters
        known = set(Identity.objects.filter(kind=kind).values_list("user", flat=True))
        assert requesters <= known


def test_the_bot_answered_some_requests(loaded: str) -> None:
    states = dict(BotConversation.objects.values_list("state").annotate(n=Count("pk")).order_by())
    assert states.get(BotState.SOLVED, 0) > 0
    assert states.get(BotState.HANDED_OFF, 0) > 0
    solved_by_bot = Ticket.objects.filter(tags__name="solved-by-bot")
    assert solved_by_bot.exists()
    assert not solved_by_bot.filter(first_response_at__isnull=False).exists()


def test_people_and_teams(loaded: str, settings: Any) -> None:
    # The demo hashes its password with the production hasher (tests use a fast one).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    agents = User.objects.filter(role=Role.AGENT, is_active=True)
    assert set(agents.values_list("support_line", flat=True)) == {1, 2, 3}
    assert not agents.filter(cost_per_hour=0).exists()
    assert agents.filter(is_team_lead=True, email="lena@opora.local").exists()
    assert User.objects.filter(email="admin@opora.local", role=Role.ADMIN).exists()
    romashka = User.objects.get(email="i.petrov@romashka.example").organization
    assert romashka is not None and romashka.shared_tickets
    assert Organization.objects.count() == 3
    assert Team.objects.count() == 3
    assert User.objects.get(email="bob@opora.local").check_password("demo12345")
    # Every assignee works in the team that owns the ticket.
    memberships = set(Team.members.through.objects.values_list("team_id", "user_id"))
    assigned = Ticket.objects.filter(assignee__isnull=False, team__isnull=False)
    assert set(assigned.values_list("team_id", "assignee_id")) <= memberships
    bodies = list(Message.objects.values_list("body", flat=True)[:500])
    assert any(CYRILLIC.search(body) for body in bodies)
    assert any(not CYRILLIC.search(body) for body in bodies)


def test_login_details_are_printed(loaded: str) -> None:
    assert "Demo data loaded in" in loaded
    assert "alice@opora.local" in loaded
    assert "demo12345" in loaded
    assert "/api/v1/auth/token" in loaded


def test_demo_loads_only_once(loaded: str) -> None:
    models = (User, Ticket, Message, Event, TicketSla, Rating, TimeEntry, ChatSession)
    before = {
        m.__name__: (m.objects.count(), max(m.objects.values_list("pk", flat=True))) for m in models
    }

    output = load()

    assert output.startswith("Demo data is already loaded.")
    assert "demo12345" in output
    after = {
        m.__name__: (m.objects.count(), max(m.objects.values_list("pk", flat=True))) for m in models
    }
    assert after == before


def test_demo_refuses_too_few_tickets(loaded: str) -> None:
    users = User.objects.count()
    with pytest.raises(CommandError):
        load("--tickets", "5")
    assert User.objects.count() == users


def test_the_ideas_board_has_the_merged_suggestions(loaded: str) -> None:
    """Every dark-mode suggestion is merged into one idea, each requester one vote, so
    the reply "I've added your vote" is true; other ideas stand in every status."""
    from opora.ideas.models import Idea, IdeaTicket, Vote

    dark = Idea.objects.get(title="Dark mode")
    asked = Ticket.objects.filter(type=TicketType.SUGGESTION, subject="Please add a dark mode")
    assert asked.count() >= 2
    assert IdeaTicket.objects.filter(idea=dark).count() == asked.count()
    requesters = set(asked.values_list("requester_id", flat=True))
    merged = set(
        Vote.objects.filter(idea=dark, ticket__isnull=False).values_list("customer_id", flat=True)
    )
    assert merged == requesters
    assert dark.vote_count == Vote.objects.filter(idea=dark).count() > len(requesters)
    assert set(Idea.objects.values_list("status", flat=True)) == {
        "new",
        "under_review",
        "planned",
        "done",
        "declined",
    }


def test_the_complaint_form_asks_for_the_order_number(loaded: str) -> None:
    from opora.crm.models import Contract, Note
    from opora.crm.selectors import ticket_form

    form = ticket_form(TicketType.COMPLAINT)
    assert [d.key for d in form.fields][:1] == ["order_number"]
    assert "order_number" in form.required
    assert form.fields[0].label_ru == "Номер заказа"
    assert Contract.objects.filter(organization__isnull=False, sla_policy__isnull=False).exists()
    assert Note.objects.exists()


def test_the_demos_complaints_are_real_complaints(loaded: str) -> None:
    """Complaints are acknowledged at their moment, solved ones carry their root cause,
    and the complaints report has figures."""
    from opora.complaints import report
    from opora.complaints.actions import CARE_EMAIL
    from opora.complaints.models import Complaint

    # (a complaint linked to a problem became an incident: no longer counted)
    complaints = list(Complaint.objects.filter(dismissed_at__isnull=True, ticket__type="complaint"))
    assert len(complaints) >= 5
    assert all(c.acknowledged_at is not None for c in complaints)
    for c in complaints:
        ack = Message.objects.filter(ticket_id=c.ticket_id, author__email=CARE_EMAIL).get()
        assert abs(ack.created_at - c.opened_at) < timedelta(minutes=1)
    solved = [
        c
        for c in complaints
        if Ticket.objects.filter(pk=c.ticket_id, status__in=["solved", "closed"]).exists()
    ]
    assert solved
    assert all(c.root_cause_id is not None and c.justified is not None for c in solved)
    today = timezone.now().date()
    figures = report.build(today - timedelta(days=91), today)
    assert figures.opened == len(complaints)
    assert figures.by_root_cause
    assert figures.justified_share is not None
