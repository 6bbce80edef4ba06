# ruff: noqa: RUF001
"""The answer bot: replies to new e-mail and portal requests with knowledge-base articles.

It offers up to three published articles whose match clears its team's confidence
threshold and asks whether they solved the question. "Yes" solves the ticket as
solved-by-bot; "no", or any other reply, hands it to a person at once: the ticket
becomes open in its team's queue (unassigned on the 1st line, or still with its
assignee), tagged `bot-handoff`, with a `bot_handoff` event. The bot never sees
internal-only or draft articles.

Its answer is the answer itself: the passage of the best article that matches the
question (a few sentences around the best-matching one), with the link, then the other
articles. It keeps quiet, leaving the request to a person at once, on complaints, on
urgent or angry messages and for customers of VIP organizations (each switch per team,
on by default): the conversation is recorded as "skipped" with the reason, so its
figures show why (docs/kpi.md).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet

from opora.accounts.models import Language, Role, SupportLine, User
from opora.automation.models import BotConversation, BotSettings, BotState
from opora.automation.tone import tone
from opora.complaints.selectors import is_complaint
from opora.core import audit
from opora.core import clock as wall_clock
from opora.kb.markdown import markdown_to_text
from opora.kb.models import Article, Deflection, DeflectionKind
from opora.kb.selectors import bot_search
from opora.search.text import terms
from opora.tickets.actions import TicketChanges, add_automated_reply, update_ticket
from opora.tickets.events import bot_handoff_event
from opora.tickets.models import Channel, Priority, Ticket, TicketStatus

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

# Why the bot left a request to a person (BotConversation.reason of a skipped one).
SKIP_COMPLAINT = "complaint"
SKIP_URGENT = "urgent"
SKIP_ANGRY = "angry"
SKIP_VIP = "vip"
_COMPLAINT_WORDS = re.compile(
    r"(?<!\w)(complain\w*|complaint\w*|unacceptable|outrage\w*|refund now|"
    r"жалоб\w*|жалую\w*|претензи\w*|безобрази\w*|возмутительн\w*|недопустим\w*)(?!\w)",
    re.IGNORECASE,
)
_URGENT_WORDS = re.compile(
    r"(?<!\w)(urgent\w*|asap|immediately|emergency|срочн\w*|немедленно|авари\w*)(?!\w)",
    re.IGNORECASE,
)

TEXTS: dict[str, dict[str, str]] = {
    Language.EN: {
        "answer": "Hello! While a person from our team looks at your request, "
        "here is what our knowledge base says:",
        "intro": "Hello! While a person from our team looks at your request, "
        "these articles may already answer it:",
        "ask": "Did this solve your question? Reply “yes” and we will close the request, "
        "or reply with anything else (or “no”) and an agent will take it at once.",
        "page": "You can also answer on the request's page:",
        "chat": "Here is what our knowledge base says:",
        "more": "More:",
        "short": "Hi! While a person from our team looks at this, here is what may help:",
        "ask_short": "Did this help? Reply “yes” and we will close the request. "
        "If not, just write what is still wrong: a person will take over.",
        "page_short": "Your request online:",
        "also": "Also:",
    },
    Language.RU: {
        "answer": "Здравствуйте! Пока специалист знакомится с обращением, "
        "вот что об этом есть в базе знаний:",
        "intro": "Здравствуйте! Пока специалист знакомится с обращением, "
        "возможно, ответ уже есть в этих статьях:",
        "ask": "Это решило ваш вопрос? Ответьте «да», и мы закроем обращение, "
        "или напишите что угодно другое (или «нет») — специалист подключится сразу.",
        "page": "Ответить можно и на странице обращения:",
        "chat": "Вот что об этом есть в базе знаний:",
        "more": "Подробнее:",
        "short": "Здравствуйте! Пока специалист смотрит обращение, вот что может помочь:",
        "ask_short": "Помогло? Ответьте «да», и мы закроем обращение. "
        "Если нет, напишите, что не так, — подключится специалист.",
        "page_short": "Обращение на сайте:",
        "also": "Ещё:",
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


# A passage: the best-matching sentence and its neighbours, up to this many characters.
PASSAGE_SENTENCES = 1  # on each side of the best one
PASSAGE_CHARS = 700
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"«(\[]?[A-ZА-ЯЁ0-9])")


def passage(body: str, question: str) -> str:
    """The few sentences of an article that answer the question: the sentence sharing
    the most (stemmed) words with it, with one sentence either side from the same
    paragraph; the article's opening when nothing matches."""
    wanted = set(terms(question))
    best: tuple[int, int, int] = (0, -1, -1)  # (score, paragraph, sentence)
    paragraphs = [
        [s.strip() for s in _SENTENCE_END.split(p.strip()) if s.strip()]
        for p in markdown_to_text(body).split("\n\n")
        if p.strip()
    ]
    for p, sentences in enumerate(paragraphs):
        for i, sentence in enumerate(sentences):
            score = len(wanted & set(terms(sentence)))
            if score > best[0]:
                best = (score, p, i)
    if best[1] < 0:
        return _answer_of(body)
    sentences = paragraphs[best[1]]
    i = best[2]
    chosen = sentences[max(0, i - PASSAGE_SENTENCES) : i + PASSAGE_SENTENCES + 1]
    text = " ".join(chosen)
    return text if len(text) <= PASSAGE_CHARS else text[: PASSAGE_CHARS - 1] + "…"


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


# Messengers: the person reads on a phone, in a chat. Channel values, some of which a
# later channel adds to tickets.Channel.
MESSENGER_CHANNELS = frozenset({"telegram", "vk", "whatsapp", "viber", "max"})
MESSENGER_PASSAGE_CHARS = 350
MESSENGER_OTHERS = 2


def _shortened(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:—-")
    return cut + "…"


def _messenger_text(ticket: Ticket, articles: list[tuple[int, str]], question: str) -> str:
    """For a messenger: short, one passage, "reply yes" as a chat says it; the portal's
    page only for a person who can sign in there (not a messenger-only account)."""
    texts = TEXTS.get(ticket.language, TEXTS[Language.EN])
    (best_id, best_title), others = articles[0], articles[1 : 1 + MESSENGER_OTHERS]
    body = Article.objects.filter(pk=best_id).values_list("body", flat=True).first() or ""
    lines = [
        texts["short"],
        "",
        best_title,
        _shortened(passage(body, question), MESSENGER_PASSAGE_CHARS),
    ]
    lines.append(f"{settings.BASE_URL}/help/articles/{best_id}/")
    if others:
        lines += ["", texts["also"]]
        lines += [
            f"{title} — {settings.BASE_URL}/help/articles/{article_id}/"
            for article_id, title in others
        ]
    lines += ["", texts["ask_short"]]
    requester = ticket.requester
    if requester is not None and requester.reachable_by_email:
        lines.append(f"{texts['page_short']} {settings.BASE_URL}/portal/requests/{ticket.number}")
    return "\n".join(lines)


def _reply_text(ticket: Ticket, articles: list[tuple[int, str]], question: str = "") -> str:
    """The answer itself (the best article's passage and link), the other articles, and
    the question whether it solved the request; worded for the ticket's channel (e-mail
    and portal, live chat, messengers)."""
    if ticket.channel == Channel.CHAT:
        return _chat_text(ticket, articles)
    if ticket.channel in MESSENGER_CHANNELS:
        return _messenger_text(ticket, articles, question)
    texts = TEXTS.get(ticket.language, TEXTS[Language.EN])
    (best_id, best_title), others = articles[0], articles[1:]
    body = Article.objects.filter(pk=best_id).values_list("body", flat=True).first() or ""
    lines = [texts["answer"], "", best_title, "", passage(body, question)]
    lines += ["", f"{settings.BASE_URL}/help/articles/{best_id}/"]
    if others:
        lines += ["", texts["more"]]
        lines += [
            f"- {title} — {settings.BASE_URL}/help/articles/{article_id}/"
            for article_id, title in others
        ]
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
    reason = quiet_reason(ticket, bot, question)
    if reason:
        return BotConversation.objects.create(
            ticket=ticket,
            state=BotState.SKIPPED,
            reason=reason,
            closed_at=wall_clock.now(),
            created_at=wall_clock.now(),
        )
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
        body=_reply_text(ticket, [(h.object_id, h.title) for h in hits], question),
        deliver=True,
    )
    return BotConversation.objects.create(
        ticket=ticket,
        state=BotState.AWAITING,
        articles=[h.object_id for h in hits],
        confidence=hits[0].confidence,
        created_at=wall_clock.now(),
    )


def quiet_reason(ticket: Ticket, bot: BotSettings, question: str) -> str:
    """Why this request goes straight to a person ("" when the bot may answer it).

    A complaint (by its type, or recognised in its words by the complaints app's
    detector) is never answered, whatever the team's switch says: the customer is
    acknowledged with a deadline instead (complaints/actions.py). The switch still
    keeps the bot off messages that merely name a complaint."""
    if is_complaint(ticket, question):
        return SKIP_COMPLAINT
    if bot.skip_complaints and _COMPLAINT_WORDS.search(question):
        return SKIP_COMPLAINT
    if bot.skip_urgent:
        if ticket.priority == Priority.URGENT or _URGENT_WORDS.search(question):
            return SKIP_URGENT
        if tone(question).angry:  # strong words or shouting (automation/tone.py)
            return SKIP_ANGRY
    if bot.skip_vip and _vip(ticket):
        return SKIP_VIP
    return ""


def _vip(ticket: Ticket) -> bool:
    organization = ticket.organization
    if organization is None and ticket.requester_id is not None:
        organization = ticket.requester.organization
    return bool(organization and organization.vip)


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
    # Requests it left to a person at once, per reason (complaint, urgent, angry, vip).
    skipped: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)


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
        skipped=Count("id", filter=Q(state=BotState.SKIPPED)),
    )
    reasons = (
        conversations.filter(state=BotState.SKIPPED)
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("reason")
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
        skipped=counts["skipped"],
        skipped_by_reason={row["reason"]: row["n"] for row in reasons},
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


BOT_SETTINGS_FIELDS = (
    "enabled",
    "threshold",
    "languages",
    "articles",
    "skip_complaints",
    "skip_urgent",
    "skip_vip",
)
SKIP_FIELDS = ("skip_complaints", "skip_urgent", "skip_vip")


@transaction.atomic
def configure_bot(
    *,
    team_id: int | None,
    enabled: bool,
    threshold: float,
    languages: list[str] | None = None,
    articles: list[int] | None = None,
    skip: dict[str, bool] | None = None,
    by: User | None = None,
) -> BotSettings:
    """Set a team's bot; languages, articles and the requests it leaves to people
    (`skip`: some of SKIP_FIELDS) stay as they were when not given."""
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
    for name, value in (skip or {}).items():
        if name in SKIP_FIELDS:
            setattr(found, name, value)
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
