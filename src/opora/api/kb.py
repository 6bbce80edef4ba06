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
from opora.accounts.tokens import TICKETS
from opora.api.common import (
    OPTIONAL_AUTH,
    ErrorOut,
    StrictInput,
    current_user,
    needs_scope,
    viewer,
)
from opora.core.numbers import MAX_ID
from opora.kb import actions
from opora.kb.markdown import render_markdown
from opora.kb.models import Article, Category
from opora.kb.selectors import (
    access_article,
    access_category,
    article_page,
    article_translations,
    article_url,
    article_versions,
    categories,
    require_editor,
    version_diff,
)
from opora.tickets.selectors import access_ticket

router = Router(tags=["knowledge base"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


Lang = Literal["ru", "en"]
StatusName = Literal["draft", "in_review", "published", "internal", "archived"]


class ArticleCreate(StrictInput):
    title: str = Field(max_length=255)
    body: str = Field(description="Markdown")
    language: Lang = "en"
    status: StatusName = "draft"
    category: int | None = None
    tags: list[str] = []
    internal: bool = Field(False, description="for the desk only; live, it is `internal`")
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
    internal: bool | None = None
    note: str = Field("", max_length=255, description="what changed, kept with the version")


class PreviewIn(StrictInput):
    body: str = Field(description="Markdown", max_length=actions.MAX_BODY_CHARS)


class PreviewOut(Schema):
    html: str = Field(description="sanitized HTML, as the help center shows the article")


class ArticleOut(Schema):
    id: int
    title: str
    body: str
    body_html: str
    language: str
    status: str
    internal: bool
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


class CategoryUpdate(StrictInput):
    slug: str | None = Field(None, max_length=80, pattern=r"^[a-z0-9-]+$")
    name_en: str | None = Field(None, max_length=120)
    name_ru: str | None = Field(None, max_length=120)
    parent: int | None = None
    position: int | None = Field(None, ge=0)


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


def article_out(article: Article, translations: dict[str, int]) -> dict[str, Any]:
    """An article as the API shows it; `translations`: {language: id} of its others."""
    return {
        "id": article.pk,
        "title": article.title,
        "body": article.body,
        "body_html": article.body_html,
        "language": article.language,
        "status": article.status,
        "internal": article.internal,
        "category": article.category_id,
        "tags": article.tags,
        "author": article.author.display_name if article.author else None,
        "version": article.version,
        "view_count": article.view_count,
        "helpful_yes": article.helpful_yes,
        "helpful_no": article.helpful_no,
        "translations": translations,
        "url": article_url(article.pk),
        "created_at": article.created_at,
        "updated_at": article.updated_at,
    }


def _article(article: Article, *, viewer: User | None) -> dict[str, Any]:
    return article_out(article, article_translations(article, viewer))


def category_out(category: Category) -> dict[str, Any]:
    return {
        "id": category.pk,
        "slug": category.slug,
        "name_en": category.name_en,
        "name_ru": category.name_ru,
        "parent": category.parent_id,
        "position": category.position,
    }


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
    category: int | None = Query(None, ge=1, le=MAX_ID),
    internal: bool | None = None,
    q: str = Query("", max_length=255, description="words of the title"),
    page: int = Query(1, ge=1, le=1_000_000),
    page_size: int = Query(settings.API_PAGE_SIZE, ge=1, le=settings.API_MAX_PAGE_SIZE),
) -> dict[str, Any]:
    found = article_page(
        viewer(request),
        language=lang,
        status=status,
        category=category,
        internal=internal,
        q=q,
        page=page,
        page_size=page_size,
    )
    return {
        "items": [article_out(a, found.translations[a.pk]) for a in found.articles],
        "count": found.count,
        "page": found.page,
        "pages": found.pages,
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
        internal=payload.internal,
        translation_of=original,
    )
    return Status(201, _article(article, viewer=user))


@router.get(
    "/kb/articles/{article_id}",
    response={200: ArticleOut, **ERRORS},
    auth=OPTIONAL_AUTH,
    summary="Get an article",
)
def get_article(request: HttpRequest, article_id: int) -> dict[str, Any]:
    user = viewer(request)
    article = access_article(user, article_id)
    actions.record_view(article, by=user)
    return _article(article, viewer=user)


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
        internal=payload.internal,
        note=payload.note,
    )
    article = actions.update_article(article, changes, by=user)
    return _article(article, viewer=user)


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
    return [
        {
            "number": v.number,
            "title": v.title,
            "status": v.status,
            "author": v.author.display_name if v.author else None,
            "note": v.note,
            "created_at": v.created_at,
        }
        for v in article_versions(access_article(user, article_id))
    ]


@router.get(
    "/kb/articles/{article_id}/versions/{number}/diff",
    response={200: DiffOut, **ERRORS},
    summary="What a version changed",
)
def get_diff(
    request: HttpRequest,
    article_id: int,
    number: int,
    since: int | None = Query(
        None, ge=1, description="compare with this version instead of the one before"
    ),
) -> dict[str, Any]:
    user = current_user(request)
    require_agent(user)
    found = version_diff(access_article(user, article_id), number, since=since)
    return {"number": found.number, "previous": found.previous, "diff": found.diff}


@router.post(
    "/kb/articles/{article_id}/versions/{number}/restore",
    response={200: ArticleOut, **ERRORS},
    summary="Restore a version (as a new version)",
)
def restore_version(request: HttpRequest, article_id: int, number: int) -> dict[str, Any]:
    user = current_user(request)
    article = actions.restore_version(access_article(user, article_id), number, by=user)
    return _article(article, viewer=user)


def _state_change(request: HttpRequest, article_id: int, change: Any) -> dict[str, Any]:
    user = current_user(request)
    article = change(access_article(user, article_id), by=user)
    return _article(article, viewer=user)


@router.post(
    "/kb/articles/{article_id}/submit-for-review",
    response={200: ArticleOut, **ERRORS},
    summary="Send a draft for review",
)
def submit_for_review(request: HttpRequest, article_id: int) -> dict[str, Any]:
    return _state_change(request, article_id, actions.submit_for_review)


@router.post(
    "/kb/articles/{article_id}/publish",
    response={200: ArticleOut, **ERRORS},
    summary="Publish an article (for the desk only when it is internal)",
)
def publish_article(request: HttpRequest, article_id: int) -> dict[str, Any]:
    return _state_change(request, article_id, actions.publish)


@router.post(
    "/kb/articles/{article_id}/unpublish",
    response={200: ArticleOut, **ERRORS},
    summary="Unpublish an article",
)
def unpublish_article(request: HttpRequest, article_id: int) -> dict[str, Any]:
    return _state_change(request, article_id, actions.unpublish)


@router.post(
    "/kb/articles/{article_id}/translation",
    response={201: ArticleOut, **ERRORS},
    summary="Start the other language's version, prefilled with this one's text",
)
def add_translation(request: HttpRequest, article_id: int) -> Status[dict[str, Any]]:
    user = current_user(request)
    article = actions.add_translation(access_article(user, article_id), by=user)
    return Status(201, _article(article, viewer=user))


@router.post(
    "/kb/preview",
    response={200: PreviewOut, **ERRORS},
    summary="Render article Markdown as the help center will show it",
)
def preview(request: HttpRequest, payload: PreviewIn) -> dict[str, Any]:
    require_editor(current_user(request))
    return {"html": render_markdown(payload.body)}


@router.post(
    "/kb/articles/{article_id}/vote",
    response={200: ArticleOut, **ERRORS},
    auth=OPTIONAL_AUTH,
    summary="Was this article helpful?",
    openapi_extra=needs_scope(TICKETS),
)
def vote(request: HttpRequest, article_id: int, payload: VoteIn) -> dict[str, Any]:
    user = viewer(request)
    article = access_article(user, article_id)
    voter = actions.voter_key(user, request.session)
    article = actions.vote(article, voter=voter, helpful=payload.helpful)
    return _article(article, viewer=user)


@router.post(
    "/kb/articles/from-ticket/{number}",
    response={201: ArticleOut, **ERRORS},
    summary="Draft an article from a solved ticket's answer",
)
def draft_from_ticket(request: HttpRequest, number: int) -> Status[dict[str, Any]]:
    user = current_user(request)
    require_agent(user)
    article = actions.draft_from_ticket(access_ticket(user, number), by=user)
    return Status(201, _article(article, viewer=user))


# Categories


@router.get(
    "/kb/categories",
    response={200: list[CategoryOut], **ERRORS},
    auth=OPTIONAL_AUTH,
    summary="Categories",
)
def list_categories(request: HttpRequest) -> list[dict[str, Any]]:
    return [category_out(c) for c in categories()]


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
    return Status(201, category_out(category))


@router.patch(
    "/kb/categories/{category_id}",
    response={200: CategoryOut, **ERRORS},
    summary="Rename, move or reorder a category",
)
def update_category(
    request: HttpRequest, category_id: int, payload: CategoryUpdate
) -> dict[str, Any]:
    user = current_user(request)
    require_editor(user)
    sent = payload.model_fields_set
    changes = actions.CategoryChanges(
        slug=payload.slug,
        name_en=payload.name_en,
        name_ru=payload.name_ru,
        parent=payload.parent,
        clear_parent="parent" in sent and payload.parent is None,
        position=payload.position,
    )
    return category_out(actions.update_category(access_category(category_id), changes, by=user))


@router.delete(
    "/kb/categories/{category_id}",
    response={204: None, **ERRORS},
    summary="Delete an empty category",
)
def delete_category(request: HttpRequest, category_id: int) -> Status[None]:
    user = current_user(request)
    require_editor(user)
    actions.delete_category(access_category(category_id), by=user)
    return Status(204, None)


# Help-center deflections


@router.post(
    "/kb/deflections",
    response={201: None, **ERRORS},
    auth=OPTIONAL_AUTH,
    summary="Record suggestions shown, or a visitor leaving after reading one",
    openapi_extra=needs_scope(TICKETS),
)
def record_deflection(request: HttpRequest, payload: DeflectionIn) -> Status[None]:
    user = viewer(request)
    article = access_article(user, payload.article) if payload.article else None
    actions.record_deflection(payload.kind, article=article, user=user, query=payload.query)
    return Status(201, None)
