"""Playing the demo's planned quarter: each step at its moment, through the real
actions, with the wall clock set to that moment (core/clock.use)."""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from opora.accounts.models import User
from opora.automation import bot
from opora.automation.models import BotState
from opora.chat import actions as chat
from opora.chat.models import PresenceStatus
from opora.chat.selectors import Visitor, current_session
from opora.complaints import actions as complaints
from opora.complaints.selectors import first_text
from opora.core import clock as wall_clock
from opora.demo import data
from opora.demo.history import (
    BOT_SINCE,
    BOT_THRESHOLD,
    Cast,
    Step,
    Story,
    StoryClock,
    comment,
)
from opora.feedback.actions import rate_ticket, record_rating_request
from opora.inbox.channels import Inbound, receive
from opora.sla.actions import escalate_ticket
from opora.tickets.actions import (
    PreparedTicket,
    TicketChanges,
    add_message,
    create_ticket,
    create_tickets,
    link_problem,
    log_time,
    merge_tickets,
    prepare_ticket,
    update_ticket,
)
from opora.tickets.models import Channel, Ticket, TicketStatus, TicketType

# Why the demo's complaints happened (the topic's tag → root cause), and how often each
# turns out justified; a recognised complaint of another topic is put down to the product.
COMPLAINT_CAUSES = {
    "billing": ("billing", 0.9),
    "refund": ("billing", 0.8),
    "delivery": ("delivery", 0.85),
    "complaint": ("agent_behaviour", 0.6),
}
OTHER_CAUSE = ("product_defect", 0.5)


class Player:
    """Plays the planned steps in time order, each at its moment on the wall clock."""

    def __init__(
        self, cast: Cast, stories: list[Story], *, now: datetime, rng: random.Random
    ) -> None:
        self.cast = cast
        self.stories = stories
        self.now = now
        self.rng = rng
        self.clock = StoryClock()
        self.queue: list[tuple[datetime, int, int, int, Step]] = []
        self._seq = 0
        self.bot_from: datetime | None = now - BOT_SINCE

    def push(self, story: Story, step: Step) -> None:
        if step.at >= self.now - timedelta(minutes=1):
            return  # still to come
        self._seq += 1
        heapq.heappush(self.queue, (step.at, self._seq, story.number, story.generation, step))

    def play(self) -> None:
        for story in self.stories:
            for step in story.steps:
                self.push(story, step)
        with wall_clock.use(self.clock):
            while self.queue:
                batch = list(self._next_creates())
                if batch:
                    self._create(batch)
                    continue
                at, _seq, number, generation, step = heapq.heappop(self.queue)
                if self.bot_from is not None and at >= self.bot_from:
                    self.clock.set(self.bot_from)
                    bot.configure_bot(team_id=None, enabled=True, threshold=BOT_THRESHOLD)
                    self.bot_from = None
                story = self.stories[number]
                if generation != story.generation:
                    continue
                self.clock.set(at)
                self._do(story, step)

    def _next_creates(self) -> Iterator[tuple[Story, Step]]:
        """Consecutive new tickets opened by people the desk knows: one batch."""
        while self.queue:
            _at, _seq, number, _generation, step = self.queue[0]
            story = self.stories[number]
            if step.kind != "create" or story.contact is not None:
                return
            heapq.heappop(self.queue)
            yield story, step

    def _create(self, batch: list[tuple[Story, Step]]) -> None:
        prepared: list[PreparedTicket] = []
        for story, step in batch:
            self.clock.set(step.at)
            assert story.requester is not None and step.by is not None
            prepared.append(
                prepare_ticket(
                    requester=story.requester,
                    subject=story.subject,
                    body=step.text,
                    by=step.by,
                    channel=story.channel,
                    priority=int(story.priority) if story.team else None,
                    type=story.type,
                    tags=story.tags,
                    team=story.team,
                    language=story.language,
                )
            )
        for (story, _step), (ticket, _message) in zip(batch, create_tickets(prepared), strict=True):
            story.ticket = ticket
        # What the complaints app's subscriber does after commit (the demo is one
        # transaction): complaints are acknowledged and routed at their moment.
        complaints.take_in_new([story.ticket for story, _step in batch if story.ticket])

    def _do(self, story: Story, step: Step) -> None:
        if step.kind == "create":  # a messenger's first message: the channel layer
            assert story.contact is not None
            story.ticket, _first = receive(
                Inbound(
                    channel=story.channel,
                    contact=story.contact,
                    body=step.text,
                    subject=story.subject,
                )
            )
            story.requester = story.ticket.requester
            complaints.take_in_new([story.ticket])
            return
        if step.kind == "chat":
            self._chat(story, step)
            return
        ticket = story.ticket
        assert ticket is not None
        match step.kind:
            case "bot":
                self._bot(story, ticket, step)
            case "reply":
                self._reply(story, ticket, step)
            case "note":
                add_message(
                    ticket,
                    by=step.by or self.cast.admin,
                    body=step.text,
                    internal=True,
                    channel=Channel.WEB,
                )
            case "update":
                assert step.changes is not None and step.by is not None
                if (
                    step.changes.status == TicketStatus.CLOSED
                    and _status(ticket) != TicketStatus.SOLVED
                ):
                    return  # reopened meanwhile: nothing to close
                if step.changes.status == TicketStatus.SOLVED:
                    self._resolve_complaint(story, ticket, step.by)
                story.ticket = update_ticket(ticket, step.changes, by=step.by)
                if step.changes.type is not None:  # what the subscriber does after commit
                    complaints.follow_type(story.ticket, text=first_text(story.ticket), by=step.by)
                self._solved(story)
            case "escalate":
                story.ticket = escalate_ticket(
                    ticket, to=step.line, reason=data.ESCALATION_REASONS[story.language], by=step.by
                )
            case "time":
                assert step.by is not None
                if _status(ticket) != TicketStatus.CLOSED:
                    log_time(ticket, by=step.by, minutes=step.minutes, note=step.text)
            case "rate":
                if story.requester is not None and _status(ticket) in (
                    TicketStatus.SOLVED,
                    TicketStatus.CLOSED,
                ):
                    rate_ticket(ticket, by=story.requester, score=step.score, comment=step.text)
            case "duplicate":
                assert story.requester is not None
                story.duplicate = create_ticket(
                    requester=story.requester,
                    subject=story.subject,
                    body=step.text,
                    by=story.requester,
                    channel=Channel.WEB if story.channel == Channel.EMAIL else Channel.EMAIL,
                    language=story.language,
                )
            case "merge":
                if story.duplicate is not None and step.by is not None:
                    merge_tickets(story.duplicate, ticket, by=step.by)
            case "link":
                problem = story.problem.ticket if story.problem else None
                by = next(s.by for s in story.steps if s.kind == "update" and s.by is not None)
                if problem is not None and _status(ticket) != TicketStatus.CLOSED:
                    story.ticket = link_problem(ticket, problem, by=by)

    def _reply(self, story: Story, ticket: Ticket, step: Step) -> None:
        if step.by is None or not step.by.is_agent:
            if _status(ticket) == TicketStatus.CLOSED:
                return
            # The customer writes back: by e-mail or the portal, or through a messenger.
            if story.contact is not None:
                # The messenger names the conversation (its thread) the message is in.
                inbound = Inbound(
                    channel=story.channel,
                    contact=story.contact,
                    body=step.text,
                    ticket_id=ticket.pk,
                )
                receive(inbound)
            else:
                assert story.requester is not None
                add_message(ticket, by=story.requester, body=step.text)
            if bot.awaiting_answer(ticket):
                bot.read_reply(ticket.pk, step.text)  # what the subscriber does after commit
            return
        if _status(ticket) == TicketStatus.CLOSED:
            return
        status = step.status
        if status is not None and not _may_move(_status(ticket), status):
            status = None
        if status == TicketStatus.SOLVED:
            self._resolve_complaint(story, ticket, step.by)
        add_message(ticket, by=step.by, body=step.text, status=status)
        if status == TicketStatus.SOLVED:
            self._solved(story)

    def _bot(self, story: Story, ticket: Ticket, step: Step) -> None:
        """The answer bot's job, run a few seconds after the request arrived."""
        conversation = bot.answer_ticket(ticket.pk)
        if (
            conversation is None
            or conversation.state != BotState.AWAITING
            or not story.bot_says_yes
        ):
            return
        # The article helped: the customer says so, the bot solves the request and the
        # rest of the planned story never happens.
        story.generation += 1
        yes = step.at + timedelta(minutes=self.rng.uniform(3, 50))
        close = yes + timedelta(days=self.rng.uniform(3, 6))
        for later in (
            Step(yes, "reply", story.requester, text=data.BOT_YES[story.language]),
            Step(
                close, "update", self.cast.admin, changes=TicketChanges(status=TicketStatus.CLOSED)
            ),
        ):
            self.push(story, later)

    def _resolve_complaint(self, story: Story, ticket: Ticket, by: User) -> None:
        """A complaint is solved with its root cause and verdict (the desk refuses it
        otherwise); one about an agent is resolved by the lead."""
        if Ticket.objects.filter(pk=ticket.pk, type=TicketType.COMPLAINT).exists():
            tag = story.topic.tag if story.topic is not None else ""
            cause, justified_share = COMPLAINT_CAUSES.get(tag, OTHER_CAUSE)
            complaints.resolve(
                ticket,
                complaints.Resolution(
                    root_cause=cause,
                    justified=self.rng.random() < justified_share,
                    solve=False,
                ),
                by=self.cast.lead if cause == "agent_behaviour" else by,
            )

    def _solved(self, story: Story) -> None:
        """The rating request job, run half a minute after a ticket is solved."""
        ticket = story.ticket
        assert ticket is not None
        if _status(ticket) != TicketStatus.SOLVED:
            return
        if User.objects.filter(pk=ticket.requester_id).exclude(email="").exists():
            self.clock.set(self.clock.at + timedelta(seconds=30))
            record_rating_request(ticket)

    def _chat(self, story: Story, step: Step) -> None:
        """A live chat from the widget on the demo site: the bot first, then a person."""
        assert story.visitor is not None and step.by is not None
        rng, agent, language = self.rng, step.by, story.language
        person = story.visitor
        visitor = Visitor(widget=self.cast.widget, visitor_id=f"demo-{story.number:05d}-visitor")
        address = f"198.51.100.{story.number % 250 + 1}"
        moments = _moments(self.clock, step.at)
        next(moments)
        chat.set_presence(agent, PresenceStatus.ONLINE)
        next(moments)
        chat.open_session(
            visitor, chat.Profile(name=person.name, email=person.email, language=language)
        )
        message = chat.post_message(visitor, step.text, "q1", client_address=address)
        story.ticket = message.ticket
        story.requester = message.author
        session = current_session(visitor)
        assert session is not None
        if bot.awaiting_answer(message.ticket):
            next(moments)
            if rng.random() < 0.4:
                chat.helpful(visitor)
                self._solved(story)
                chat.set_presence(agent, PresenceStatus.OFFLINE)
                return
            chat.handoff(visitor)
        next(moments)
        chat.accept(agent, session.pk)
        answer, closing = data.CHAT_ANSWERS[language]
        next(moments)
        chat.agent_message(agent, session, answer, "a1")
        next(moments)
        chat.post_message(visitor, data.CHAT_THANKS[language], "q2", client_address=address)
        next(moments)
        chat.agent_message(agent, session, closing, "a2")
        next(moments)
        chat.end_by_agent(agent, session.pk)
        self._solved(story)
        if step.score:
            next(moments)
            text = comment(rng, language, step.score)
            chat.rate(visitor, step.score, text)
        next(moments)
        chat.set_presence(agent, PresenceStatus.OFFLINE)


def _moments(clock: StoryClock, start: datetime) -> Iterator[None]:
    """Moves the clock through a chat: a minute or two between turns."""
    rng = random.Random(start.timestamp())  # noqa: S311 - a fixed demo
    at = start - timedelta(minutes=2)
    while True:
        clock.set(at)
        yield
        at += timedelta(seconds=rng.uniform(40, 200))


def _status(ticket: Ticket) -> str:
    return Ticket.objects.filter(pk=ticket.pk).values_list("status", flat=True).get()


def _may_move(current: str, wanted: str) -> bool:
    from opora.tickets.models import ALLOWED_TRANSITIONS

    return wanted == current or wanted in ALLOWED_TRANSITIONS[current]
