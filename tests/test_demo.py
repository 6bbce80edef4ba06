"""`opora demo`: a varied, consistent data set, loaded once."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.utils import timezone

from opora.accounts.models import Organization, Role, Team, User
from opora.tickets.models import (
    Channel,
    Event,
    Message,
    Priority,
    Ticket,
    TicketStatus,
    TicketType,
)

CYRILLIC = re.compile("[\u0400-\u04ff]")


def load(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, object]:
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (User, Organization, Team, Ticket, Message, Event)
    }


@pytest.mark.django_db
def test_demo_covers_every_status_priority_type_and_channel():
    output = load("--tickets", "40")

    tickets = Ticket.objects.all()
    assert tickets.count() == 40
    assert set(tickets.values_list("status", flat=True)) == set(TicketStatus.values)
    assert set(tickets.values_list("priority", flat=True)) == set(Priority.values)
    assert set(tickets.values_list("type", flat=True)) == set(TicketType.values)
    used_channels = set(tickets.values_list("channel", flat=True))
    assert set(Channel.values) - used_channels == {Channel.MONITORING}
    assert set(tickets.values_list("line", flat=True)) == {1, 2, 3}
    assert tickets.filter(merged_into__isnull=False).exists()
    assert tickets.filter(problem__type=TicketType.PROBLEM).exists()
    assert Message.objects.filter(internal=True).exists()

    assert "alice@opora.local" in output
    assert "demo12345" in output
    assert "/api/v1/auth/token" in output


@pytest.mark.django_db
def test_demo_people_and_teams():
    load("--tickets", "40")

    agents = User.objects.filter(role=Role.AGENT)
    assert set(agents.values_list("support_line", flat=True)) == {1, 2, 3}
    assert agents.filter(is_team_lead=True, email="lena@opora.local").exists()
    assert User.objects.filter(email="admin@opora.local", role=Role.ADMIN).exists()
    romashka = User.objects.get(email="i.petrov@romashka.example").organization
    assert romashka is not None and romashka.shared_tickets
    assert User.objects.filter(role=Role.CUSTOMER, organization__isnull=True).exists()
    assert Team.objects.count() == 3
    assert User.objects.get(email="bob@opora.local").check_password("demo12345")
    # Every assignee works in the team that owns the ticket.
    memberships = set(Team.members.through.objects.values_list("team_id", "user_id"))
    assigned = Ticket.objects.filter(assignee__isnull=False, team__isnull=False)
    assert set(assigned.values_list("team_id", "assignee_id")) <= memberships


@pytest.mark.django_db
def test_demo_conversations_in_both_languages_and_in_the_past():
    load("--tickets", "40")

    bodies = list(Message.objects.values_list("body", flat=True))
    assert any(CYRILLIC.search(body) for body in bodies)
    assert any(not CYRILLIC.search(body) for body in bodies)
    assert set(Ticket.objects.values_list("language", flat=True)) == {"en", "ru"}
    per_ticket = Message.objects.values("ticket").annotate(n=Count("pk"))
    assert {row["n"] for row in per_ticket} <= set(range(1, 7))

    now = timezone.now()
    oldest = Ticket.objects.order_by("created_at").first()
    assert oldest is not None and (now - oldest.created_at).days >= 7
    assert not Message.objects.filter(created_at__gt=now).exists()
    assert not Event.objects.filter(created_at__gt=now).exists()
    for ticket in Ticket.objects.exclude(first_response_at=None):
        answered = ticket.first_response_at
        assert answered is not None and ticket.created_at <= answered <= ticket.updated_at


@pytest.mark.django_db
def test_demo_loads_only_once():
    load("--tickets", "40")
    before = snapshot()

    output = load("--tickets", "40")

    assert output.startswith("Demo data is already loaded.")
    assert "demo12345" in output
    assert snapshot() == before


@pytest.mark.django_db
def test_demo_refuses_too_few_tickets():
    with pytest.raises(CommandError):
        load("--tickets", "5")
    assert not User.objects.exists()
