"""Every write to the knowledge base: articles with their versions and index, votes, views."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts.models import Language, User
from opora.core.errors import Forbidden, ValidationFailed
from opora.kb import errors
from opora.kb.markdown import render_markdown
from opora.kb.models import (
    Article,
    ArticleStatus,
    ArticleVersion,
    ArticleVote,
    Category,
    Deflection,
    DeflectionKind,
)
from opora.search import service
from opora.search.models import Scope
from opora.search.text import plain_markdown
from opora.tickets.models import Message, Ticket, TicketStatus

MAX_BODY_CHARS = 200_000


def _require_agent(by: User) -> None:
    if not by.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may edit the knowledge base."))


def _title(value: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise ValidationFailed(errors.REQUIRED, _("A title is required."), field="title")
    if len(text) > 255:
        raise ValidationFailed(errors.TOO_LONG, _("The title is too long."), field="title")
    return text


def _body(value: str) -> str:
    text = value.replace("\r\n", "\n").strip()
    if not text:
        raise ValidationFailed(errors.REQUIRED, _("The article text is required."), field="body")
    if len(text) > MAX_BODY_CHARS:
        raise ValidationFailed(errors.TOO_LONG, _("The article text is too long."), field="body")
    return text


def _choice(value: str, choices: Sequence[str], field: str) -> str:
    if value not in choices:
        raise ValidationFailed(
            errors.INVALID_CHOICE, _("Unknown value “%(v)s”.") % {"v": value}, field=field
        )
    return value


def _category(category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise ValidationFailed(errors.UNKNOWN_CATEGORY, _("No such category."), field="category")
    return category


def _tags(tags: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in tags:
        tag = "-".join(str(raw).strip().lower().split())[:64]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    return cleaned[:30]


def _index(article: Article) -> None:
    service.index_article(
        article.pk,
        title=article.title,
        body=plain_markdown(article.body),
        language=article.language,
        status=article.status,
    )


def _snapshot(article: Article, *, by: User | None, note: str = "") -> ArticleVersion:
    return ArticleVersion.objects.create(
        article=article,
        number=article.version,
        title=article.title,
        body=article.body,
        status=article.status,
        author=by,
        note=note[:255],
    )


@transaction.atomic
def create_article(
    *,
    by: User,
    title: str,
    body: str,
    language: str = Language.EN,
    status: str = ArticleStatus.DRAFT,
    category: int | None = None,
    tags: Sequence[str] = (),
    translation_of: Article | None = None,
    source_ticket: Ticket | None = None,
) -> Article:
    """A new article (version 1), indexed for search at once."""
    _require_agent(by)
    language = _choice(language, Language.values, "language")
    status = _choice(status, ArticleStatus.values, "status")
    if (
        translation_of is not None
        and Article.objects.filter(group=translation_of.group, language=language).exists()
    ):
        raise ValidationFailed(
            errors.TRANSLATION_EXISTS,
            _("This article already has a version in that language."),
            field="language",
        )
    now = timezone.now()
    body = _body(body)
    article = Article(
        language=language,
        title=_title(title),
        body=body,
        body_html=render_markdown(body),
        status=status,
        category=_category(category),
        tags=_tags(tags),
        author=by,
        source_ticket=source_ticket,
        created_at=now,
        updated_at=now,
        published_at=now if status == ArticleStatus.PUBLISHED else None,
    )
    if translation_of is not None:
        article.group = translation_of.group
    article.save()
    _snapshot(article, by=by, note="created")
    _index(article)
    return article


@dataclass
class ArticleChanges:
    """Fields to change; None means "leave as is"."""

    title: str | None = None
    body: str | None = None
    status: str | None = None
    language: str | None = None
    category: int | None = None
    clear_category: bool = False
    tags: list[str] | None = None
    note: str = ""


@transaction.atomic
def update_article(article: Article, changes: ArticleChanges, *, by: User) -> Article:
    """Apply changes; a change of title, text or status saves a new version."""
    _require_agent(by)
    article = Article.objects.select_for_update().get(pk=article.pk)
    versioned = False
    if changes.title is not None:
        title = _title(changes.title)
        versioned |= title != article.title
        article.title = title
    if changes.body is not None:
        body = _body(changes.body)
        if body != article.body:
            versioned = True
            article.body = body
            article.body_html = render_markdown(body)
    if changes.status is not None:
        status = _choice(changes.status, ArticleStatus.values, "status")
        if status != article.status:
            versioned = True
            article.status = status
            if status == ArticleStatus.PUBLISHED and article.published_at is None:
                article.published_at = timezone.now()
    if changes.language is not None and changes.language != article.language:
        language = _choice(changes.language, Language.values, "language")
        if (
            Article.objects.filter(group=article.group, language=language)
            .exclude(pk=article.pk)
            .exists()
        ):
            raise ValidationFailed(
                errors.TRANSLATION_EXISTS,
                _("This article already has a version in that language."),
                field="language",
            )
        article.language = language
    if changes.clear_category:
        article.category = None
    elif changes.category is not None:
        article.category = _category(changes.category)
    if changes.tags is not None:
        article.tags = _tags(changes.tags)
    if versioned:
        article.version += 1
        _snapshot(article, by=by, note=changes.note)
    article.updated_at = timezone.now()
    article.save()
    _index(article)
    return article


@transaction.atomic
def delete_article(article: Article, *, by: User) -> None:
    _require_agent(by)
    service.remove(Scope.ARTICLE, [article.pk])
    article.delete()


def record_view(article: Article, *, by: User | None) -> None:
    """Count a reader's view of the article (also on the instance, to show it).

    The desk's own reads do not count: agents open articles to edit and check them.
    An UPDATE with F(), so concurrent readers never lose a count.
    """
    if by is not None and by.is_agent:
        return
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)
    article.view_count += 1


def voter_key(user: User | None, session: SessionBase) -> str:
    """Who casts a vote: the signed-in user, else the visitor's session.

    The session is started if it has none, so an anonymous visitor's second vote
    replaces the first instead of counting twice.
    """
    if user is not None:
        return f"user:{user.pk}"
    if not session.session_key:
        session.save()
    return f"session:{session.session_key}"


@transaction.atomic
def vote(article: Article, *, voter: str, helpful: bool) -> Article:
    """Record "was this helpful?"; a visitor's second vote replaces the first."""
    article = Article.objects.select_for_update().get(pk=article.pk)
    previous = ArticleVote.objects.filter(article=article, voter=voter).first()
    if previous is not None:
        if previous.helpful == helpful:
            return article
        if previous.helpful:
            article.helpful_yes -= 1
        else:
            article.helpful_no -= 1
        previous.helpful = helpful
        previous.save(update_fields=["helpful"])
    else:
        ArticleVote.objects.create(article=article, voter=voter, helpful=helpful)
    if helpful:
        article.helpful_yes += 1
    else:
        article.helpful_no += 1
    article.save(update_fields=["helpful_yes", "helpful_no"])
    return article


@transaction.atomic
def draft_from_ticket(ticket: Ticket, *, by: User) -> Article:
    """Turn a solved ticket's last public answer into a draft article for editing."""
    _require_agent(by)
    if ticket.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        raise ValidationFailed(
            errors.NOT_SOLVED, _("Only a solved ticket can become an article."), field="ticket"
        )
    answer = (
        Message.objects.filter(ticket=ticket, internal=False, author__role__in=("agent", "admin"))
        .order_by("-created_at", "-id")
        .first()
    )
    if answer is None:
        raise ValidationFailed(
            errors.NO_ANSWER, _("This ticket has no answer from an agent."), field="ticket"
        )
    question = ticket.messages.order_by("created_at", "id").first()
    body = f"{answer.body}"
    if question is not None and question.pk != answer.pk:
        body = f"> {question.body.strip()[:500]}\n\n{answer.body}"
    return create_article(
        by=by,
        title=ticket.subject,
        body=body,
        language=ticket.language,
        status=ArticleStatus.DRAFT,
        source_ticket=ticket,
    )


def record_deflection(
    kind: str, *, article: Article | None, user: User | None, query: str = ""
) -> Deflection:
    kind = _choice(kind, DeflectionKind.values, "kind")
    return Deflection.objects.create(
        kind=kind,
        article=article,
        user=user if user and user.is_authenticated else None,
        query=query[:255],
    )


@transaction.atomic
def create_category(
    *, by: User, slug: str, name_en: str, name_ru: str, parent: int | None, position: int = 0
) -> Category:
    _require_agent(by)
    if Category.objects.filter(slug=slug).exists():
        raise ValidationFailed(
            errors.INVALID_CHOICE, _("A category with this slug exists."), field="slug"
        )
    return Category.objects.create(
        slug=slug,
        name_en=_title(name_en),
        name_ru=_title(name_ru),
        parent=_category(parent),
        position=position,
    )


def withdraw_deflection(*, user: User, article_id: int) -> int:
    """The visitor sent their request after reading a suggestion: it did not deflect it."""
    since = timezone.now() - timedelta(hours=2)
    deleted, _ = Deflection.objects.filter(
        kind=DeflectionKind.DEFLECTED, user=user, article_id=article_id, created_at__gte=since
    ).delete()
    return deleted
