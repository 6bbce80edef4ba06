"""`opora demo`: load a realistic help-desk quarter, once, to try Opora out.

The people, teams, knowledge base, SLA policies and chat widget are set up first; then
a quarter of tickets is planned and played through the same actions the API, the
workspace, the channels and the jobs use, with the wall clock set to each step's
moment (see `opora.demo.history`). Nothing derived is written by hand, so the reports
compute from the demo exactly as they would from live use.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from opora.accounts.actions import create_organization, create_team, create_user
from opora.accounts.models import Role, User
from opora.chat.models import ChatWidget
from opora.complaints.actions import restore_default_root_causes
from opora.demo import channels, data, monitors, records
from opora.demo import ideas as demo_ideas
from opora.demo.history import (
    COST_PER_HOUR,
    LEAD_COST_PER_HOUR,
    POLICY_TARGETS,
    Cast,
    Planner,
)
from opora.demo.kb import load_demo_kb
from opora.demo.play import Player
from opora.feedback.models import Rating
from opora.sla.calendar import Hours, load_production_calendar
from opora.sla.models import BusinessCalendar, SlaPolicy
from opora.tickets.models import Message, Priority, Ticket

DEFAULT_TICKETS = 320
# Below this the fixed stories (problems, linked incidents, merges) leave too few
# ordinary tickets to show every channel.
MIN_TICKETS = 20
SEED = 42
CALENDAR_NAME = "Рабочие дни РФ, 09:00-18:00 МСК"  # noqa: RUF001 - Cyrillic on purpose


def _account(person: data.Person, *, by: User | None, role: str) -> User:
    # Created without a password: every demo account gets the same one at the end,
    # hashed once (a password hash costs a quarter of a second on purpose).
    return create_user(
        email=person.email,
        by=by,
        name=person.name,
        role=role,
        support_line=person.line,
        is_team_lead=person.team_lead,
        language=person.language,
    )


def _set_passwords(people: list[User]) -> None:
    """The demo's one published password on every account it lists."""
    encoded = make_password(data.PASSWORD)
    User.objects.filter(pk__in=[p.pk for p in people]).update(password=encoded)


def _set_up_desk() -> Cast:
    """People, organizations, teams, articles, the SLA calendar and policies, the bot and
    the chat widget: what a desk has before its first ticket."""
    admin = _account(data.ADMIN, by=None, role=Role.ADMIN)
    # Organizations first: customers then join theirs through the e-mail domain.
    for org in data.ORGANIZATIONS:
        create_organization(
            name=org.name, by=admin, domains=org.domains, shared_tickets=org.shared_tickets
        )
    agents = [_account(p, by=admin, role=Role.AGENT) for p in data.AGENTS]
    for agent in agents:
        # The rate time entries are costed at (an admin's setting on the agent's account).
        rate = LEAD_COST_PER_HOUR if agent.is_team_lead else COST_PER_HOUR[agent.support_line or 1]
        User.objects.filter(pk=agent.pk).update(cost_per_hour=rate)
        agent.cost_per_hour = rate
    by_email = {a.email: a for a in agents}
    customers = [_account(p, by=admin, role=Role.CUSTOMER) for p in data.CUSTOMERS]
    teams, members = {}, {}
    for spec in data.TEAMS:
        people = [by_email[f"{name}@opora.local"] for name in spec.members.split()]
        members[spec.name] = people
        teams[spec.name] = create_team(
            name=spec.name,
            by=admin,
            email=f"{spec.name.lower()}@opora.local",
            description=spec.description,
            members=[a.pk for a in people],
        )
    _set_passwords([admin, *agents, *customers])
    load_demo_kb()
    hours = _set_up_sla()
    # The chat widget with the Support team's bot (the bot for new e-mail and portal
    # requests is switched on during the quarter, see history.BOT_SINCE).
    data.set_up_chat()
    return Cast(
        admin=admin,
        agents=agents,
        customers=customers,
        teams=teams,
        members=members,
        lead=next(a for a in agents if a.is_team_lead),
        widget=ChatWidget.objects.get(public_key=data.CHAT_WIDGET_KEY),
        hours=hours,
    )


def _set_up_sla() -> Hours:
    """The desk's working hours on the Russian production calendar (as `opora
    sla_calendar ... --ru --default` makes them) and a policy per priority."""
    calendar = BusinessCalendar.objects.create(
        name=CALENDAR_NAME, time_zone="Europe/Moscow", is_default=True
    )
    load_production_calendar(calendar)
    for position, (priority, (first, following, resolution)) in enumerate(POLICY_TARGETS.items()):
        SlaPolicy.objects.create(
            name=f"{Priority(priority).label}",
            position=10 * (position + 1),
            priority=int(priority),
            calendar=calendar,
            first_response_minutes=first,
            next_response_minutes=following,
            resolution_minutes=resolution,
            pause_on_hold=True,
        )
    return Hours.of(calendar)


def load(count: int) -> dict[str, int]:
    """Set the desk up and play its quarter; returns what was made."""
    now = timezone.now()
    cast = _set_up_desk()
    # The complaints' root causes come with their migration; a database emptied since
    # (flushed, or the rows removed) gets the defaults back before complaints are solved.
    restore_default_root_causes()
    accounts = channels.set_up(cast)
    planner = Planner(cast, now=now, count=count, seed=SEED)
    stories = planner.plan()
    Player(cast, stories, now=now, rng=planner.rng).play()
    channels.play(cast, accounts, now)
    monitors.set_up(cast, now)
    demo_ideas.set_up(cast)
    records.set_up(cast)
    return {
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "ratings": Rating.objects.count(),
        "users": User.objects.count(),
        "organizations": len(data.ORGANIZATIONS),
        "teams": len(cast.teams),
    }


class Command(BaseCommand):
    help = "Load a demo quarter (people, teams, SLA, tickets, chats, ratings), once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tickets",
            type=int,
            default=DEFAULT_TICKETS,
            metavar="N",
            help=f"number of tickets to create (default {DEFAULT_TICKETS})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["tickets"]
        if count < MIN_TICKETS:
            raise CommandError(f"--tickets must be at least {MIN_TICKETS}.")
        started = time.monotonic()
        with transaction.atomic():
            # Checked inside the transaction: two runs at once cannot both load.
            loaded = User.objects.filter(email=data.ADMIN_EMAIL).exists()
            counts = None if loaded else load(count)
        if counts is None:
            self.stdout.write("Demo data is already loaded.")
        else:
            summary = ", ".join(f"{n} {what}" for what, n in counts.items())
            seconds = time.monotonic() - started
            self.stdout.write(
                self.style.SUCCESS(f"Demo data loaded in {seconds:.1f} s: {summary}.")
            )
        self._print_login()

    def _print_login(self) -> None:
        url = settings.BASE_URL
        write = self.stdout.write
        write(f'\nSign in at {url}/ with the password "{data.PASSWORD}":')
        write(f"  administrator  {data.ADMIN.email}")
        for agent in data.AGENTS:
            role = f"line {agent.line}" + (", team lead" if agent.team_lead else "")
            write(f"  agent          {agent.email} ({role})")
        for customer in data.CUSTOMERS:
            write(f"  customer       {customer.email}")
        payload = f'{{"email": "{data.AGENTS[0].email}", "password": "{data.PASSWORD}"}}'
        write("\nGet an API token:")
        write(
            f"  curl -s -X POST {url}/api/v1/auth/token "
            f"-H 'Content-Type: application/json' -d '{payload}'"
        )
