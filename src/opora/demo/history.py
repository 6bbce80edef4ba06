"""A quarter of help-desk history, planned in full and then played through the real actions.

Planning (`Planner`) decides what happens to each ticket and when: customers write at
any hour but mostly in the working day, agents answer within the desk's business
hours (the Russian production calendar, so a public holiday is quiet), with response
times by priority and support line. Playing (`Player`) runs every step in time order
through the same actions the API, the workspace, the channels and the jobs call, with
the wall clock (`opora.core.clock`) set to the step's moment: the SLA rows, events,
first responses, ratings and time entries are what live use would have written then.
Steps planned after the present are not played, so recent tickets are still open.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from opora.accounts.identities import Contact
from opora.accounts.models import Team, User
from opora.automation import bot
from opora.chat.models import ChatWidget
from opora.demo import data
from opora.sla.calendar import Hours
from opora.tickets.actions import (
    TicketChanges,
)
from opora.tickets.models import CUSTOMER_TYPES, Channel, Priority, Ticket, TicketStatus

HISTORY = timedelta(days=90)
# The answer bot was switched on for new e-mail and portal requests this long ago (the
# reports show the quarter before and after); the chat's bot was on from the start.
BOT_SINCE = timedelta(days=40)
DESK_TZ = ZoneInfo("Europe/Moscow")
# Customers write at any hour, most of them in the working day: weights of the local
# hours 0..23, peaks mid-morning and mid-afternoon.
# fmt: off
HOUR_WEIGHTS = (
    0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.2, 0.5, 1.0, 1.8, 2.6, 2.7,
    1.9, 1.5, 2.3, 2.4, 2.0, 1.5, 1.0, 0.7, 0.6, 0.5, 0.35, 0.2,
)
# fmt: on
DAY_OFF_WEIGHT = 0.25  # a weekend or holiday day, against 1 for a working day
# Business minutes to the first answer: the median by priority (a log-normal spread
# around it, so a few answers come late and breach).
FIRST_ANSWER_MINUTES = {
    Priority.URGENT: 12,
    Priority.HIGH: 25,
    Priority.NORMAL: 70,
    Priority.LOW: 160,
}
# (first response, next response, resolution) targets in business minutes.
POLICY_TARGETS = {
    Priority.URGENT: (30, 60, 240),
    Priority.HIGH: (60, 120, 600),
    Priority.NORMAL: (240, 480, 1440),
    Priority.LOW: (480, None, 2880),
}
# An hour of work, by support line (the team lead costs the most).
COST_PER_HOUR = {1: Decimal("900"), 2: Decimal("1400"), 3: Decimal("2000")}
LEAD_COST_PER_HOUR = Decimal("2400")
# fmt: off
PRIORITY_WEIGHTS = {
    Priority.LOW: 20, Priority.NORMAL: 48, Priority.HIGH: 24, Priority.URGENT: 8,
}
CHANNEL_WEIGHTS = {
    Channel.EMAIL: 32, Channel.WEB: 24, Channel.CHAT: 9, Channel.TELEGRAM: 10,
    Channel.VK: 5, Channel.WHATSAPP: 4, Channel.PHONE: 12, Channel.API: 6,
}
# fmt: on
BOT_THRESHOLD = 0.5
SCORES = (1, 2, 3, 4, 5)
SCORE_WEIGHTS = (4, 4, 9, 28, 55)


@dataclass
class Step:
    at: datetime
    kind: str
    by: User | None = None
    text: str = ""
    changes: TicketChanges | None = None
    status: str | None = None  # set with a reply
    minutes: int = 0
    score: int = 0
    line: int = 0


@dataclass
class Story:
    """One ticket's life. `requester` is None for people a channel will find or create."""

    number: int
    language: str
    channel: str
    subject: str
    priority: Priority
    requester: User | None = None
    contact: Contact | None = None  # a messenger account
    visitor: data.Visitor | None = None  # a chat visitor
    topic: data.Topic | None = None
    customer_name: str = ""
    team: Team | None = None
    type: str | None = None
    tags: list[str] = field(default_factory=list)
    problem: Story | None = None
    bot_says_yes: bool = False
    steps: list[Step] = field(default_factory=list)
    ticket: Ticket | None = None
    duplicate: Ticket | None = None
    generation: int = 0

    def add(self, at: datetime, kind: str, by: User | None = None, **fields: Any) -> datetime:
        # Each step strictly after the one before: the clock reads them back in order.
        if self.steps and at <= self.steps[-1].at:
            at = self.steps[-1].at + timedelta(seconds=1)
        self.steps.append(Step(at, kind, by, **fields))
        return at


class StoryClock:
    """The wall clock while playing: the current step's moment, a microsecond later on
    every read, so rows written by one step keep their order."""

    def __init__(self) -> None:
        self.at = datetime.now(DESK_TZ)
        self._reads = 0

    def set(self, at: datetime) -> None:
        self.at, self._reads = at, 0

    def __call__(self) -> datetime:
        self._reads += 1
        return self.at + timedelta(microseconds=self._reads)


@dataclass
class Cast:
    """The people and places of the demo, created before the history is planned."""

    admin: User
    agents: list[User]
    customers: list[User]
    teams: dict[str, Team]
    members: dict[str, list[User]]
    lead: User
    widget: ChatWidget
    hours: Hours

    def member(self, rng: random.Random, team: str, line: int, language: str) -> User:
        """An agent of the team on the line, speaking the language if one of them does."""
        people = self.members[team]
        on_line = [a for a in people if a.support_line == line] or people
        speakers = [a for a in on_line if a.language == language]
        return rng.choice(speakers or on_line)


class Planner:
    def __init__(self, cast: Cast, *, now: datetime, count: int, seed: int) -> None:
        self.cast = cast
        self.now = now
        self.count = count
        self.rng = random.Random(seed)  # noqa: S311 - a fixed demo, not security
        self.start = now - HISTORY
        self.days = [self.start.date() + timedelta(days=i) for i in range(HISTORY.days + 1)]
        self.busy: dict[str, list[tuple[datetime, datetime]]] = {}
        self.day_weights = [1.0 if cast.hours.spans(d) else DAY_OFF_WEIGHT for d in self.days]

    # Moments

    def arrival(self) -> datetime:
        """When a customer writes: working days more than days off, the day's peaks."""
        rng = self.rng
        while True:
            day = rng.choices(self.days, self.day_weights)[0]
            hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
            local = datetime.combine(day, time(hour), tzinfo=DESK_TZ)
            at = local + timedelta(seconds=rng.uniform(0, 3600))
            if self.start < at < self.now - timedelta(minutes=20):
                return at

    def desk(self, after: datetime, minutes: float) -> datetime:
        """`minutes` of the desk's working time after `after`."""
        return self.cast.hours.add(after, max(1.0, minutes) * 60)

    def answer_minutes(self, priority: Priority) -> float:
        return FIRST_ANSWER_MINUTES[priority] * self.rng.lognormvariate(0, 0.75)

    def customer(self, after: datetime, low: float, high: float) -> datetime:
        """When the customer writes back: `low`..`high` minutes later, while awake."""
        at = after + timedelta(minutes=self.rng.uniform(low, high))
        local = at.astimezone(DESK_TZ)
        if local.hour < 8 or local.hour >= 23:
            morning = datetime.combine(
                local.date() + timedelta(days=local.hour >= 23), time(8), tzinfo=DESK_TZ
            )
            at = morning + timedelta(minutes=self.rng.uniform(0, 180))
        return at

    # Stories

    def plan(self) -> list[Story]:
        rng = self.rng
        stories: list[Story] = []
        problems = [
            self.plan_problem(spec, len(stories) + i) for i, spec in enumerate(data.PROBLEMS)
        ]
        stories += problems
        # A few incidents of each problem's topic arrive after it and are linked to it.
        linked = min(3, max(1, self.count // 60))
        for problem, spec in zip(problems, data.PROBLEMS, strict=True):
            for _ in range(linked):
                stories.append(self.plan_incident(len(stories), problem, spec))
        channels = self.spread(CHANNEL_WEIGHTS, self.count - len(stories))
        priorities = self.spread(PRIORITY_WEIGHTS, len(channels))
        for channel, priority in zip(channels, priorities, strict=True):
            stories.append(self.plan_ticket(len(stories), channel, priority))
        # Two customers write again about the same request on another channel.
        candidates = [
            s for s in stories if s.channel in (Channel.EMAIL, Channel.WEB) and len(s.steps) > 4
        ]
        placed = 0
        for story in rng.sample(candidates, len(candidates)):
            placed += self.plan_duplicate(story)
            if placed == 2:
                break
        stories += self.plan_waiting(len(stories))
        return stories

    def plan_waiting(self, number: int) -> list[Story]:
        """The queue as the desk finds it now: a few requests nobody has picked up yet.

        Whatever the hour the demo is loaded at, these arrived within the last hour and
        are still new (only their first message is played).
        """
        waiting = []
        for i in range(3):
            opened = self.now - timedelta(minutes=self.rng.uniform(20, 60))
            channel = (Channel.EMAIL, Channel.WEB)[i % 2]
            story = self.plan_ticket(number + i, channel, Priority.NORMAL, opened)
            story.steps = [s for s in story.steps if s.kind == "create"]
            waiting.append(story)
        return waiting

    def plan_incident(self, number: int, problem: Story, spec: data.ProblemSpec) -> Story:
        """A customer reports an incident of the problem's kind; the agent links it."""
        rng = self.rng
        topic = next(
            t
            for t in data.TOPICS
            if (t.language, t.tag, t.type) == (spec.language, spec.incident_tag, "incident")
        )
        story = Story(
            number, spec.language, rng.choice([Channel.EMAIL, Channel.WEB]), "", Priority.HIGH
        )
        story.requester = rng.choice(
            [c for c in self.cast.customers if c.language == spec.language]
        )
        story.customer_name = story.requester.name
        story.topic, story.subject, story.problem = topic, topic.subject, problem
        opened = problem.steps[-1].at + timedelta(hours=rng.uniform(1, 24 * (spec.days_ago - 2)))
        self.plan_conversation(story, topic, opened)
        # Linked by the agent who triaged it, as soon as it is classified.
        triaged = next(s for s in story.steps if s.kind == "update")
        story.steps.append(Step(triaged.at + timedelta(minutes=rng.uniform(2, 20)), "link"))
        story.steps.sort(key=lambda s: s.at)
        return story

    def spread(self, weights: dict[Any, int], count: int) -> list[Any]:
        """`count` values drawn by weight, each of them at least once, in random order."""
        values = list(weights)
        extra = self.rng.choices(values, list(weights.values()), k=max(0, count - len(values)))
        picked = values[:count] + extra
        self.rng.shuffle(picked)
        return picked

    def plan_problem(self, spec: data.ProblemSpec, number: int) -> Story:
        lead = self.cast.lead
        owner = self.cast.member(self.rng, "Technical", 3, spec.language)
        story = Story(
            number,
            spec.language,
            Channel.WEB,
            spec.subject,
            Priority.HIGH,
            requester=lead,
            team=self.cast.teams["Technical"],
            type="problem",
            tags=[spec.incident_tag, "problem"],
        )
        at = self.desk(self.now - timedelta(days=spec.days_ago), 30)
        at = story.add(at, "create", lead, text=spec.body)
        changes = TicketChanges(status=TicketStatus.OPEN, assignee=owner.pk)
        at = story.add(self.desk(at, 15), "update", lead, changes=changes)
        at = story.add(self.desk(at, 120), "note", owner, text=spec.note)
        if spec.status == TicketStatus.ON_HOLD:
            words = data.PHRASES[spec.language]
            at = story.add(
                self.desk(at, 300), "note", owner, text=self.rng.choice(words.hold_notes)
            )
            story.add(at, "update", owner, changes=TicketChanges(status=TicketStatus.ON_HOLD))
        return story

    def plan_ticket(
        self, number: int, channel: str, priority: Priority, opened: datetime | None = None
    ) -> Story:
        rng = self.rng
        language = "ru" if rng.random() < 0.6 else "en"
        if channel == Channel.CHAT:
            return self.plan_chat(number, language, priority)
        opened = opened or self.arrival()
        story = Story(number, language, channel, "", priority)
        if channel in (Channel.TELEGRAM, Channel.VK, Channel.WHATSAPP):
            person = self.messenger(channel, language, opened)
            if person is None:  # everyone on it is mid-conversation: they write by e-mail
                story.channel = channel = Channel.EMAIL
            else:
                story.language = language = person.language
                story.customer_name = person.name
                story.contact = Contact(
                    kind=channel, value=person.handle, name=person.name, language=language
                )
        if story.contact is None:
            speakers = [c for c in self.cast.customers if c.language == language]
            story.requester = rng.choice(speakers)
            story.customer_name = story.requester.name
        topic = rng.choice([t for t in data.TOPICS if t.language == language])
        story.topic, story.subject = topic, topic.subject
        self.plan_conversation(story, topic, opened)
        if story.contact is not None:
            self.busy.setdefault(story.contact.value, []).append((opened, story.steps[-1].at))
        return story

    def messenger(self, channel: str, language: str, opened: datetime) -> data.Messenger | None:
        """A messenger account with no conversation going on at `opened` (a new message
        from someone mid-conversation joins that conversation instead)."""
        people = [p for p in data.MESSENGER_PEOPLE if p.channel == channel]
        people.sort(key=lambda p: p.language != language)
        for person in people:
            spans = self.busy.get(person.handle, [])
            # Planned conversations are at most a few weeks long.
            if not any(a - timedelta(days=30) <= opened <= b for a, b in spans):
                return person
        return None

    def plan_conversation(self, story: Story, topic: data.Topic, opened: datetime) -> None:
        rng, cast = self.rng, self.cast
        words = data.PHRASES[story.language]
        priority = story.priority
        agent = cast.member(rng, topic.team, 1, story.language)
        customer = story.requester  # None: a messenger account, found when it writes
        triage = TicketChanges(
            team=cast.teams[topic.team].pk,
            priority=int(priority),
            type=topic.type,
            tags=[topic.tag, *([rng.choice(data.EXTRA_TAGS)] if rng.random() < 0.3 else [])],
            assignee=agent.pk,
        )
        by_agent = story.channel in (Channel.PHONE, Channel.API)
        if by_agent:
            # A call taken, or an order system's integration: opened by an agent,
            # already classified.
            story.team, story.type, story.tags = (
                cast.teams[topic.team],
                topic.type,
                triage.tags or [],
            )
            text = (
                words.phone.format(text=topic.body)
                if story.channel == Channel.PHONE
                else topic.body
            )
            at = story.add(opened, "create", agent, text=text)
            at = story.add(
                self.desk(at, 2), "update", agent, changes=TicketChanges(assignee=agent.pk)
            )
        else:
            story.type = topic.type if topic.type in CUSTOMER_TYPES else None
            at = story.add(opened, "create", customer, text=topic.body)
            if story.channel in bot_channels():
                story.bot_says_yes = rng.random() < 0.35
                story.add(at + timedelta(seconds=rng.uniform(5, 40)), "bot")
            if rng.random() < 0.12:
                at = story.add(
                    self.customer(at, 5, 60), "reply", customer, text=rng.choice(words.addenda)
                )
            at = story.add(
                self.desk(opened, self.answer_minutes(priority) * 0.4),
                "update",
                agent,
                changes=triage,
            )

        first = self.desk(opened, self.answer_minutes(priority))
        line1_fix = topic.line == 1 and rng.random() < 0.55
        if line1_fix:
            # First contact resolution: the first answer solves it.
            at = story.add(
                first, "reply", agent, text=self.greet(story, topic.fix), status=TicketStatus.SOLVED
            )
            at = self.maybe_time(story, at, agent, 5, 30, chance=0.6)
            if rng.random() < 0.1:
                # It comes back: the customer writes again and the ticket reopens.
                at = story.add(
                    self.customer(at, 240, 4000), "reply", customer, text=rng.choice(words.reopen)
                )
                fix = self.greet(story, rng.choice(words.acks))
                at = story.add(
                    self.desk(at, self.answer_minutes(priority)), "reply", agent, text=fix
                )
                at = story.add(
                    self.desk(at, rng.uniform(60, 600)), "update", agent, changes=solved()
                )
            self.plan_after_solve(story, at, agent)
            return

        # An answer that asks for details: the ticket waits for the customer (paused).
        at = story.add(
            first, "reply", agent, text=self.greet(story, topic.answer), status=TicketStatus.PENDING
        )
        at = self.maybe_time(story, at, agent, 5, 25)
        # Most customers answer within a day; some take a week (the ticket waits, paused).
        wait = (20, 1440) if rng.random() < 0.8 else (1440, 8 * 1440)
        at = story.add(
            self.customer(at, *wait), "reply", customer, text=rng.choice(words.follow_ups)
        )
        if topic.line > 1:
            specialist = cast.member(rng, topic.team, topic.line, story.language)
            at = story.add(
                self.desk(at, rng.uniform(20, 180)),
                "note",
                agent,
                text=words.escalation.format(line=topic.line),
            )
            at = story.add(at, "escalate", agent, line=topic.line)
            at = story.add(at, "update", agent, changes=TicketChanges(assignee=specialist.pk))
            agent = specialist
            ack = self.greet(story, rng.choice(words.acks))
            at = story.add(self.desk(at, rng.uniform(20, 240)), "reply", agent, text=ack)
            at = self.maybe_time(story, at, agent, 20, 120)
            if rng.random() < 0.3:
                # Waiting for a vendor: on hold for a few working days.
                at = story.add(self.desk(at, 30), "note", agent, text=rng.choice(words.hold_notes))
                at = story.add(
                    at,
                    "reply",
                    agent,
                    text=self.greet(story, words.hold),
                    status=TicketStatus.ON_HOLD,
                )
                at = story.add(
                    self.desk(at, rng.uniform(540, 2700)),
                    "update",
                    agent,
                    changes=TicketChanges(status=TicketStatus.OPEN),
                )
        elif rng.random() < 0.4:
            more = self.greet(story, rng.choice(words.more_info))
            at = story.add(
                self.desk(at, self.answer_minutes(priority)),
                "reply",
                agent,
                text=more,
                status=TicketStatus.PENDING,
            )
            at = story.add(
                self.customer(at, 30, 1800), "reply", customer, text=rng.choice(words.follow_ups)
            )
        span = (60, 900) if topic.line == 1 else (120, 1600)
        fix = self.greet(story, topic.fix)
        at = self.maybe_time(story, at, agent, 10, 60 * topic.line, chance=0.75)
        if rng.random() < 0.45:
            at = story.add(self.desk(at, rng.uniform(*span)), "reply", agent, text=fix)
            at = story.add(
                self.customer(at, 15, 900), "reply", customer, text=rng.choice(words.thanks)
            )
            at = story.add(self.desk(at, rng.uniform(5, 120)), "update", agent, changes=solved())
        else:
            at = story.add(
                self.desk(at, rng.uniform(*span)),
                "reply",
                agent,
                text=fix,
                status=TicketStatus.SOLVED,
            )
        self.plan_after_solve(story, at, agent)

    def plan_after_solve(self, story: Story, solved_at: datetime, agent: User) -> None:
        rng = self.rng
        at = solved_at
        if rng.random() < 0.5:
            score = rng.choices(SCORES, SCORE_WEIGHTS)[0]
            at = story.add(
                self.customer(at, 10, 2000),
                "rate",
                story.requester,
                score=score,
                text=self.comment(story.language, score),
            )
        story.add(
            self.desk(solved_at, rng.uniform(4 * 540, 6 * 540)),
            "update",
            agent,
            changes=TicketChanges(status=TicketStatus.CLOSED),
        )

    def plan_chat(self, number: int, language: str, priority: Priority) -> Story:
        rng = self.rng
        visitor = rng.choice([v for v in data.CHAT_VISITORS if v.language == language])
        question = rng.choice(data.CHAT_QUESTIONS[language])
        story = Story(
            number,
            language,
            Channel.CHAT,
            question,
            Priority.NORMAL,
            visitor=visitor,
            customer_name=visitor.name,
        )
        # Chats come while the desk is open: someone is online to take them.
        at = self.arrival()
        while (
            not self.cast.hours.spans(at.astimezone(DESK_TZ).date())
            or not 9 <= at.astimezone(DESK_TZ).hour < 17
        ):
            at = self.arrival()
        story.add(
            at,
            "chat",
            self.cast.member(rng, "Support", 1, language),
            text=question,
            score=rng.choices(SCORES, SCORE_WEIGHTS)[0] if rng.random() < 0.6 else 0,
        )
        return story

    def plan_duplicate(self, story: Story) -> bool:
        """The customer asks again on another channel; the agent merges the duplicate.

        False when it does not fit the story: the agent answered before the customer
        would ask again, or the merge would still be to come at the demo's now."""
        words = data.PHRASES[story.language]
        agent = next(
            s.by for s in story.steps if s.kind == "reply" and s.by is not None and s.by.is_agent
        )
        created = story.steps[0].at
        at = self.customer(created, 60, 300)
        nxt = next(
            (
                s.at
                for s in story.steps[1:]
                if s.kind == "reply" and s.by is not None and s.by.is_agent
            ),
            None,
        )
        merged = self.desk(at, 10)
        if nxt is None or at >= nxt or merged >= self.now - timedelta(minutes=5):
            return False
        story.steps.append(Step(at, "duplicate", story.requester, text=words.duplicate))
        story.steps.append(Step(merged, "merge", agent))
        story.steps.sort(key=lambda s: s.at)
        return True

    # Small parts

    def greet(self, story: Story, text: str) -> str:
        words = data.PHRASES[story.language]
        first_name = (story.customer_name or "").split()[0] if story.customer_name else ""
        return f"{words.greeting.format(name=first_name)}\n\n{text}"

    def maybe_time(
        self, story: Story, at: datetime, agent: User, low: int, high: int, chance: float = 0.4
    ) -> datetime:
        """Sometimes the agent logs the time a step took."""
        if self.rng.random() < chance:
            minutes = self.rng.randint(low, high)
            note = self.rng.choice(data.TIME_NOTES[story.language])
            return story.add(at + timedelta(minutes=1), "time", agent, minutes=minutes, text=note)
        return at

    def comment(self, language: str, score: int) -> str:
        return comment(self.rng, language, score)


def comment(rng: random.Random, language: str, score: int) -> str:
    """What a customer writes with a rating, if anything (most write nothing)."""
    if rng.random() < 0.4:
        return ""
    texts = data.FEEDBACK[language]
    band = texts.good if score >= 4 else texts.fair if score == 3 else texts.poor
    return rng.choice(band)


def solved() -> TicketChanges:
    return TicketChanges(status=TicketStatus.SOLVED)


def bot_channels() -> tuple[str, ...]:
    return tuple(str(c) for c in bot.BOT_CHANNELS)
