"""Knowledge base: articles, their versions and votes, categories, help-center deflections.

Public articles are open to anonymous visitors; they, like customers, see published
articles only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.params.functions import Query

from opora.accounts.models import User
from opora.accounts.selectors import require_agent
from opora.api.common import OPTIONAL_AUTH, ErrorOut, StrictInput, current_user, viewer
from opora.kb import actions
from opora.kb.models import Article, Category
from opora.kb.selectors import (
    access_article,
    version_diff,
    visible_articles,
)
from opora.tickets.selectors import access_ticket

router = Router(tags=["knowledge base"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


# Schemas


Lang = Literal["ru", "en"]
StatusName = Literal["draft", "published", "internal"]


class ArticleCreate(StrictInput):
    title: str = Field(max_length=255)
    body: str = Field(description="Markdown")
    language: Lang = "en"
    status: StatusName = "draft"
    category: int | None = None
    tags: list[str] = []
    translation_of: int | None = Field(
        None, description="id of the same article in the other language"
    )


class ArticleUpdate(StrictInput):
    title: str | None = Field(None, max_length=255)
    body: str | None = None
    language: Lang | None = None
    status: StatusName | None = None
    category: int | None = None
    tags: list[str] | None = None
    note: str = Field("", max_length=255, description="what changed, kept with the version")


class ArticleOut(Schema):
    id: int
    title: str
    body: str
    body_html: str
    language: str
    status: str
    category: int | None
    tags: list[str]
    author: str | None
    version: int
    view_count: int
    helpful_yes: int
    helpful_no: int
    translations: dict[str, int]
    url: str
    created_at: datetime
    updated_at: datetime


class ArticlePage(Schema):
    items: list[ArticleOut]
    count: int
    page: int
    pages: int


class VersionOut(Schema):
    number: int
    title: str
    status: str
    author: str | None
    note: str
    created_at: datetime


class DiffOut(Schema):
    number: int
    previous: int | None
    diff: str = Field(description="unified diff of title and text against the previous version")


class VoteIn(StrictInput):
    helpful: bool


class CategoryIn(StrictInput):
    slug: str = Field(max_length=80, pattern=r"^[a-z0-9-]+$")
    name_en: str = Field(max_length=120)
    name_ru: str = Field(max_length=120)
    parent: int | None = None
    position: int = 0


class CategoryOut(Schema):
    id: int
    slug: str
    name_en: str
    name_ru: str
    parent: int | None
    position: int


class DeflectionIn(StrictInput):
    kind: Literal["suggested", "deflected"]
    article: int | None = None
    query: str = Field("", max_length=255)


def article_out(article: Article, *, viewer: User | None) -> dict[str, Any]:
    translations = dict(
        visible_articles(viewer)
        .filter(group=article.group)
        .exclude(pk=article.pk)
        .values_list("language", "id")
    )
    return article_out_fast(article, translations)


# Articles


@router.get(
    "/kb/articles",
    response={200: ArticlePage, **ERRORS},
    auth=OPTIONAL_AUTH,
    summary="List articles",
)
def list_articles(
    request: HttpRequest,
    lang: Lang | None = None,
    status: StatusName | None = None,
    category: int | None = None,
    page: int = Query(1, ge=1),
    page_size: int = Query(settings.API_PAGE_SIZE, ge=1, le=settings.API_MAX_PAGE_SIZE),
) -> dict[str, Any]:
    user = viewer(request)
    articles = visible_articles(user).select_related("author")
    if lang:
        articles = articles.filter(language=lang)
    if status:
        articles = articles.filter(status=status)
    if category is not None:
        articles = articles.filter(category_id=category)
    count = articles.count()
    start = (page - 1) * page_size
    items = list(articles.order_by("-updated_at", "-id")[start : start + page_size])
    groups = {a.group for a in items}
    siblings: dict[Any, dict[str, int]] = {}
    for group, language, pk in (
        visible_articles(user).filter(group__in=groups).values_list("group", "language", "id")
    ):
        siblings.setdefault(group, {})[language] = pk
    out = []
    for article in items:
        data = article_out_fast(article, siblings.get(article.group, {}))
        out.append(data)
    return {"items": out, "count": count, "page": page, "pages": max(1, -(-count // page_size))}


def article_out_fast(article: Article, group: dict[str, int]) -> dict[str, Any]:
    """article_out without a query per row (lists)."""
    return {
        "id": article.pk,
        "title": article.title,
        "body": article.body,
        "body_html": article.body_html,
        "language": article.language,
        "status": article.status,
        "category": article.category_id,
        "tags": article.tags,
        "author": article.author.display_name if article.author else None,
        "version": article.version,
        "view_count": article.view_count,
        "helpful_yes": article.helpful_yes,
        "helpful_no": article.helpful_no,
        "translations": {k: v for k, v in group.items() if v != article.pk},
        "url": f"{settings.BASE_URL}/help/articles/{article.pk}/",
        "created_at": article.created_at,
        "updated_at": article.updated_at,
    }


@router.post("/kb/articles", response={201: ArticleOut, **ERRORS}, summary="Create an article")
def create_article(request: HttpRequest, payload: ArticleCreate) -> Status[dict[str, Any]]:
    user = current_user(request)
    original = access_article(user, payload.translation_of) if payload.translation_of else None
    article = actions.create_article(
        by=user,
        title=payload.title,
        body=payload.body,
        language=payload.language,
        status=payload.status,
        category=payload.category,
        tags=payload.tags,
        translation_of=original,
    )
    return Status(201, article_out(article, viewer=user))


@router.get(
    "/kb/articles/{article_id}",
    response={200: ArticleOut, **ERRORS},
    auth=OPTIONAL_AUTH,
    summary="Get an article",
)
def get_article(request: HttpRequest, article_id: int) -> dict[str, Any]:
    user = viewer(request)
    article = access_article(user, article_id)
    if user is None or not user.is_agent:
        # Readers' views count; the desk's own edits and checks do not.
        actions.record_view(article)
        article.view_count += 1
    return article_out(article, viewer=user)


@router.patch(
    "/kb/articles/{article_id}", response={200: ArticleOut, **ERRORS}, summary="Change an article"
)
def update_article(request: HttpRequest, article_id: int, payload: ArticleUpdate) -> dict[str, Any]:
    user = current_user(request)
    article = access_article(user, article_id)
    sent = payload.model_fields_set
    changes = actions.ArticleChanges(
        title=payload.title,
        body=payload.body,
        status=payload.status,
        language=payload.language,
        category=payload.category,
        clear_category="category" in sent and payload.category is None,
        tags=payload.tags,
        note=payload.note,
    )
    article = actions.update_article(article, changes, by=user)
    return article_out(article, viewer=user)


@router.delete(
    "/kb/articles/{article_id}", response={204: None, **ERRORS}, summary="Delete an article"
)
def delete_article(request: HttpRequest, article_id: int) -> Status[None]:
    user = current_user(request)
    require_agent(user)
    actions.delete_article(access_article(user, article_id), by=user)
    return Status(204, None)


@router.get(
    "/kb/articles/{article_id}/versions",
    response={200: list[VersionOut], **ERRORS},
    summary="Version history",
)
def list_versions(request: HttpRequest, article_id: int) -> list[dict[str, Any]]:
    user = current_user(request)
    require_agent(user)
    article = access_article(user, article_id)
    return [
        {
            "number": v.number,
            "title": v.title,
            "status": v.status,
            "author": v.author.display_name if v.author else None,
            "note": v.note,
            "created_at": v.created_at,
        }
        for v in article.versions.select_related("author").order_by("number")
    ]


@router.get(
    "/kb/articles/{article_id}/versions/{number}/diff",
    response={200: DiffOut, **ERRORS},
    summary="What a version changed",
)
def get_diff(request: HttpRequest, article_id: int, number: int) -> dict[str, Any]:
    user = current_user(request)
    require_agent(user)
    found = version_diff(access_article(user, article_id), number)
    return {"number": found.number, "previous": found.previous, "diff": found.diff}


def voter_key(request: HttpRequest, user: User | None) -> str:
    if user is not None:
        return f"user:{user.pk}"
    if not request.session.session_key:
        request.session.save()
    return f"session:{request.session.session_key}"


@router.post(
    "/kb/articles/{article_id}/vote",
    response={200: ArticleOut, **ERRORS},
    auth=OPTIONAL_AUTH,
    summary="Was this article helpful?",
)
def vote(request: HttpRequest, article_id: int, payload: VoteIn) -> dict[str, Any]:
    user = viewer(request)
    article = access_article(user, article_id)
    article = actions.vote(article, voter=voter_key(request, user), helpful=payload.helpful)
    return article_out(article, viewer=user)


@router.post(
    "/kb/articles/from-ticket/{number}",
    response={201: ArticleOut, **ERRORS},
    summary="Draft an article from a solved ticket's answer",
)
def draft_from_ticket(request: HttpRequest, number: int) -> Status[dict[str, Any]]:
    user = current_user(request)
    require_agent(user)
    article = actions.draft_from_ticket(access_ticket(user, number), by=user)
    return Status(201, article_out(article, viewer=user))


# Categories


@router.get(
    "/kb/categories",
    response={200: list[CategoryOut], **ERRORS},
    auth=OPTIONAL_AUTH,
    summary="Categories",
)
def list_categories(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in Category.objects.order_by("position", "slug").values(
            "id", "slug", "name_en", "name_ru", "parent", "position"
        )
    ]


@router.post("/kb/categories", response={201: CategoryOut, **ERRORS}, summary="Add a category")
def create_category(request: HttpRequest, payload: CategoryIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    category = actions.create_category(
        by=user,
        slug=payload.slug,
        name_en=payload.name_en,
        name_ru=payload.name_ru,
        parent=payload.parent,
        position=payload.position,
    )
    return Status(
        201,
        {
            "id": category.pk,
            "slug": category.slug,
            "name_en": category.name_en,
            "name_ru": category.name_ru,
            "parent": category.parent_id,
            "position": category.position,
        },
    )


@router.post(
    "/kb/deflections",
    response={201: None, **ERRORS},
    auth=OPTIONAL_AUTH,
    summary="Record suggestions shown, or a visitor leaving after reading one",
)
def record_deflection(request: HttpRequest, payload: DeflectionIn) -> Status[None]:
    user = viewer(request)
    article = access_article(user, payload.article) if payload.article else None
    actions.record_deflection(payload.kind, article=article, user=user, query=payload.query)
    return Status(201, None)
