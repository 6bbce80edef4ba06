# ruff: noqa: RUF001
"""The answer bot: replies to new e-mail and portal requests with knowledge-base articles.

It offers up to three published articles whose match clears its team's confidence
threshold and asks whether they solved the question. "Yes" solves the ticket as
solved-by-bot; "no", or any other reply, hands it to a person at once: the ticket
becomes open in its team's queue (unassigned on the 1st line, or still with its
assignee), tagged `bot-handoff`, with a `bot_handoff` event. The bot never sees
internal-only or draft articles.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet

from opora.accounts.models import Language, Role, SupportLine, User
from opora.automation.models import BotConversation, BotSettings, BotState
from opora.core import audit
from opora.core import clock as wall_clock
from opora.kb.markdown import markdown_to_text
from opora.kb.models import Article, Deflection, DeflectionKind
from opora.kb.selectors import bot_search
from opora.tickets.actions import TicketChanges, add_automated_reply, update_ticket
from opora.tickets.events import bot_handoff_event
from opora.tickets.models import Channel, Ticket, TicketStatus

BOT_EMAIL = "answer-bot@opora.invalid"
SOLVED_TAG = "solved-by-bot"
HANDOFF_TAG = "bot-handoff"
# Why the bot handed a ticket over (the bot_handoff event's value).
HANDOFF_DECLINED = "declined"
HANDOFF_REPLIED = "replied"
MAX_ARTICLES = 3
# Channels whose new requests the bot answers.
BOT_CHANNELS = (Channel.EMAIL, Channel.WEB)
_YES = re.compile(r"^\W*(yes|yep|yeah|да|ага|угу)\b\W*(\w+\W*){0,3}$", re.IGNORECASE)

TEXTS: dict[str, dict[str, str]] = {
    Language.EN: {
        "intro": "Hello! While a person from our team looks at your request, "
        "these articles may already answer it:",
        "ask": "Did this solve your question? Reply “yes” and we will close the request, "
        "or reply with anything else (or “no”) and an agent will take it at once.",
        "page": "You can also answer on the request's page:",
        "chat": "Here is what our knowledge base says:",
        "more": "More:",
    },
    Language.RU: {
        "intro": "Здравствуйте! Пока специалист знакомится с обращением, "
        "возможно, ответ уже есть в этих статьях:",
        "ask": "Это решило ваш вопрос? Ответьте «да», и мы закроем обращение, "
        "или напишите что угодно другое (или «нет») — специалист подключится сразу.",
        "page": "Ответить можно и на странице обращения:",
        "chat": "Вот что об этом есть в базе знаний:",
        "more": "Подробнее:",
    },
}


def bot_user() -> User:
    """The author of the bot's replies: an agent that cannot sign in or be assigned."""
    user, _ = User.objects.get_or_create(
        email=BOT_EMAIL,
        defaults={"name": "Answer bot", "role": Role.AGENT, "is_active": False},
    )
    return user


def settings_for(ticket: Ticket) -> BotSettings | None:
    if ticket.team_id is None:
        found = BotSettings.objects.filter(team__isnull=True).first()
    else:
        found = BotSettings.objects.filter(team_id=ticket.team_id).first()
    if found is None and ticket.team_id is not None:
        return None
    return found


# How much of an article a chat answer quotes: whole paragraphs up to this length.
CHAT_ANSWER_CHARS = 600


def _answer_of(body: str) -> str:
    """The first paragraph(s) of an article, as plain text, for a chat answer."""
    paragraphs = [p.strip() for p in markdown_to_text(body).split("\n\n") if p.strip()]
    kept: list[str] = []
    for paragraph in paragraphs:
        if kept and len("\n\n".join([*kept, paragraph])) > CHAT_ANSWER_CHARS:
            break
        kept.append(paragraph)
    answer = "\n\n".join(kept)
    return answer if len(answer) <= CHAT_ANSWER_CHARS else answer[: CHAT_ANSWER_CHARS - 1] + "…"


def _chat_text(ticket: Ticket, articles: list[tuple[int, str]]) -> str:
    """In a chat the answer itself, not only links; the widget asks with buttons whether
    it helped, so no "reply yes" here."""
    texts = TEXTS.get(ticket.language, TEXTS[Language.EN])
    bodies = dict(
        Article.objects.filter(pk__in=[pk for pk, _ in articles]).values_list("pk", "body")
    )
    lines = [texts["chat"]]
    for article_id, title in articles[:1]:
        lines += ["", title, "", _answer_of(bodies.get(article_id, ""))]
        lines += ["", f"{settings.BASE_URL}/help/articles/{article_id}/"]
    if len(articles) > 1:
        lines += ["", texts["more"]]
        lines += [
            f"- {title} — {settings.BASE_URL}/help/articles/{article_id}/"
            for article_id, title in articles[1:]
        ]
    return "\n".join(lines)


def _reply_text(ticket: Ticket, articles: list[tuple[int, str]]) -> str:
    if ticket.channel == Channel.CHAT:
        return _chat_text(ticket, articles)
    texts = TEXTS.get(ticket.language, TEXTS[Language.EN])
    lines = [texts["intro"], ""]
    for i, (article_id, title) in enumerate(articles, 1):
        lines.append(f"{i}. {title} — {settings.BASE_URL}/help/articles/{article_id}/")
    lines += [
        "",
        texts["ask"],
        f"{texts['page']} {settings.BASE_URL}/portal/requests/{ticket.number}",
    ]
    return "\n".join(lines)


@transaction.atomic
def answer_ticket(ticket_id: int) -> BotConversation | None:
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None or ticket.status != TicketStatus.NEW:
        return None
    if BotConversation.objects.filter(ticket=ticket).exists():
        return None  # already tried: safe to run twice
    bot = settings_for(ticket)
    if bot is None or not bot.enabled:
        return None
    if bot.languages and ticket.language not in bot.languages:
        return None  # not a language this team's bot answers: people do
    first = ticket.messages.order_by("created_at", "id").first()
    question = f"{ticket.subject}\n{first.body if first else ''}"
    allowed = set(bot.articles or [])
    # With a list of allowed articles, look further down the ranking for them.
    found = bot_search(
        question[:2000],
        language=ticket.language,
        limit=MAX_ARTICLES * 5 if allowed else MAX_ARTICLES,
    )
    hits = [
        h
        for h in found
        if h.confidence >= bot.threshold and (not allowed or h.object_id in allowed)
    ][:MAX_ARTICLES]
    if not hits:
        return BotConversation.objects.create(
            ticket=ticket,
            state=BotState.NO_MATCH,
            closed_at=wall_clock.now(),
            created_at=wall_clock.now(),
        )
    # Sent through the ticket's channel like a person's reply (an e-mail customer would
    # otherwise never see it), yet never a first response nor an agent's reply.
    add_automated_reply(
        ticket,
        by=bot_user(),
        body=_reply_text(ticket, [(h.object_id, h.title) for h in hits]),
        deliver=True,
    )
    return BotConversation.objects.create(
        ticket=ticket,
        state=BotState.AWAITING,
        articles=[h.object_id for h in hits],
        confidence=hits[0].confidence,
        created_at=wall_clock.now(),
    )


@transaction.atomic
def read_reply(ticket_id: int, text: str) -> BotConversation | None:
    """The requester wrote back while the bot waits: "yes" solves the ticket, anything
    else hands it to a person at once. None when the bot was not waiting."""
    conversation = (
        BotConversation.objects.select_for_update()
        .filter(ticket_id=ticket_id, state=BotState.AWAITING)
        .select_related("ticket")
        .first()
    )
    if conversation is None:
        return None
    solved = bool(_YES.match(text.strip()))
    _close(conversation, conversation.ticket, solved=solved, reason=HANDOFF_REPLIED)
    return conversation


@transaction.atomic
def give_feedback(ticket: Ticket, *, solved: bool) -> BotConversation | None:
    """The requester answered "did this solve your question?" with a button."""
    conversation = (
        BotConversation.objects.select_for_update()
        .filter(ticket=ticket, state=BotState.AWAITING)
        .first()
    )
    if conversation is None:
        return None
    _close(conversation, ticket, solved=solved, reason=HANDOFF_DECLINED)
    return conversation


def _close(conversation: BotConversation, ticket: Ticket, *, solved: bool, reason: str) -> None:
    by = bot_user()
    if solved:
        update_ticket(
            ticket, TicketChanges(status=TicketStatus.SOLVED, add_tags=[SOLVED_TAG]), by=by
        )
        conversation.state = BotState.SOLVED
    else:
        # Back to a person at once: open in the team's queue, first line unless an
        # agent already has it (then it stays theirs), tagged so the queue shows why.
        changes = TicketChanges(add_tags=[HANDOFF_TAG])
        if ticket.status in (TicketStatus.NEW, TicketStatus.PENDING):
            changes.status = TicketStatus.OPEN
        if ticket.assignee_id is None:
            changes.line = SupportLine.FIRST
        ticket = update_ticket(ticket, changes, by=by)
        bot_handoff_event(ticket=ticket, by=by, reason=reason)
        conversation.state = BotState.HANDED_OFF
    conversation.closed_at = wall_clock.now()
    conversation.save(update_fields=["state", "closed_at"])


def awaiting_answer(ticket: Ticket) -> bool:
    """Whether the bot still waits for the requester's "did this solve it?"."""
    return BotConversation.objects.filter(ticket=ticket, state=BotState.AWAITING).exists()


def awaiting_answers(ticket_ids: list[int]) -> set[int]:
    """Those of the tickets whose bot still waits for the requester (one query)."""
    return set(
        BotConversation.objects.filter(
            ticket_id__in=ticket_ids, state=BotState.AWAITING
        ).values_list("ticket_id", flat=True)
    )


@dataclass(frozen=True)
class ArticleUse:
    id: int
    title: str
    count: int


@dataclass(frozen=True)
class Unanswered:
    subject: str
    count: int


@dataclass(frozen=True)
class BotStats:
    offered: int
    solved: int
    handed_off: int
    awaiting: int
    no_match: int
    resolution_rate: float
    suggestions_shown: int
    deflections: int
    deflection_rate: float
    questions: int = 0  # requests the bot looked at: offered + no_match
    handoff_rate: float = 0.0  # handed_off / offered
    top_articles: tuple[ArticleUse, ...] = ()
    top_unanswered: tuple[Unanswered, ...] = ()


TOP = 10


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def bot_stats(
    *,
    team_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> BotStats:
    """What the bot did with the requests it saw in [start, end) (by when it saw them),
    for one team or the whole desk: answered, solved ("that helped"), handed to a person,
    the articles it offered most and the questions it found nothing for; the portal's
    deflections in the same period (desk-wide: they belong to no team)."""
    conversations = BotConversation.objects.all()
    deflections = Deflection.objects.all()
    if team_id is not None:
        conversations = conversations.filter(ticket__team_id=team_id)
    if start is not None:
        conversations = conversations.filter(created_at__gte=start)
        deflections = deflections.filter(created_at__gte=start)
    if end is not None:
        conversations = conversations.filter(created_at__lt=end)
        deflections = deflections.filter(created_at__lt=end)
    counts = conversations.aggregate(
        solved=Count("id", filter=Q(state=BotState.SOLVED)),
        handed_off=Count("id", filter=Q(state=BotState.HANDED_OFF)),
        awaiting=Count("id", filter=Q(state=BotState.AWAITING)),
        no_match=Count("id", filter=Q(state=BotState.NO_MATCH)),
    )
    offered = counts["solved"] + counts["handed_off"] + counts["awaiting"]
    kinds = deflections.aggregate(
        shown=Count("id", filter=Q(kind=DeflectionKind.SUGGESTED)),
        left=Count("id", filter=Q(kind=DeflectionKind.DEFLECTED)),
    )
    return BotStats(
        offered=offered,
        solved=counts["solved"],
        handed_off=counts["handed_off"],
        awaiting=counts["awaiting"],
        no_match=counts["no_match"],
        resolution_rate=_rate(counts["solved"], offered),
        suggestions_shown=kinds["shown"],
        deflections=kinds["left"],
        deflection_rate=_rate(kinds["left"], kinds["shown"]),
        questions=offered + counts["no_match"],
        handoff_rate=_rate(counts["handed_off"], offered),
        top_articles=_top_articles(conversations),
        top_unanswered=_top_unanswered(conversations),
    )


def _top_articles(conversations: QuerySet[BotConversation]) -> tuple[ArticleUse, ...]:
    """The articles offered most often (each offer counts, first or third)."""
    used: Counter[int] = Counter()
    offered = conversations.exclude(state=BotState.NO_MATCH).values_list("articles", flat=True)
    for ids in offered.iterator(chunk_size=2000):
        used.update(i for i in ids or [] if isinstance(i, int))
    top = sorted(used.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    titles = dict(Article.objects.filter(pk__in=[pk for pk, _ in top]).values_list("pk", "title"))
    return tuple(ArticleUse(pk, titles.get(pk, f"#{pk}"), n) for pk, n in top)


def _top_unanswered(conversations: QuerySet[BotConversation]) -> tuple[Unanswered, ...]:
    """The subjects of requests it found no article for, the most frequent first."""
    rows = (
        conversations.filter(state=BotState.NO_MATCH)
        .values("ticket__subject")
        .annotate(n=Count("id"))
        .order_by("-n", "ticket__subject")[:TOP]
    )
    return tuple(Unanswered(row["ticket__subject"], row["n"]) for row in rows)


BOT_SETTINGS_FIELDS = ("enabled", "threshold", "languages", "articles")


@transaction.atomic
def configure_bot(
    *,
    team_id: int | None,
    enabled: bool,
    threshold: float,
    languages: list[str] | None = None,
    articles: list[int] | None = None,
    by: User | None = None,
) -> BotSettings:
    """Set a team's bot; languages and articles stay as they were when not given."""
    existing = BotSettings.objects.select_for_update()
    found = (
        existing.filter(team__isnull=True) if team_id is None else existing.filter(team_id=team_id)
    ).first()
    created = found is None
    if found is None:
        found = BotSettings(team_id=team_id)
    before = {} if created else audit.snapshot(found, BOT_SETTINGS_FIELDS)
    found.enabled = enabled
    found.threshold = threshold
    if languages is not None:
        found.languages = sorted(set(languages))
    if articles is not None:
        found.articles = sorted(set(articles))
    found.updated_at = wall_clock.now()
    found.save()
    audit.record_change(
        actor=by,
        area="bot",
        action="created" if created else "changed",
        target=found,
        target_type="bot_settings",
        label=found.team.name if found.team_id is not None and found.team else "(no team)",
        changes=audit.diff(before, audit.snapshot(found, BOT_SETTINGS_FIELDS)),
    )
    return found
