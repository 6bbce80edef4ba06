"""Reads of the knowledge base and `access_article`, the only way to load one for a viewer.

Customers, anonymous visitors and the answer bot see published articles only;
agents also see internal-only articles and drafts.
"""

from __future__ import annotations

import difflib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import Forbidden, NotFound
from opora.kb import errors
from opora.kb.markdown import markdown_to_text
from opora.kb.models import (
    Article,
    ArticleStatus,
    ArticleVersion,
    Category,
    Deflection,
    DeflectionKind,
)
from opora.search import service
from opora.search.service import Hit
from opora.search.text import QueryTerm, query_terms
from opora.tickets.models import Ticket

PUBLIC_STATUSES: tuple[str, ...] = (ArticleStatus.PUBLISHED,)
AGENT_STATUSES: tuple[str, ...] = (
    ArticleStatus.PUBLISHED,
    ArticleStatus.INTERNAL,
    ArticleStatus.DRAFT,
    ArticleStatus.IN_REVIEW,
)


def may_edit_articles(user: User | None) -> bool:
    """Who writes articles and categories: the desk's staff, agents and admins alike."""
    return user is not None and user.is_active and user.is_agent


def may_publish_articles(user: User | None) -> bool:
    """Who publishes and unpublishes: as for writing, every agent. "In review" marks a
    draft as ready for a second look, it does not lock publishing to reviewers."""
    return may_edit_articles(user)


def require_editor(user: User | None) -> None:
    if not may_edit_articles(user):
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may edit the knowledge base."))


def require_publisher(user: User | None) -> None:
    if not may_publish_articles(user):
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may edit the knowledge base."))


def statuses_for(user: User | None) -> tuple[str, ...]:
    if user is not None and user.is_active and user.is_agent:
        return AGENT_STATUSES
    return PUBLIC_STATUSES


def visible_articles(user: User | None) -> QuerySet[Article]:
    return Article.objects.filter(status__in=statuses_for(user))


def editable_articles(user: User | None) -> QuerySet[Article]:
    """What the viewer may open by id: editors every article, unpublished ones too."""
    return Article.objects.all() if may_edit_articles(user) else visible_articles(user)


def access_article(user: User | None, article_id: int) -> Article:
    article = (
        editable_articles(user).select_related("category", "author").filter(pk=article_id).first()
    )
    if article is None:
        raise NotFound(_("article"))
    return article


# A past query counts for this one when they share this much of their words (Jaccard).
SIMILAR_QUERY = 0.5
# The newest deflections read per search: the recent past says what customers need.
DEFLECTIONS_READ = 500


def feedback_boost(query: list[QueryTerm], article_ids: list[int]) -> dict[int, float]:
    """What customers found helpful, 0..1 per candidate article: "yes" votes beyond the
    "no" ones, articles opened from a suggestion for a similar question after which
    the customer did not need to write (a deflection), and, at half the weight,
    articles customers opened from the results of a similar search. Both saturate, and ranking
    scales the result down, so a popular article is lifted, never put above an exact
    match. Two queries, whatever the number of candidates."""
    boosts: dict[int, float] = {}
    for pk, yes, no in Article.objects.filter(pk__in=article_ids).values_list(
        "pk", "helpful_yes", "helpful_no"
    ):
        if yes > no:
            boosts[pk] = 0.5 * (yes - no) / (yes - no + 5)
    own = {f for qt in query for f in qt.own}
    similar: dict[int, float] = {}
    past = (
        Deflection.objects.filter(
            kind__in=[DeflectionKind.DEFLECTED, DeflectionKind.OPENED], article_id__in=article_ids
        )
        .exclude(query="")
        .order_by("-id")
        .values_list("article_id", "query", "kind")[:DEFLECTIONS_READ]
    )
    for article_id, text, kind in past:
        theirs = {f for qt in query_terms(text, lemmas=True) for f in qt.own}
        if own and theirs and article_id is not None:
            overlap = len(own & theirs) / len(own | theirs)
            if overlap >= SIMILAR_QUERY:
                # Opening an article from the results says less than not needing to
                # write after reading it: half the weight.
                weight = overlap if kind == DeflectionKind.DEFLECTED else overlap / 2
                similar[article_id] = similar.get(article_id, 0.0) + weight
    for pk, weight in similar.items():
        boosts[pk] = boosts.get(pk, 0.0) + 0.5 * weight / (weight + 2)
    return {pk: min(1.0, value) for pk, value in boosts.items()}


def search_articles(
    user: User | None, q: str, *, language: str | None = None, limit: int = 10
) -> list[Hit]:
    """Ranked articles for this viewer; customers never get internal or draft ones."""
    return service.search_articles(
        q, statuses=statuses_for(user), language=language, limit=limit, boost=feedback_boost
    )


def bot_search(q: str, *, language: str | None = None, limit: int = 3) -> list[Hit]:
    """What the answer bot may offer: published articles only, like an anonymous visitor."""
    return service.search_articles(
        q, statuses=PUBLIC_STATUSES, language=language, limit=limit, boost=feedback_boost
    )


def article_path(article_id: int) -> str:
    return f"/help/articles/{article_id}/"


def article_url(article_id: int) -> str:
    """The help-center address of an article, as customers open it."""
    return f"{settings.BASE_URL}{article_path(article_id)}"


# What the agent's sidebar offers: no drafts, whose links would not open for customers.
RELATED_STATUSES: tuple[str, ...] = (ArticleStatus.PUBLISHED, ArticleStatus.INTERNAL)
RELATED_LIMIT = 5


@dataclass(frozen=True)
class RelatedArticle:
    id: int
    title: str
    snippet: str
    url: str
    path: str
    body: str
    text: str
    status: str

    @property
    def internal(self) -> bool:
        return self.status != ArticleStatus.PUBLISHED


def related_articles(
    user: User, ticket: Ticket, *, q: str = "", limit: int = RELATED_LIMIT
) -> list[RelatedArticle]:
    """Articles for a ticket's side panel: matching its question, or the agent's own words.

    Precondition: the ticket was loaded with `access_ticket` for this agent. Three
    queries at most (first message, search, articles), whatever the thread's length.
    """
    statuses = RELATED_STATUSES if user.is_agent else PUBLIC_STATUSES
    q = q.strip()[:500]
    if q:
        # The agent may look in either language, whatever the ticket's.
        hits = service.search_articles(q, statuses=statuses, limit=limit, boost=feedback_boost)
    else:
        first = ticket.messages.order_by("created_at", "id").first()
        question = f"{ticket.subject}\n{first.body[:2000] if first else ''}"
        hits = service.search_articles(
            question, statuses=statuses, language=ticket.language, limit=limit, boost=feedback_boost
        )
    articles = {
        a.pk: a
        for a in Article.objects.filter(status__in=statuses, pk__in=[h.object_id for h in hits])
    }
    return [
        RelatedArticle(
            id=hit.object_id,
            title=hit.title,
            snippet=hit.snippet,
            url=article_url(hit.object_id),
            path=article_path(hit.object_id),
            body=articles[hit.object_id].body,
            text=markdown_to_text(articles[hit.object_id].body),
            status=articles[hit.object_id].status,
        )
        for hit in hits
        if hit.object_id in articles
    ]


def translations(article: Article, user: User | None) -> QuerySet[Article]:
    return visible_articles(user).filter(group=article.group).exclude(pk=article.pk)


def article_translations(article: Article, user: User | None) -> dict[str, int]:
    """The ids of the article's translations this viewer may see, by language."""
    return dict(translations(article, user).values_list("language", "id"))


def translation_columns(article: Article) -> dict[str, Article | None]:
    """The article and its other language side by side, {"en": …, "ru": …}.

    Precondition: an editor loaded the article with `access_article`."""
    found = {
        a.language: a
        for a in Article.objects.filter(group=article.group).select_related("category", "author")
    }
    return {lang: found.get(lang) for lang in ("en", "ru")}


@dataclass(frozen=True)
class ArticlePage:
    articles: list[Article]
    # Article id -> {language: id} of its translations the viewer may see.
    translations: dict[int, dict[str, int]]
    count: int
    page: int
    pages: int


def article_page(
    user: User | None,
    *,
    language: str | None = None,
    status: str | None = None,
    category: int | None = None,
    internal: bool | None = None,
    q: str = "",
    page: int = 1,
    page_size: int,
) -> ArticlePage:
    """One page of the viewer's articles, newest change first.

    Editors asking for a status get it whatever it is (unpublished ones too); `q`
    looks in titles. Three queries whatever the page size: the count, the page, and
    its translations.
    """
    articles = (editable_articles(user) if status else visible_articles(user)).select_related(
        "author", "category"
    )
    if language:
        articles = articles.filter(language=language)
    if status:
        articles = articles.filter(status=status)
    if category is not None:
        articles = articles.filter(category_id=category)
    if internal is not None:
        articles = articles.filter(internal=internal)
    if q.strip():
        articles = articles.filter(title__icontains=q.strip()[:255])
    count = articles.count()
    start = (page - 1) * page_size
    items = list(articles.order_by("-updated_at", "-id")[start : start + page_size])
    groups: dict[uuid.UUID, dict[str, int]] = {}
    for group, lang, pk in (
        editable_articles(user)
        .filter(group__in={a.group for a in items})
        .values_list("group", "language", "id")
    ):
        groups.setdefault(group, {})[lang] = pk
    return ArticlePage(
        articles=items,
        translations={
            a.pk: {lang: pk for lang, pk in groups.get(a.group, {}).items() if pk != a.pk}
            for a in items
        },
        count=count,
        page=page,
        pages=max(1, -(-count // page_size)),
    )


def article_versions(article: Article) -> list[ArticleVersion]:
    """The article's versions, oldest first. Precondition: an agent loaded the article."""
    return list(article.versions.select_related("author").order_by("number"))


def categories() -> list[Category]:
    """Every category, in the help center's order; they are public, like its sections."""
    return list(Category.objects.order_by("position", "slug"))


def access_category(category_id: int) -> Category:
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise NotFound(_("category"))
    return category


@dataclass(frozen=True)
class CategoryNode:
    category: Category
    depth: int
    articles: int
    first: bool
    last: bool


def category_tree() -> list[CategoryNode]:
    """Every category under its parent, siblings in their order, with article counts.

    Two queries whatever the number of categories."""
    every = categories()
    counts = dict(
        Article.objects.filter(category__isnull=False)
        .values_list("category")
        .annotate(n=Count("id"))
        .values_list("category", "n")
    )
    children: dict[int | None, list[Category]] = {}
    for category in every:
        children.setdefault(category.parent_id, []).append(category)
    nodes: list[CategoryNode] = []

    def walk(parent: int | None, depth: int) -> None:
        kids = children.get(parent, [])
        for i, category in enumerate(kids):
            count = counts.get(category.pk, 0)
            nodes.append(CategoryNode(category, depth, count, i == 0, i == len(kids) - 1))
            walk(category.pk, depth + 1)

    walk(None, 0)
    return nodes


@dataclass(frozen=True)
class VersionDiff:
    number: int
    previous: int | None
    diff: str


def version_diff(article: Article, number: int, *, since: int | None = None) -> VersionDiff:
    """Unified diff (title and text) of version `number` against the one before it, or
    against version `since` when given: "what changed from v`since` to v`number`"."""
    versions = {v.number: v for v in ArticleVersion.objects.filter(article=article)}
    current = versions.get(number)
    if current is None:
        raise NotFound(_("article version"))
    base = number - 1 if since is None else since
    before = versions.get(base)
    if since is not None and before is None:
        raise NotFound(_("article version"))
    old = f"# {before.title}\n\n{before.body}" if before else ""
    new = f"# {current.title}\n\n{current.body}"
    lines = difflib.unified_diff(
        old.splitlines(),
        new.splitlines(),
        fromfile=f"v{base}" if before else "empty",
        tofile=f"v{number}",
        lineterm="",
    )
    return VersionDiff(
        number=number, previous=before.number if before else None, diff="\n".join(lines)
    )
