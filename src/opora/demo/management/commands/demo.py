"""`opora demo`: load a realistic help-desk data set, once, to try Opora out.

Everything is written through the same actions the API and the workspace use, so demo
tickets carry the events, statuses and rules of real ones. Only the timestamps are
rewritten at the end (see `Timeline`): actions stamp "now", while the demo spreads its
tickets over the last two months.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from opora.accounts.actions import create_organization, create_team, create_user
from opora.accounts.models import Role, Team, User
from opora.demo import data
from opora.demo.kb import load_demo_kb
from opora.tickets.actions import (
    TicketChanges,
    add_message,
    create_ticket,
    link_problem,
    merge_tickets,
    update_ticket,
)
from opora.tickets.models import (
    CUSTOMER_TYPES,
    Channel,
    Event,
    Message,
    Priority,
    Ticket,
    TicketStatus,
    TicketType,
)

T = TypeVar("T")

DEFAULT_TICKETS = 200
# Below this the fixed stories (problems, linked incidents, merges) leave too few
# ordinary tickets to show every status, priority, type and channel.
MIN_TICKETS = 20
MAX_MESSAGES = 6
MERGES = 2
HISTORY = timedelta(days=59)
SEED = 42

# Tables of weights and time ranges, laid out to be read as tables.
# fmt: off
# How often each value occurs among the ordinary tickets; every value occurs at least once.
STATUS_WEIGHTS: dict[str, int] = {
    TicketStatus.NEW: 12, TicketStatus.OPEN: 18, TicketStatus.PENDING: 14,
    TicketStatus.ON_HOLD: 8, TicketStatus.SOLVED: 20, TicketStatus.CLOSED: 28,
}
PRIORITY_WEIGHTS: dict[Priority, int] = {
    Priority.LOW: 20, Priority.NORMAL: 45, Priority.HIGH: 25, Priority.URGENT: 10,
}
# Problems are opened by agents (see data.PROBLEMS), not drawn here.
TYPE_WEIGHTS: dict[str, int] = {
    TicketType.QUESTION: 40, TicketType.INCIDENT: 30,
    TicketType.COMPLAINT: 15, TicketType.SUGGESTION: 15,
}
CHANNEL_WEIGHTS: dict[str, int] = {
    Channel.WEB: 25, Channel.EMAIL: 30, Channel.CHAT: 12, Channel.TELEGRAM: 12,
    Channel.VK: 6, Channel.PHONE: 10, Channel.API: 5,
}
# Minutes until an agent first answers: urgent tickets jump the queue.
FIRST_REPLY_MINUTES: dict[Priority, tuple[int, int]] = {
    Priority.LOW: (60, 1440), Priority.NORMAL: (30, 480),
    Priority.HIGH: (10, 120), Priority.URGENT: (3, 30),
}
# Hours between a ticket's last step and now: open work is recent, solved tickets are
# closed after a few days, so closed ones reach back the whole history.
AGE_HOURS: dict[str, tuple[float, float]] = {
    TicketStatus.NEW: (0.2, 30), TicketStatus.OPEN: (1, 200), TicketStatus.PENDING: (2, 200),
    TicketStatus.ON_HOLD: (6, 300), TicketStatus.SOLVED: (2, 150),
    TicketStatus.CLOSED: (24, 1400),
}
# fmt: on
MESSAGE_KINDS = frozenset({"create", "reply", "note", "duplicate"})


def _spread(rng: random.Random, weights: Mapping[T, int], count: int) -> list[T]:
    """`count` values drawn by weight, each of them at least once, in random order."""
    values = list(weights)
    extra = rng.choices(values, weights=list(weights.values()), k=max(0, count - len(values)))
    picked = values[:count] + extra
    rng.shuffle(picked)
    return picked


def _conversation_channel(channel: str) -> str:
    # Nobody phones back or answers through the API: those conversations go on by e-mail.
    return Channel.EMAIL if channel in (Channel.PHONE, Channel.API) else channel


class Timeline:
    """Moves rows written now to the moments the demo's stories say they happened.

    Actions stamp rows with the real clock. After each step the loader marks the real
    time the step finished and the story time it stands for; at the end every ticket,
    message and event written during a step gets that step's story time.
    """

    def __init__(self) -> None:
        self.started = self._after(timezone.now())
        self._ends: list[datetime] = []
        self._times: list[datetime] = []

    @staticmethod
    def _after(moment: datetime) -> datetime:
        # Wait out the clock's resolution so rows of the next step are strictly later.
        while timezone.now() <= moment:
            pass
        return moment

    def mark(self, at: datetime) -> None:
        self._ends.append(self._after(timezone.now()))
        self._times.append(at)

    def story_time(self, real: datetime) -> datetime:
        return self._times[bisect_left(self._ends, real)]

    def apply(self) -> None:
        # The one direct write of the demo: actions always stamp the current time, and
        # no action may back-date, so timestamps are rewritten with bulk UPDATEs
        # (queryset updates: no save(), no new events). Nothing else is touched.
        fields = ["created_at", "updated_at", "first_response_at", "solved_at", "closed_at"]
        tickets = list(Ticket.objects.filter(created_at__gt=self.started).only("pk", *fields))
        for ticket in tickets:
            for name in fields:
                value = getattr(ticket, name)
                if value is not None:
                    setattr(ticket, name, self.story_time(value))
        Ticket.objects.bulk_update(tickets, fields, batch_size=100)
        messages = list(Message.objects.filter(created_at__gt=self.started).only("created_at"))
        events = list(Event.objects.filter(created_at__gt=self.started).only("created_at"))
        rows: list[Message | Event] = [*messages, *events]
        for row in rows:
            row.created_at = self.story_time(row.created_at)
        Message.objects.bulk_update(messages, ["created_at"], batch_size=100)
        Event.objects.bulk_update(events, ["created_at"], batch_size=100)


@dataclass
class Step:
    """One thing that happens to a ticket, `delay` after the step before it."""

    delay: timedelta
    kind: str  # create, reply, note, update, duplicate, merge or link
    by: User
    text: str = ""
    changes: TicketChanges | None = None


@dataclass
class Story:
    """One ticket's life, planned in full before any of it is written."""

    requester: User
    subject: str
    language: str
    channel: str
    status: str  # where the story ends
    # What the ticket is opened with; only agents may set team and tags at creation.
    team: Team | None = None
    priority: Priority | None = None
    type: str | None = None
    tags: list[str] = field(default_factory=list)
    problem: Story | None = None
    duplicate_channel: str = ""
    steps: list[Step] = field(default_factory=list)
    messages: int = 0
    start: datetime | None = None
    ticket: Ticket | None = None
    duplicate: Ticket | None = None

    def add(
        self,
        delay: timedelta,
        kind: str,
        by: User,
        text: str = "",
        changes: TicketChanges | None = None,
    ) -> None:
        self.steps.append(Step(delay, kind, by, text, changes))
        if kind in MESSAGE_KINDS:
            self.messages += 1

    @property
    def length(self) -> timedelta:
        return sum((step.delay for step in self.steps), timedelta())


class DemoLoader:
    def __init__(self, tickets: int) -> None:
        self.count = tickets
        # A fixed seed: every run builds the same demo, which keeps screenshots,
        # documentation and bug reports comparable.
        self.rng = random.Random(SEED)  # noqa: S311 - not used for security
        self.now = timezone.now()
        self.timeline = Timeline()
        self.agents: dict[str, User] = {}
        self.customers: list[User] = []
        self.teams: dict[str, Team] = {}
        self.members: dict[str, list[User]] = {}

    def run(self) -> dict[str, int]:
        self._create_people()
        stories = self._plan()
        for story in sorted(stories, key=lambda s: s.start or self.now):
            self._play(story)
        self.timeline.apply()
        return {
            "tickets": len(stories) + sum(1 for s in stories if s.duplicate_channel),
            "messages": sum(s.messages for s in stories),
            "users": 1 + len(self.agents) + len(self.customers),
            "organizations": len(data.ORGANIZATIONS),
            "teams": len(self.teams),
        }

    # People

    def _account(self, person: data.Person, *, by: User | None, role: str) -> User:
        return create_user(
            email=person.email,
            by=by,
            name=person.name,
            password=data.PASSWORD,
            role=role,
            support_line=person.line,
            is_team_lead=person.team_lead,
            language=person.language,
        )

    def _create_people(self) -> None:
        admin = self._account(data.ADMIN, by=None, role=Role.ADMIN)
        # Organizations first: customers then join theirs through the e-mail domain.
        for org in data.ORGANIZATIONS:
            create_organization(
                name=org.name, by=admin, domains=org.domains, shared_tickets=org.shared_tickets
            )
        for person in data.AGENTS:
            self.agents[person.email] = self._account(person, by=admin, role=Role.AGENT)
        self.customers = [self._account(p, by=admin, role=Role.CUSTOMER) for p in data.CUSTOMERS]
        for spec in data.TEAMS:
            members = [self.agents[f"{name}@opora.local"] for name in spec.members.split()]
            self.members[spec.name] = members
            self.teams[spec.name] = create_team(
                name=spec.name,
                by=admin,
                email=f"{spec.name.lower()}@opora.local",
                description=spec.description,
                members=[agent.pk for agent in members],
            )

    def _member(self, team: str, line: int, language: str) -> User:
        """An agent of the team on the line, speaking the language if one of them does."""
        members = self.members[team]
        on_line = [agent for agent in members if agent.support_line == line] or members
        speakers = [agent for agent in on_line if agent.language == language]
        return self.rng.choice(speakers or on_line)

    # Planning

    def _minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(low, high))

    def _plan(self) -> list[Story]:
        rng = self.rng
        stories: list[Story] = []
        linked = min(3, max(1, self.count // 50))
        for spec in data.PROBLEMS:
            problem = self._plan_problem(spec)
            stories.append(problem)
            topic = next(
                t
                for t in data.TOPICS
                if (t.language, t.tag, t.type) == (spec.language, spec.incident_tag, "incident")
            )
            speakers = [c for c in self.customers if c.language == spec.language]
            stories.extend(
                self._plan_ticket(
                    topic,
                    rng.choice(speakers),
                    status=rng.choice(["open", "pending", "solved", "closed"]),
                    priority=rng.choice([Priority.HIGH, Priority.URGENT]),
                    channel=rng.choice([Channel.EMAIL, Channel.WEB, Channel.CHAT]),
                    problem=problem,
                )
                for _ in range(linked)
            )
        regular = self.count - len(stories) - MERGES
        statuses = _spread(rng, STATUS_WEIGHTS, regular)
        priorities = _spread(rng, PRIORITY_WEIGHTS, regular)
        types = _spread(rng, TYPE_WEIGHTS, regular)
        channels = _spread(rng, CHANNEL_WEIGHTS, regular)
        answered = [i for i, status in enumerate(statuses) if status != TicketStatus.NEW]
        duplicated = set(rng.sample(answered, MERGES))
        for i in range(regular):
            customer = rng.choice(self.customers)
            topic = rng.choice(
                [t for t in data.TOPICS if (t.language, t.type) == (customer.language, types[i])]
            )
            stories.append(
                self._plan_ticket(
                    topic,
                    customer,
                    status=statuses[i],
                    priority=priorities[i],
                    channel=channels[i],
                    duplicate=i in duplicated,
                )
            )
        return stories

    def _plan_problem(self, spec: data.ProblemSpec) -> Story:
        lead = next(agent for agent in self.agents.values() if agent.is_team_lead)
        owner = self._member("Technical", 3, spec.language)
        story = Story(
            requester=lead,
            subject=spec.subject,
            language=spec.language,
            channel=Channel.WEB,
            status=spec.status,
            team=self.teams["Technical"],
            priority=Priority.HIGH,
            type=TicketType.PROBLEM,
            tags=[spec.incident_tag, "problem"],
        )
        story.add(timedelta(), "create", lead, spec.body)
        changes = TicketChanges(status=TicketStatus.OPEN, assignee=owner.pk)
        story.add(self._minutes(10, 30), "update", lead, changes=changes)
        story.add(self._minutes(60, 240), "note", owner, spec.note)
        if spec.status == TicketStatus.ON_HOLD:
            words = data.PHRASES[spec.language]
            story.add(self._minutes(60, 600), "note", owner, self.rng.choice(words.hold_notes))
            changes = TicketChanges(status=TicketStatus.ON_HOLD)
            story.add(self._minutes(1, 5), "update", owner, changes=changes)
        story.start = self.now - timedelta(days=spec.days_ago)
        return story

    def _plan_ticket(
        self,
        topic: data.Topic,
        customer: User,
        *,
        status: str,
        priority: Priority,
        channel: str,
        problem: Story | None = None,
        duplicate: bool = False,
    ) -> Story:
        rng = self.rng
        words = data.PHRASES[topic.language]
        story = Story(customer, topic.subject, topic.language, channel, status, problem=problem)
        triage = TicketChanges(
            team=self.teams[topic.team].pk,
            priority=int(priority),
            type=topic.type,
            tags=[topic.tag, *([rng.choice(data.EXTRA_TAGS)] if rng.random() < 0.4 else [])],
        )
        agent = self._member(topic.team, 1, topic.language)
        if channel == Channel.PHONE:
            # The agent who took the call opens the ticket and classifies it at once.
            story.team, story.priority = self.teams[topic.team], priority
            story.type, story.tags = topic.type, triage.tags or []
            story.add(timedelta(), "create", agent, words.phone.format(text=topic.body))
            triage = TicketChanges()
        else:
            # Customers pick a type only from theirs; incidents are the desk's call.
            story.type = topic.type if topic.type in CUSTOMER_TYPES else None
            signature = f"\n\n{customer.name}" if channel == Channel.EMAIL else ""
            story.add(timedelta(), "create", customer, topic.body + signature)

        if status == TicketStatus.NEW:
            if rng.random() < 0.3:
                story.add(self._minutes(5, 90), "reply", customer, rng.choice(words.addenda))
            # Half are taken at once; of the rest, those the customer could not classify
            # fully are triaged, the others still wait untouched in the queue.
            if rng.random() < 0.5:
                triage.assignee = agent.pk
            elif topic.type in CUSTOMER_TYPES and priority == Priority.NORMAL:
                triage = TicketChanges()
            if triage != TicketChanges():
                story.add(self._minutes(5, 120), "update", agent, changes=triage)
            return self._placed(story)

        triage.assignee = agent.pk
        story.add(self._minutes(5, 90), "update", agent, changes=triage)
        if duplicate:
            others = [Channel.WEB, Channel.EMAIL, Channel.CHAT]
            story.duplicate_channel = rng.choice([c for c in others if c != channel])
            story.add(self._minutes(20, 120), "duplicate", customer, words.duplicate)
            story.add(self._minutes(5, 40), "merge", agent)
        # Messages the ending needs, kept free while optional ones are added.
        reserved = (topic.line > 1) + {"on_hold": 1, "solved": 1, "closed": 1}.get(status, 0)
        if rng.random() < 0.25 and self._room(story, 2 + reserved):
            story.add(self._minutes(2, 30), "note", agent, rng.choice(words.notes))
        low, high = FIRST_REPLY_MINUTES[priority]
        answer = self._reply(words, customer, topic.answer)
        story.add(self._minutes(low, high), "reply", agent, answer)
        if problem is not None:
            story.add(self._minutes(10, 120), "link", agent)
        if topic.line > 1:
            specialist = self._member(topic.team, topic.line, topic.language)
            note = words.escalation.format(line=topic.line)
            story.add(self._minutes(10, 180), "note", agent, note)
            changes = TicketChanges(line=topic.line, assignee=specialist.pk)
            story.add(self._minutes(1, 5), "update", agent, changes=changes)
            agent = specialist
        self._plan_ending(story, topic, words, agent)
        return self._placed(story, not_before=problem.start if problem else None)

    def _room(self, story: Story, count: int) -> bool:
        return story.messages + count <= MAX_MESSAGES

    def _reply(self, words: data.Phrases, customer: User, text: str) -> str:
        first_name = customer.name.split()[0]
        return f"{words.greeting.format(name=first_name)}\n\n{text}"

    def _plan_ending(
        self, story: Story, topic: data.Topic, words: data.Phrases, agent: User
    ) -> None:
        rng, customer, status = self.rng, story.requester, story.status
        solved = TicketChanges(status=TicketStatus.SOLVED)
        if status == TicketStatus.OPEN:
            chance = rng.random()
            if chance < 0.2 and self._room(story, 2):
                # Solved, then the customer writes back: the reply reopens the ticket.
                fix = self._reply(words, customer, topic.fix)
                story.add(self._minutes(60, 2880), "reply", agent, fix)
                story.add(self._minutes(1, 30), "update", agent, changes=solved)
                story.add(self._minutes(60, 2880), "reply", customer, rng.choice(words.reopen))
            elif chance < 0.7 and self._room(story, 1):
                story.add(self._minutes(20, 1440), "reply", customer, rng.choice(words.follow_ups))
                if rng.random() < 0.5 and self._room(story, 1):
                    ack = self._reply(words, customer, rng.choice(words.acks))
                    story.add(self._minutes(15, 240), "reply", agent, ack)
            return
        if rng.random() < 0.5 and self._room(story, 3 if status != TicketStatus.PENDING else 2):
            story.add(self._minutes(20, 1440), "reply", customer, rng.choice(words.follow_ups))
            asks = words.more_info if status == TicketStatus.PENDING else words.acks
            update = self._reply(words, customer, rng.choice(asks))
            story.add(self._minutes(15, 240), "reply", agent, update)
        if status == TicketStatus.PENDING:
            changes = TicketChanges(status=TicketStatus.PENDING)
            story.add(self._minutes(0, 2), "update", agent, changes=changes)
            return
        if status == TicketStatus.ON_HOLD:
            story.add(self._minutes(30, 600), "note", agent, rng.choice(words.hold_notes))
            if self._room(story, 1):
                hold = self._reply(words, customer, words.hold)
                story.add(self._minutes(1, 10), "reply", agent, hold)
            changes = TicketChanges(status=TicketStatus.ON_HOLD)
            story.add(self._minutes(0, 2), "update", agent, changes=changes)
            return
        fix = self._reply(words, customer, topic.fix)
        story.add(self._minutes(60, 2880), "reply", agent, fix)
        chance = rng.random()
        if chance < 0.4 and self._room(story, 1):
            story.add(self._minutes(10, 600), "reply", customer, rng.choice(words.thanks))
            story.add(self._minutes(1, 60), "update", agent, changes=solved)
        elif chance < 0.6:
            # Customers may mark their own request solved.
            story.add(self._minutes(10, 600), "update", customer, changes=solved)
        else:
            story.add(self._minutes(1, 30), "update", agent, changes=solved)
        if status == TicketStatus.CLOSED:
            closed = TicketChanges(status=TicketStatus.CLOSED)
            story.add(self._minutes(2 * 1440, 6 * 1440), "update", agent, changes=closed)

    def _placed(self, story: Story, *, not_before: datetime | None = None) -> Story:
        """Choose when the story starts: by its outcome, within the history, before now."""
        low, high = AGE_HOURS[story.status]
        end = self.now - timedelta(hours=self.rng.uniform(low, high))
        start = max(end - story.length, self.now - HISTORY)
        if not_before is not None:
            # Incidents are linked to a problem that already exists.
            start = max(start, not_before + self._minutes(30, 600))
        story.start = min(start, self.now - timedelta(minutes=5) - story.length)
        return story

    # Playing

    def _play(self, story: Story) -> None:
        at = story.start or self.now
        for step in story.steps:
            at += step.delay
            self._do(story, step)
            self.timeline.mark(at)

    def _do(self, story: Story, step: Step) -> None:
        if step.kind == "create":
            story.ticket = create_ticket(
                requester=story.requester,
                subject=story.subject,
                body=step.text,
                by=step.by,
                channel=story.channel,
                priority=story.priority,
                type=story.type,
                tags=story.tags,
                team=story.team,
                language=story.language,
            )
            return
        ticket = story.ticket
        if ticket is None:
            raise CommandError(f"Step {step.kind!r} before the ticket exists.")
        channel = _conversation_channel(story.channel)
        match step.kind:
            case "reply":
                add_message(ticket, by=step.by, body=step.text, channel=channel)
            case "note":
                add_message(ticket, by=step.by, body=step.text, internal=True, channel=Channel.WEB)
            case "update" if step.changes is not None:
                update_ticket(ticket, step.changes, by=step.by)
            case "duplicate":
                story.duplicate = create_ticket(
                    requester=story.requester,
                    subject=story.subject,
                    body=step.text,
                    by=step.by,
                    channel=story.duplicate_channel,
                    language=story.language,
                )
            case "merge" if story.duplicate is not None:
                merge_tickets(story.duplicate, ticket, by=step.by)
            case "link" if story.problem is not None and story.problem.ticket is not None:
                link_problem(ticket, story.problem.ticket, by=step.by)
            case _:
                raise CommandError(f"Cannot play step {step.kind!r} of “{story.subject}”.")


class Command(BaseCommand):
    help = "Load demo data (agents, customers, organizations, teams, tickets), once."

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
        with transaction.atomic():
            # Checked inside the transaction: two runs at once cannot both load.
            if User.objects.filter(email=data.ADMIN_EMAIL).exists():
                counts = None
            else:
                counts = DemoLoader(count).run()
                # The knowledge base: demo articles in Russian and English.
                counts["articles"] = load_demo_kb()
                # The live chat: a widget with the key "demo", the bot on, agents online.
                counts["chat widgets"] = data.set_up_chat()
        if counts is None:
            self.stdout.write("Demo data is already loaded.")
        else:
            summary = ", ".join(f"{n} {what}" for what, n in counts.items())
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {summary}."))
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
