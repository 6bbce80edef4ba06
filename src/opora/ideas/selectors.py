"""Reading ideas: the board's lists and search, an idea's page, what a suggestion is
like, the export; and who may do what (`access_*`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import Forbidden, NotFound
from opora.ideas import errors, similarity
from opora.ideas.models import CommentState, Idea, IdeaComment, IdeaMatch, IdeaStatus, IdeaTicket
from opora.tickets.models import Message, Ticket, TicketType

SORTS = ("votes", "newest")


def access_idea(pk: int) -> Idea:
    """Any idea, for anyone (the board is public)."""
    idea = Idea.objects.filter(pk=pk).first()
    if idea is None:
        raise NotFound(_("idea"))
    return idea


def access_idea_desk(user: User | None) -> None:
    """Ideas are managed by the desk's people: agents and admins."""
    if user is None or not user.is_authenticated or not user.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may manage ideas."))


def access_voter(user: User) -> None:
    """Votes and comments on the board come from signed-in customers."""
    if not user.is_authenticated or user.is_agent:
        raise Forbidden(errors.CUSTOMERS_ONLY, _("Only signed-in customers may vote and comment."))


def access_comment(pk: int) -> IdeaComment:
    comment = IdeaComment.objects.select_related("idea", "author").filter(pk=pk).first()
    if comment is None:
        raise NotFound(_("comment"))
    return comment


def board(*, sort: str = "votes", status: str = "", q: str = "", limit: int = 200) -> list[Idea]:
    """The board's ideas: by votes or newest, of one status or all, or those that
    match a search (best match first)."""
    rows = Idea.objects.all()
    if status in IdeaStatus.values:
        rows = rows.filter(status=status)
    if q.strip():
        matches = similarity.rank(
            similarity.query_vector(q, ""),
            list(rows.values_list("id", "terms")),
            limit=limit,
            min_score=0.0,
        )
        found = Idea.objects.in_bulk([m.idea_id for m in matches])
        return [found[m.idea_id] for m in matches if m.idea_id in found]
    order = ("-created_at", "-id") if sort == "newest" else ("-vote_count", "-id")
    return list(rows.order_by(*order)[:limit])


def approved_comments(idea: Idea) -> QuerySet[IdeaComment]:
    return idea.comments.filter(state=CommentState.APPROVED).select_related("author")


def own_pending_comments(idea: Idea, user: User) -> QuerySet[IdeaComment]:
    """The signed-in customer's own comments still held: shown to them alone."""
    return idea.comments.filter(state=CommentState.PENDING, author=user)


def pending_comments(idea: Idea | None = None) -> QuerySet[IdeaComment]:
    """The moderation queue: customers' comments no agent has decided on yet."""
    rows = IdeaComment.objects.filter(state=CommentState.PENDING).select_related("author", "idea")
    return rows.filter(idea=idea) if idea is not None else rows


def has_voted(idea: Idea, user: User) -> bool:
    return user.is_authenticated and idea.votes.filter(customer=user).exists()


def linked_tickets(idea: Idea) -> QuerySet[IdeaTicket]:
    return idea.links.select_related("ticket", "ticket__requester")


def idea_of_ticket(ticket: Ticket) -> Idea | None:
    link = IdeaTicket.objects.select_related("idea").filter(ticket=ticket).first()
    return link.idea if link else None


def suggestion_text(ticket: Ticket) -> tuple[str, str]:
    """The suggestion's subject and first message: what it is compared by."""
    first = (
        Message.objects.filter(ticket=ticket, internal=False)
        .order_by("created_at", "id")
        .values_list("body", flat=True)
        .first()
    )
    return ticket.subject, first or ""


@dataclass(frozen=True)
class SimilarIdea:
    idea: Idea
    score: float


def similar_ideas(ticket: Ticket, *, q: str = "", limit: int = 5) -> list[SimilarIdea]:
    """The ideas a suggestion is like: found when it arrived (`IdeaMatch`), else now;
    with `q`, the ideas that match the agent's own words."""
    if q.strip():
        vector = similarity.query_vector(q, "")
        matches = similarity.rank(
            vector, list(Idea.objects.values_list("id", "terms")), limit=limit
        )
    else:
        stored = list(IdeaMatch.objects.filter(ticket=ticket).order_by("-score", "idea_id"))
        if stored:
            matches = [similarity.Match(m.idea_id, m.score) for m in stored[:limit]]
        else:
            matches = find_similar(ticket, limit=limit)
    ideas = Idea.objects.in_bulk([m.idea_id for m in matches])
    return [SimilarIdea(ideas[m.idea_id], m.score) for m in matches if m.idea_id in ideas]


def find_similar(ticket: Ticket, *, limit: int = 5) -> list[similarity.Match]:
    """The ideas closest to the suggestion's subject and first message."""
    subject, body = suggestion_text(ticket)
    vector = similarity.query_vector(subject, body)
    return similarity.rank(vector, list(Idea.objects.values_list("id", "terms")), limit=limit)


def is_suggestion(ticket: Ticket) -> bool:
    return ticket.type == TicketType.SUGGESTION


EXPORT_COLUMNS = (
    "id",
    "title",
    "status",
    "votes",
    "tickets",
    "comments",
    "created_at",
    "updated_at",
    "description",
)


def _csv_safe(value: str) -> str:
    """Spreadsheets run a cell starting with =, +, - or @ as a formula: quote it."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_rows(ideas: Iterable[Idea]) -> Iterator[list[str]]:
    for idea in ideas:
        yield [
            str(idea.pk),
            _csv_safe(idea.title),
            idea.status,
            str(idea.vote_count),
            str(idea.links.count()),
            str(idea.comments.filter(state=CommentState.APPROVED).count()),
            idea.created_at.isoformat(),
            idea.updated_at.isoformat(),
            _csv_safe(idea.description),
        ]


def export_csv(ideas: Iterable[Idea]) -> str:
    """The ideas for the product team's spreadsheet (cells never run as formulas)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(export_rows(ideas))
    return buffer.getvalue()
