"""Reads of the knowledge base and `access_article`, the only way to load one for a viewer.

Customers, anonymous visitors and the answer bot see published articles only;
agents also see internal-only articles and drafts.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.db.models import QuerySet

from opora.accounts.models import User
from opora.core.errors import NotFound
from opora.kb.models import Article, ArticleStatus, ArticleVersion
from opora.search import service
from opora.search.service import Hit

PUBLIC_STATUSES: tuple[str, ...] = (ArticleStatus.PUBLISHED,)
AGENT_STATUSES: tuple[str, ...] = (
    ArticleStatus.PUBLISHED,
    ArticleStatus.INTERNAL,
    ArticleStatus.DRAFT,
)


def statuses_for(user: User | None) -> tuple[str, ...]:
    if user is not None and user.is_active and user.is_agent:
        return AGENT_STATUSES
    return PUBLIC_STATUSES


def visible_articles(user: User | None) -> QuerySet[Article]:
    return Article.objects.filter(status__in=statuses_for(user))


def access_article(user: User | None, article_id: int) -> Article:
    article = (
        visible_articles(user).select_related("category", "author").filter(pk=article_id).first()
    )
    if article is None:
        raise NotFound("article")
    return article


def search_articles(
    user: User | None, q: str, *, language: str | None = None, limit: int = 10
) -> list[Hit]:
    """Ranked articles for this viewer; customers never get internal or draft ones."""
    return service.search_articles(q, statuses=statuses_for(user), language=language, limit=limit)


def bot_search(q: str, *, language: str | None = None, limit: int = 3) -> list[Hit]:
    """What the answer bot may offer: published articles only, like an anonymous visitor."""
    return service.search_articles(q, statuses=PUBLIC_STATUSES, language=language, limit=limit)


def translations(article: Article, user: User | None) -> QuerySet[Article]:
    return visible_articles(user).filter(group=article.group).exclude(pk=article.pk)


@dataclass(frozen=True)
class VersionDiff:
    number: int
    previous: int | None
    diff: str


def version_diff(article: Article, number: int) -> VersionDiff:
    """Unified diff of version `number` against the one before it (title and text)."""
    versions = {v.number: v for v in ArticleVersion.objects.filter(article=article)}
    current = versions.get(number)
    if current is None:
        raise NotFound("version")
    before = versions.get(number - 1)
    old = f"# {before.title}\n\n{before.body}" if before else ""
    new = f"# {current.title}\n\n{current.body}"
    lines = difflib.unified_diff(
        old.splitlines(),
        new.splitlines(),
        fromfile=f"v{number - 1}" if before else "empty",
        tofile=f"v{number}",
        lineterm="",
    )
    return VersionDiff(
        number=number, previous=before.number if before else None, diff="\n".join(lines)
    )
