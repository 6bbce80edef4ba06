"""Ideas: the board anyone reads, customers' votes and comments, and the desk's work
(ideas, merging suggestions, status, moderation, the CSV for the product team)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from ninja.params.functions import Query

from opora.api.common import OPTIONAL_AUTH, ErrorOut, StrictInput, current_user, viewer
from opora.core.numbers import MAX_ID
from opora.ideas import actions
from opora.ideas.models import Idea, IdeaComment
from opora.ideas.selectors import (
    EXPORT_COLUMNS,
    access_comment,
    access_idea,
    access_idea_desk,
    approved_comments,
    board,
    export_csv,
    has_voted,
    pending_comments,
    similar_ideas,
)
from opora.tickets.selectors import access_ticket

router = Router(tags=["ideas"])
ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}
StatusName = Literal["new", "under_review", "planned", "done", "declined"]


class IdeaOut(Schema):
    id: int
    title: str
    description: str
    status: StatusName
    votes: int
    voted: bool = Field(description="the signed-in customer has voted for it")
    url: str
    created_at: datetime
    updated_at: datetime


class SimilarOut(Schema):
    idea: IdeaOut
    score: float = Field(description="cosine similarity 0..1 of the suggestion and the idea")


class CommentOut(Schema):
    id: int
    idea: int
    author: str
    body: str
    official: bool
    state: Literal["pending", "approved", "rejected"]
    created_at: datetime


class IdeaIn(StrictInput):
    title: str = Field(max_length=actions.MAX_TITLE)
    description: str = Field("", max_length=actions.MAX_DESCRIPTION)
    ticket: int | None = Field(
        None, ge=1, le=MAX_ID, description="a suggestion ticket's number: merged into the idea"
    )


class IdeaPatch(StrictInput):
    title: str | None = Field(None, max_length=actions.MAX_TITLE)
    description: str | None = Field(None, max_length=actions.MAX_DESCRIPTION)
    status: StatusName | None = Field(None, description="every voter is told of a change")


class MergeIn(StrictInput):
    ticket: int = Field(ge=1, le=MAX_ID, description="the suggestion ticket's number")


class CommentIn(StrictInput):
    body: str = Field(max_length=actions.MAX_COMMENT)


class ModerateIn(StrictInput):
    decision: Literal["approve", "reject"]


def _idea(idea: Idea, voted: bool = False) -> dict[str, Any]:
    return {
        "id": idea.pk,
        "title": idea.title,
        "description": idea.description,
        "status": idea.status,
        "votes": idea.vote_count,
        "voted": voted,
        "url": f"/ideas/{idea.pk}",
        "created_at": idea.created_at,
        "updated_at": idea.updated_at,
    }


def _comment(comment: IdeaComment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "idea": comment.idea_id,
        "author": comment.author.display_name,
        "body": comment.body,
        "official": comment.official,
        "state": comment.state,
        "created_at": comment.created_at,
    }


@router.get(
    "/ideas",
    response={200: list[IdeaOut], **ERRORS},
    auth=OPTIONAL_AUTH,
    summary="List ideas (public): by votes or newest, by status, or matching words",
    operation_id="opora_api_ideas_list",
)
def list_ideas(
    request: HttpRequest,
    sort: Literal["votes", "newest"] = "votes",
    status: StatusName | None = None,
    q: str = Query("", max_length=200),
    limit: int = Query(100, ge=1, le=500),
) -> list[dict[str, Any]]:
    return [_idea(i) for i in board(sort=sort, status=status or "", q=q, limit=limit)]


@router.post(
    "/ideas",
    response={201: IdeaOut, **ERRORS},
    summary="Create an idea (agents), optionally from a suggestion ticket",
    operation_id="opora_api_ideas_create",
)
def create_idea(request: HttpRequest, payload: IdeaIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    access_idea_desk(user)
    ticket = access_ticket(user, payload.ticket) if payload.ticket else None
    idea = actions.create_idea(
        by=user, title=payload.title, description=payload.description, ticket=ticket
    )
    return Status(201, _idea(idea))


@router.get(
    "/ideas/similar",
    response={200: list[SimilarOut], **ERRORS},
    summary="Ideas similar to a suggestion ticket (agents)",
    operation_id="opora_api_ideas_similar",
)
def similar(
    request: HttpRequest,
    ticket: int = Query(..., ge=1, le=MAX_ID),
    q: str = Query("", max_length=200, description="the agent's own words instead"),
) -> list[dict[str, Any]]:
    user = current_user(request)
    access_idea_desk(user)
    found = access_ticket(user, ticket)
    return [{"idea": _idea(s.idea), "score": s.score} for s in similar_ideas(found, q=q)]


@router.get(
    "/ideas/export.csv",
    response=ERRORS,
    summary="Every idea as CSV, for the product team (agents)",
    operation_id="opora_api_ideas_export",
    openapi_extra={
        "responses": {
            200: {
                "description": "CSV: " + ",".join(EXPORT_COLUMNS),
                "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export(request: HttpRequest) -> HttpResponse:
    access_idea_desk(current_user(request))
    response = HttpResponse(
        export_csv(board(limit=100_000)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="ideas.csv"'
    return response


@router.get(
    "/ideas/{idea_id}",
    response={200: IdeaOut, **ERRORS},
    auth=OPTIONAL_AUTH,
    summary="Get an idea (public)",
    operation_id="opora_api_ideas_get",
)
def get_idea(request: HttpRequest, idea_id: int) -> dict[str, Any]:
    idea = access_idea(idea_id)
    user = viewer(request)
    return _idea(idea, voted=user is not None and has_voted(idea, user))


@router.patch(
    "/ideas/{idea_id}",
    response={200: IdeaOut, **ERRORS},
    summary="Change an idea's title, description or status (agents)",
    operation_id="opora_api_ideas_update",
)
def update_idea(request: HttpRequest, idea_id: int, payload: IdeaPatch) -> dict[str, Any]:
    user = current_user(request)
    access_idea_desk(user)
    idea = access_idea(idea_id)
    if payload.title is not None or payload.description is not None:
        idea = actions.edit_idea(
            idea, by=user, title=payload.title, description=payload.description
        )
    if payload.status is not None:
        idea = actions.change_status(idea, payload.status, by=user)
    return _idea(idea)


@router.post(
    "/ideas/{idea_id}/merge",
    response={200: IdeaOut, **ERRORS},
    summary="Merge a suggestion ticket into the idea: its requester votes (agents)",
    operation_id="opora_api_ideas_merge",
)
def merge(request: HttpRequest, idea_id: int, payload: MergeIn) -> dict[str, Any]:
    user = current_user(request)
    access_idea_desk(user)
    idea = access_idea(idea_id)
    ticket = access_ticket(user, payload.ticket)
    return _idea(actions.merge_suggestion(idea, ticket, by=user))


@router.post(
    "/ideas/{idea_id}/votes",
    response={201: IdeaOut, **ERRORS},
    summary="Vote for an idea (signed-in customers, once)",
    operation_id="opora_api_ideas_vote",
)
def vote(request: HttpRequest, idea_id: int) -> Status[dict[str, Any]]:
    user = current_user(request)
    idea = actions.vote(access_idea(idea_id), by=user)
    return Status(201, _idea(idea, voted=True))


@router.get(
    "/ideas/{idea_id}/comments",
    response={200: list[CommentOut], **ERRORS},
    auth=OPTIONAL_AUTH,
    summary="An idea's comments: approved ones; agents may ask for those awaiting moderation",
    operation_id="opora_api_ideas_comments",
)
def comments(
    request: HttpRequest, idea_id: int, state: Literal["approved", "pending"] = "approved"
) -> list[dict[str, Any]]:
    idea = access_idea(idea_id)
    if state == "pending":
        access_idea_desk(viewer(request))
        return [_comment(c) for c in pending_comments(idea)]
    return [_comment(c) for c in approved_comments(idea)]


@router.post(
    "/ideas/{idea_id}/comments",
    response={201: CommentOut, **ERRORS},
    summary="Comment on an idea (a customer's awaits moderation; an agent's is official)",
    operation_id="opora_api_ideas_comment",
)
def add_comment(request: HttpRequest, idea_id: int, payload: CommentIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    idea = access_idea(idea_id)
    if user.is_agent:
        found = actions.official_reply(idea, by=user, body=payload.body)
    else:
        found = actions.comment(idea, by=user, body=payload.body)
    return Status(201, _comment(found))


@router.post(
    "/ideas/comments/{comment_id}/moderate",
    response={200: CommentOut, **ERRORS},
    summary="Publish or reject a comment awaiting moderation (agents)",
    operation_id="opora_api_ideas_moderate",
)
def moderate(request: HttpRequest, comment_id: int, payload: ModerateIn) -> dict[str, Any]:
    user = current_user(request)
    access_idea_desk(user)
    comment = access_comment(comment_id)
    return _comment(actions.moderate(comment, by=user, approve=payload.decision == "approve"))
