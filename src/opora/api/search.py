"""Search: articles for the help center and the agent's sidebar, tickets for agents.

Article search is open to anonymous visitors, who, like customers, find published
articles only.

The operation ids keep the names these endpoints had when they lived in api/kb.py:
generated clients are built from them.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.params.functions import Query

from opora.accounts.models import User
from opora.accounts.selectors import require_agent
from opora.api.common import OPTIONAL_AUTH, ErrorOut, current_user, viewer
from opora.api.kb import Lang
from opora.kb.selectors import article_url, search_articles
from opora.kb.selectors import related_articles as related
from opora.tickets.search import search_tickets as search_tickets_for
from opora.tickets.selectors import access_ticket

router = Router(tags=["knowledge base"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class SearchResult(Schema):
    id: int
    title: str
    snippet: str = Field(description="HTML with matched words in <mark>")
    score: float
    language: str
    url: str


class TicketHit(Schema):
    ticket: int = Field(description="ticket number")
    subject: str
    message: int | None = Field(description="id of the matching message, if any")
    snippet: str
    score: float


class RelatedArticle(Schema):
    id: int
    title: str
    snippet: str
    url: str
    body: str = Field(description="Markdown, to insert into a reply")
    status: str


def _results(user: User | None, q: str, lang: str | None, limit: int) -> list[dict[str, Any]]:
    return [
        {
            "id": hit.object_id,
            "title": hit.title,
            "snippet": hit.snippet,
            "score": hit.score,
            "language": hit.language,
            "url": article_url(hit.object_id),
        }
        for hit in search_articles(user, q, language=lang, limit=limit)
    ]


@router.get(
    "/kb/search",
    response={200: list[SearchResult], **ERRORS},
    auth=OPTIONAL_AUTH,
    summary="Search articles, best first",
    operation_id="opora_api_kb_search_kb",
)
def search_kb(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=500),
    lang: Lang | None = None,
    limit: int = Query(10, ge=1, le=50),
) -> list[dict[str, Any]]:
    return _results(viewer(request), q, lang, limit)


@router.get(
    "/kb/suggest",
    response={200: list[SearchResult], **ERRORS},
    auth=OPTIONAL_AUTH,
    summary="Articles matching a request being typed",
    operation_id="opora_api_kb_suggest",
)
def suggest(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=500),
    lang: Lang | None = None,
) -> list[dict[str, Any]]:
    return _results(viewer(request), q, lang, 5)


@router.get(
    "/search/tickets",
    response={200: list[TicketHit], **ERRORS},
    summary="Search tickets (agents)",
    operation_id="opora_api_kb_search_tickets",
)
def search_tickets(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=500),
    limit: int = Query(20, ge=1, le=100),
) -> list[dict[str, Any]]:
    user = current_user(request)
    require_agent(user)
    hits = search_tickets_for(user, q, limit=limit)
    return [
        {
            "ticket": hit.ticket.number,
            "subject": hit.ticket.subject,
            "message": hit.message_id,
            "snippet": hit.snippet,
            "score": hit.score,
        }
        for hit in hits
    ]


@router.get(
    "/kb/related/{number}",
    response={200: list[RelatedArticle], **ERRORS},
    summary="Articles related to a ticket (the agent's sidebar)",
    operation_id="opora_api_kb_related_articles",
)
def related_articles(request: HttpRequest, number: int) -> list[dict[str, Any]]:
    user = current_user(request)
    require_agent(user)
    found = related(user, access_ticket(user, number))
    return [
        {
            "id": a.id,
            "title": a.title,
            "snippet": a.snippet,
            "url": a.url,
            "body": a.body,
            "status": a.status,
        }
        for a in found
    ]
