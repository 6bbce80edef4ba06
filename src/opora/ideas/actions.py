"""Every write to ideas, one transaction each: ideas, merges (votes), board votes,
comments and their moderation, status changes (whose voters are told in a job)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils.translation import gettext as _

from opora.accounts.models import Role, User
from opora.automation import webhooks
from opora.core import clock
from opora.core.errors import Forbidden, RateLimited, ValidationFailed
from opora.core.ratelimit import hit
from opora.core.tasks import enqueue_after_commit
from opora.ideas import errors, similarity
from opora.ideas.models import (
    CommentState,
    Idea,
    IdeaComment,
    IdeaMatch,
    IdeaStatus,
    IdeaTicket,
    StatusChange,
    Vote,
)
from opora.ideas.selectors import access_idea_desk, access_voter, find_similar
from opora.ideas.tasks import notify_voters_task
from opora.tickets.models import Ticket, TicketType

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_COMMENT = 5_000
# Per customer and minute: enough for a person, not for a script stuffing the board.
VOTES_PER_MINUTE = 20
COMMENTS_PER_MINUTE = 5


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title or len(title) > MAX_TITLE:
        raise ValidationFailed(
            errors.INVALID_IDEA,
            _("Give the idea a title of at most %(n)s characters.") % {"n": MAX_TITLE},
            field="title",
        )
    return title


def _clean_description(description: str) -> str:
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(
            errors.INVALID_IDEA,
            _("The description is too long (at most %(n)s characters).") % {"n": MAX_DESCRIPTION},
            field="description",
        )
    return description


def _terms(title: str, description: str) -> str:
    return " ".join(similarity.document_terms(title, description))


def idea_payload(idea: Idea) -> dict[str, Any]:
    """What the product team's webhook receives about an idea."""
    return {
        "idea": {
            "id": idea.pk,
            "title": idea.title,
            "description": idea.description,
            "status": idea.status,
            "votes": idea.vote_count,
            "url": f"{settings.BASE_URL}/ideas/{idea.pk}",
        }
    }


def create_idea(
    *, by: User, title: str, description: str = "", ticket: Ticket | None = None
) -> Idea:
    """A new idea (agents); from a suggestion ticket, that ticket is merged into it."""
    access_idea_desk(by)
    title, description = _clean_title(title), _clean_description(description)
    if ticket is not None:
        _check_mergeable(ticket)
    now = clock.now()
    with transaction.atomic():
        idea = Idea.objects.create(
            title=title,
            description=description,
            terms=_terms(title, description),
            created_by=by,
            created_at=now,
            updated_at=now,
        )
        if ticket is not None:
            _merge(idea, ticket, by=by)
            idea.refresh_from_db()
        webhooks.queue_payload("idea_created", idea_payload(idea))
    return idea


def edit_idea(
    idea: Idea, *, by: User, title: str | None = None, description: str | None = None
) -> Idea:
    access_idea_desk(by)
    new_title = _clean_title(title) if title is not None else idea.title
    new_description = (
        _clean_description(description) if description is not None else idea.description
    )
    with transaction.atomic():
        idea.title, idea.description = new_title, new_description
        idea.terms = _terms(new_title, new_description)
        idea.updated_at = clock.now()
        idea.save(update_fields=["title", "description", "terms", "updated_at"])
    return idea


def change_status(idea: Idea, status: str, *, by: User) -> Idea:
    """Move the idea to a status; every voter is told (a job, after commit), and the
    product team's webhook hears of it. The same status again changes nothing."""
    access_idea_desk(by)
    if status not in IdeaStatus.values:
        raise ValidationFailed(
            errors.INVALID_STATUS,
            _("Unknown status: %(status)s.") % {"status": status},
            field="status",
        )
    with transaction.atomic():
        locked = Idea.objects.select_for_update().get(pk=idea.pk)
        if locked.status == status:
            return locked
        change = StatusChange.objects.create(
            idea=locked, previous=locked.status, status=status, by=by, at=clock.now()
        )
        locked.status, locked.updated_at = status, change.at
        locked.save(update_fields=["status", "updated_at"])
        enqueue_after_commit(notify_voters_task, change.pk)
        webhooks.queue_payload(
            "idea_status", {**idea_payload(locked), "previous_status": change.previous}
        )
    return locked


def _check_mergeable(ticket: Ticket) -> None:
    if ticket.type != TicketType.SUGGESTION:
        raise ValidationFailed(
            errors.NOT_A_SUGGESTION,
            _("Only a suggestion can be merged into an idea: set the ticket's type first."),
            field="ticket",
        )
    merged = IdeaTicket.objects.filter(ticket=ticket).select_related("idea").first()
    if merged is not None:
        raise ValidationFailed(
            errors.ALREADY_MERGED,
            _("This suggestion is already merged into the idea “%(title)s”.")
            % {"title": merged.idea.title},
            field="ticket",
        )


def merge_suggestion(idea: Idea, ticket: Ticket, *, by: User) -> Idea:
    """Merge a suggestion ticket into the idea: the ticket is linked, and its requester
    (a customer) votes for the idea, once however many suggestions they sent."""
    access_idea_desk(by)
    _check_mergeable(ticket)
    with transaction.atomic():
        _merge(idea, ticket, by=by)
    idea.refresh_from_db()
    return idea


def _merge(idea: Idea, ticket: Ticket, *, by: User) -> None:
    try:
        with transaction.atomic():
            IdeaTicket.objects.create(idea=idea, ticket=ticket, merged_by=by, merged_at=clock.now())
    except IntegrityError:  # merged meanwhile by someone else
        raise ValidationFailed(
            errors.ALREADY_MERGED,
            _("This suggestion is already merged into an idea."),
            field="ticket",
        ) from None
    requester = User.objects.get(pk=ticket.requester_id)
    if requester.role == Role.CUSTOMER:
        _add_vote(idea, requester, ticket=ticket, source=Vote.Source.MERGED)
    Idea.objects.filter(pk=idea.pk).update(updated_at=clock.now())


def _add_vote(idea: Idea, customer: User, *, ticket: Ticket | None, source: str) -> bool:
    """The customer's vote, if they have none for this idea yet; recounts the votes."""
    try:
        with transaction.atomic():
            Vote.objects.create(
                idea=idea, customer=customer, ticket=ticket, source=source, created_at=clock.now()
            )
    except IntegrityError:
        return False
    _recount(idea)
    return True


def _recount(idea: Idea) -> None:
    count = Vote.objects.filter(idea=OuterRef("pk")).values("idea").annotate(n=Count("id"))
    Idea.objects.filter(pk=idea.pk).update(vote_count=Subquery(count.values("n")[:1]))


def _within_rate(user: User, scope: str, limit: int) -> None:
    if not hit(f"ideas-{scope}", str(user.pk), limit=limit):
        raise RateLimited(errors.RATE_LIMITED, _("Too many requests. Please wait a minute."))


def vote(idea: Idea, *, by: User) -> Idea:
    """A signed-in customer's vote on the board: once per idea."""
    access_voter(by)
    if Vote.objects.filter(idea=idea, customer=by).exists():
        raise ValidationFailed(errors.ALREADY_VOTED, _("You have already voted for this idea."))
    _within_rate(by, "vote", VOTES_PER_MINUTE)
    with transaction.atomic():
        if not _add_vote(idea, by, ticket=None, source=Vote.Source.BOARD):
            raise ValidationFailed(errors.ALREADY_VOTED, _("You have already voted for this idea."))
    idea.refresh_from_db()
    return idea


def _clean_comment(body: str) -> str:
    body = body.strip()
    if not body or len(body) > MAX_COMMENT:
        raise ValidationFailed(
            errors.INVALID_COMMENT,
            _("Write a comment of at most %(n)s characters.") % {"n": MAX_COMMENT},
            field="body",
        )
    return body


def comment(idea: Idea, *, by: User, body: str) -> IdeaComment:
    """A customer's comment, held until an agent approves it."""
    access_voter(by)
    body = _clean_comment(body)
    _within_rate(by, "comment", COMMENTS_PER_MINUTE)
    return IdeaComment.objects.create(idea=idea, author=by, body=body, created_at=clock.now())


def official_reply(idea: Idea, *, by: User, body: str) -> IdeaComment:
    """The desk's answer on the board: shown at once, marked official."""
    access_idea_desk(by)
    body = _clean_comment(body)
    now = clock.now()
    return IdeaComment.objects.create(
        idea=idea,
        author=by,
        body=body,
        official=True,
        state=CommentState.APPROVED,
        moderated_by=by,
        moderated_at=now,
        created_at=now,
    )


def moderate(comment: IdeaComment, *, by: User, approve: bool) -> IdeaComment:
    """Publish a held comment, or reject it (it stays off the board)."""
    if not by.is_authenticated or not by.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may moderate comments."))
    with transaction.atomic():
        locked = IdeaComment.objects.select_for_update().get(pk=comment.pk)
        if locked.state != CommentState.PENDING:
            raise ValidationFailed(
                errors.ALREADY_MODERATED, _("This comment has been moderated already.")
            )
        locked.state = CommentState.APPROVED if approve else CommentState.REJECTED
        locked.moderated_by, locked.moderated_at = by, clock.now()
        locked.save(update_fields=["state", "moderated_by", "moderated_at"])
    return locked


MATCHES_KEPT = 3


def record_matches(ticket_id: int) -> int:
    """Find the ideas a new suggestion is like and keep them for its ticket page."""
    ticket = Ticket.objects.filter(pk=ticket_id, type=TicketType.SUGGESTION).first()
    if ticket is None:
        return 0
    matches = find_similar(ticket, limit=MATCHES_KEPT)
    with transaction.atomic():
        IdeaMatch.objects.filter(ticket=ticket).delete()
        IdeaMatch.objects.bulk_create(
            [IdeaMatch(ticket=ticket, idea_id=m.idea_id, score=m.score) for m in matches]
        )
    return len(matches)
