"""Random but seeded desk histories, written through the real actions as time moves on.

`build_history(seed, cast, traveller)` opens tickets on several channels over three
months (Sep-Nov 2026, running into December) and works them as a desk does: the
answer bot answers some, agents reply (or do not), customers answer, tickets wait on
the customer or a third party, get escalated, reprioritised, merged, solved, reopened,
rated, and time is logged on them; a problem is solved and its incidents get the
automated notice. Two SLA policies with calendars in different time zones apply (the
Moscow office with the Russian production calendar; 24/7 in Vladivostok for urgent
tickets, pausing on hold). The periodic SLA check runs every few hours of the story.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from opora.accounts.models import Team, User
from opora.automation.bot import bot_user
from opora.core.errors import OporaError
from opora.feedback.actions import rate_ticket
from opora.feedback.tasks import send_rating_request
from opora.sla.actions import escalate_ticket
from opora.sla.calendar import load_production_calendar
from opora.sla.models import BusinessCalendar, SlaPolicy
from opora.sla.tasks import check_sla, notify_problem_solved
from opora.tickets import actions
from opora.tickets.actions import TicketChanges
from opora.tickets.models import Ticket, TicketStatus

MSK = ZoneInfo("Europe/Moscow")
START = datetime(2026, 9, 1, 8, 0, tzinfo=MSK)
LAST_OPENING = datetime(2026, 12, 5, 18, 0, tzinfo=MSK)
CHANNELS = ("email", "web", "api", "phone", "chat")


@dataclass
class Cast:
    agents: list[User]
    customers: list[User]
    team: Team


def sla_setup() -> None:
    """Two calendars in two time zones and the policies that use them."""
    office = BusinessCalendar.objects.create(
        name="Moscow office", time_zone="Europe/Moscow", is_default=True
    )
    load_production_calendar(office)
    around = BusinessCalendar.objects.create(
        name="Vladivostok 24/7", time_zone="Asia/Vladivostok", always_open=True
    )
    SlaPolicy.objects.create(
        name="Urgent",
        position=10,
        priority=4,
        calendar=around,
        first_response_minutes=60,
        resolution_minutes=8 * 60,
        pause_on_hold=True,
    )
    SlaPolicy.objects.create(
        name="Standard",
        position=100,
        calendar=office,
        first_response_minutes=4 * 60,
        next_response_minutes=4 * 60,
        resolution_minutes=16 * 60,
    )


class Story:
    """Steps at moments; each step may schedule the next ones of its ticket."""

    def __init__(self, seed: int, cast: Cast, move_to: Callable[[datetime], Any]) -> None:
        self.rng = random.Random(seed)
        self.cast = cast
        self.move_to = move_to
        self.queue: list[tuple[datetime, int, Callable[[], object]]] = []
        self.order = 0
        self.tickets: list[Ticket] = []
        self.bot = bot_user()
        self.skipped: list[str] = []

    def at(self, moment: datetime, step: Callable[[], object]) -> None:
        self.order += 1
        heapq.heappush(self.queue, (moment, self.order, step))

    def later(self, minutes_low: int, minutes_high: int) -> timedelta:
        return timedelta(minutes=self.rng.randint(minutes_low, minutes_high))

    def run(self, tickets: int) -> None:
        moment = START
        for _ in range(tickets):
            moment += self.later(30, 900)
            self.at(min(moment, LAST_OPENING), self.open_ticket)
        check = START
        while check < LAST_OPENING + timedelta(days=4):
            check += timedelta(hours=7)
            self.at(check, check_sla.call)
        while self.queue:
            when, _, step = heapq.heappop(self.queue)
            self.move_to(when)
            try:
                step()
            except OporaError as exc:
                # a step the ticket no longer allows (closed, merged): skipped
                self.skipped.append(f"{getattr(step, '__name__', step)}: {exc.code}")

    # -- the steps ----------------------------------------------------------------

    def fresh(self, ticket: Ticket) -> Ticket:
        return Ticket.objects.get(pk=ticket.pk)

    def open_ticket(self) -> None:
        rng = self.rng
        customer = rng.choice(self.cast.customers)
        agent = rng.choice(self.cast.agents)
        channel = rng.choice(CHANNELS)
        ticket = actions.create_ticket(
            requester=customer,
            by=agent if channel in ("phone", "api") else customer,
            channel=channel,
            subject=f"Request {len(self.tickets) + 1}",
            body="It does not work.",
            priority=rng.choice(["low", "normal", "normal", "high", "urgent"]),
            type=rng.choice(["question", "incident", "incident", "complaint"])
            if channel in ("phone", "api")
            else None,
            team=self.cast.team if channel in ("phone", "api") else None,
        )
        self.tickets.append(ticket)
        if rng.random() < 0.25:  # the answer bot suggests articles at once
            self.at(ticket.created_at + self.later(1, 2), lambda: self.bot_reply(ticket))
        self.at(ticket.created_at + self.later(5, 600), lambda: self.work(ticket, agent, 0))

    def bot_reply(self, ticket: Ticket) -> None:
        actions.add_automated_reply(
            self.fresh(ticket), by=self.bot, body="These articles may help: ..."
        )

    def work(self, ticket: Ticket, agent: User, round_: int) -> None:
        """An agent's turn on the ticket; schedules what follows."""
        rng = self.rng
        ticket = self.fresh(ticket)
        if ticket.status == TicketStatus.CLOSED or round_ > 6:
            return
        roll = rng.random()
        if roll < 0.05 and round_ == 0:
            self.merge(ticket, agent)
            return
        if roll < 0.12 and ticket.status != TicketStatus.SOLVED:
            actions.update_ticket(
                ticket,
                TicketChanges(priority=rng.choice(["low", "normal", "high", "urgent"])),
                by=agent,
            )
        if roll < 0.2 and ticket.status != TicketStatus.SOLVED:
            escalate_ticket(
                ticket, to=rng.choice(["2", "3", "lead"]), reason="Needs a specialist", by=agent
            )
            ticket = self.fresh(ticket)
        if rng.random() < 0.4:
            actions.log_time(ticket, by=agent, minutes=rng.randint(5, 90))
        if rng.random() < 0.15 and ticket.status != TicketStatus.SOLVED:
            # solved without any public answer (e.g. done on the phone)
            self.solve(ticket, agent)
            return
        ticket = self.fresh(ticket)
        if ticket.status == TicketStatus.SOLVED:
            return
        status = rng.choice([None, "pending", "pending", "on_hold", "solved", "solved"])
        actions.add_message(ticket, by=agent, body="Here is what to do.", status=status)
        if status == "solved":
            self.after_solve(ticket, agent)
        elif status == "pending":
            self.at(
                self.now() + self.later(30, 3000),
                lambda: self.customer_answers(ticket, agent, round_),
            )
        else:
            self.at(self.now() + self.later(20, 2000), lambda: self.work(ticket, agent, round_ + 1))

    def now(self) -> datetime:
        from django.utils import timezone

        return timezone.now()

    def customer_answers(self, ticket: Ticket, agent: User, round_: int) -> None:
        ticket = self.fresh(ticket)
        if ticket.status == TicketStatus.CLOSED:
            return
        actions.add_message(ticket, by=ticket.requester, body="Still broken.")
        self.at(self.now() + self.later(10, 1500), lambda: self.work(ticket, agent, round_ + 1))

    def solve(self, ticket: Ticket, agent: User) -> None:
        actions.update_ticket(ticket, TicketChanges(status="solved"), by=agent)
        self.after_solve(ticket, agent)

    def after_solve(self, ticket: Ticket, agent: User) -> None:
        send_rating_request.call(ticket.pk)
        rng = self.rng
        if rng.random() < 0.4:
            self.at(self.now() + self.later(10, 4000), lambda: self.rate(ticket))
        if rng.random() < 0.15:  # the customer writes back: reopened
            self.at(
                self.now() + self.later(60, 5000),
                lambda: self.customer_answers(ticket, agent, 3),
            )
        elif rng.random() < 0.3:
            self.at(self.now() + self.later(3000, 9000), lambda: self.close(ticket, agent))

    def rate(self, ticket: Ticket) -> None:
        ticket = self.fresh(ticket)
        if ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
            rate_ticket(ticket, by=ticket.requester, score=self.rng.randint(1, 5))

    def close(self, ticket: Ticket, agent: User) -> None:
        ticket = self.fresh(ticket)
        if ticket.status == TicketStatus.SOLVED:
            actions.update_ticket(ticket, TicketChanges(status="closed"), by=agent)

    def merge(self, ticket: Ticket, agent: User) -> None:
        others = list(
            Ticket.objects.filter(
                requester=ticket.requester, status__in=["new", "open", "pending", "solved"]
            ).exclude(pk=ticket.pk)
        )
        if others:
            actions.merge_tickets(ticket, self.rng.choice(others), by=agent)


def problem_story(story: Story, agent: User) -> None:
    """A problem behind some incidents is solved: the incidents get automated notices."""
    incidents = list(
        Ticket.objects.filter(status__in=["new", "open", "pending"]).order_by("id")[:4]
    )
    if not incidents:
        return
    problem = actions.create_ticket(
        requester=agent, by=agent, subject="Root cause", body="Investigating.", type="problem"
    )
    for incident in incidents:
        actions.link_problem(incident, problem, by=agent)
    actions.update_ticket(problem, TicketChanges(status="solved"), by=agent)
    notify_problem_solved.call(problem.pk)


def build_history(
    seed: int, cast: Cast, move_to: Callable[[datetime], Any], *, tickets: int
) -> Story:
    sla_setup()
    for i, agent in enumerate(cast.agents):
        User.objects.filter(pk=agent.pk).update(cost_per_hour=Decimal(900 + 300 * i))
        agent.refresh_from_db()
    story = Story(seed, cast, move_to)
    story.at(
        datetime(2026, 10, 15, 12, 0, tzinfo=MSK), lambda: problem_story(story, cast.agents[0])
    )
    story.run(tickets)
    return story
