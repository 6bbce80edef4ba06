"""Every write to the knowledge base: articles with their versions and index, votes, views."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts.models import Language, User
from opora.core import audit, clock
from opora.core.errors import NotFound, ValidationFailed
from opora.inbox.email.quotes import strip_quotes
from opora.kb import errors
from opora.kb.markdown import render_markdown
from opora.kb.models import (
    LIVE_STATUSES,
    Article,
    ArticleStatus,
    ArticleVersion,
    ArticleVote,
    Category,
    Deflection,
    DeflectionKind,
)
from opora.kb.selectors import require_editor, require_publisher
from opora.search import service
from opora.search.models import Scope
from opora.search.text import markdown_headings, plain_markdown
from opora.tickets.models import Message, Ticket, TicketStatus

MAX_BODY_CHARS = 200_000
_SLUG = re.compile(r"[a-z0-9-]+")


# Who may write articles and categories, and who may publish: kb.selectors.
_require_agent = require_editor
_require_publisher = require_publisher


def _live_status(internal: bool) -> str:
    return ArticleStatus.INTERNAL if internal else ArticleStatus.PUBLISHED


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
        headings=markdown_headings(article.body),
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
    internal: bool = False,
) -> Article:
    """A new article (version 1), indexed for search at once.

    `internal` keeps it for the desk; a live status follows it (INTERNAL, PUBLISHED),
    and asking for the INTERNAL status makes the article internal.
    """
    _require_agent(by)
    language = _choice(language, Language.values, "language")
    status = _choice(status, ArticleStatus.values, "status")
    if status in LIVE_STATUSES:
        _require_publisher(by)
        internal = internal or status == ArticleStatus.INTERNAL
        status = _live_status(internal)
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
        internal=internal,
        category=_category(category),
        tags=_tags(tags),
        author=by,
        source_ticket=source_ticket,
        created_at=now,
        updated_at=now,
        published_at=now if status in LIVE_STATUSES else None,
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
    internal: bool | None = None
    note: str = ""


@transaction.atomic
def update_article(article: Article, changes: ArticleChanges, *, by: User) -> Article:
    """Apply changes; a change of title, text or status saves a new version."""
    _require_agent(by)
    article = Article.objects.select_for_update().get(pk=article.pk)
    old_status = article.status
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
    if changes.internal is not None:
        article.internal = changes.internal
    if changes.status is not None:
        status = _choice(changes.status, ArticleStatus.values, "status")
        if status == ArticleStatus.INTERNAL:
            article.internal = True
        elif status == ArticleStatus.PUBLISHED and changes.internal is None:
            article.internal = False
        if status in LIVE_STATUSES and article.status not in LIVE_STATUSES:
            _require_publisher(by)
        if status not in LIVE_STATUSES and article.status in LIVE_STATUSES:
            _require_publisher(by)
        article.status = status
    if article.status in LIVE_STATUSES:
        article.status = _live_status(article.internal)
        if article.published_at is None:
            article.published_at = timezone.now()
    if article.status != old_status:
        versioned = True
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
    audit.record_change(actor=by, area="kb", action="deleted", target=article, label=article.title)
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


# Search clicks a visitor's session may record: one per article, this many at most.
MAX_CLICKS_PER_SESSION = 50
CLICKS_KEY = "kb_search_clicks"


def record_search_click(
    article: Article, query: str, *, by: User | None, session: SessionBase
) -> bool:
    """A customer opened this article from the results of `query`: what search learns
    from (`selectors.feedback_boost`). Once per article and session, a bounded number
    per session, never for the desk's own people; returns whether it was recorded."""
    query = " ".join(query.split())[:255]
    if not query or (by is not None and by.is_agent):
        return False
    clicked: list[int] = list(session.get(CLICKS_KEY, []))
    if article.pk in clicked or len(clicked) >= MAX_CLICKS_PER_SESSION:
        return False
    Deflection.objects.create(
        kind=DeflectionKind.OPENED,
        article=article,
        user=by,
        query=query,
        created_at=clock.now(),
    )
    session[CLICKS_KEY] = [*clicked, article.pk]
    return True


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


def solving_answer(ticket: Ticket) -> Message | None:
    """The agent's answer that solved the ticket: its last public reply by a person of
    the desk (not the answer bot, not a note), before the ticket was solved."""
    replies = Message.objects.filter(
        ticket=ticket,
        internal=False,
        author__role__in=("agent", "admin"),
        author__is_active=True,
    )
    if ticket.solved_at is not None:
        replies = replies.filter(created_at__lte=ticket.solved_at)
    return replies.order_by("-created_at", "-id").first()


@transaction.atomic
def draft_from_ticket(ticket: Ticket, *, by: User) -> Article:
    """Turn a solved ticket's answer into a draft article for editing.

    The body is the agent's answer alone, without quoted history or signature: the
    customer's own message is the question, not the article.
    """
    _require_agent(by)
    if ticket.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        raise ValidationFailed(
            errors.NOT_SOLVED, _("Only a solved ticket can become an article."), field="ticket"
        )
    answer = solving_answer(ticket)
    if answer is None:
        raise ValidationFailed(
            errors.NO_ANSWER, _("This ticket has no answer from an agent."), field="ticket"
        )
    return create_article(
        by=by,
        title=ticket.subject,
        body=strip_quotes(answer.body),
        language=ticket.language,
        status=ArticleStatus.DRAFT,
        source_ticket=ticket,
    )


def _move(article: Article, status: str, *, by: User, note: str) -> Article:
    audit.record_change(
        actor=by,
        area="kb",
        action="changed",
        target=article,
        label=article.title,
        changes={"status": [article.status, status]},
    )
    article.status = status
    article.version += 1
    article.updated_at = timezone.now()
    if status in LIVE_STATUSES and article.published_at is None:
        article.published_at = article.updated_at
    article.save()
    _snapshot(article, by=by, note=note)
    _index(article)
    return article


def _refuse_move(message: str) -> ValidationFailed:
    return ValidationFailed(errors.BAD_TRANSITION, message, field="status")


@transaction.atomic
def submit_for_review(article: Article, *, by: User) -> Article:
    """A draft (or an unpublished article) is ready for someone to check and publish."""
    _require_agent(by)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status not in (ArticleStatus.DRAFT, ArticleStatus.ARCHIVED):
        raise _refuse_move(_("Only a draft or an unpublished article can be sent for review."))
    return _move(article, ArticleStatus.IN_REVIEW, by=by, note="submitted for review")


@transaction.atomic
def publish(article: Article, *, by: User) -> Article:
    """Make the article live: for customers, or for the desk when it is internal."""
    _require_publisher(by)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status in LIVE_STATUSES:
        raise _refuse_move(_("This article is already published."))
    return _move(article, _live_status(article.internal), by=by, note="published")


@transaction.atomic
def unpublish(article: Article, *, by: User) -> Article:
    """Take a live article down; it stays, with its history, and may be published again."""
    _require_publisher(by)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status not in LIVE_STATUSES:
        raise _refuse_move(_("This article is not published."))
    return _move(article, ArticleStatus.ARCHIVED, by=by, note="unpublished")


@transaction.atomic
def restore_version(article: Article, number: int, *, by: User) -> Article:
    """Bring back an earlier version's title and text as a new version; history stays."""
    _require_agent(by)
    article = Article.objects.select_for_update().get(pk=article.pk)
    old = ArticleVersion.objects.filter(article=article, number=number).first()
    if old is None:
        raise NotFound(_("article version"))
    if (old.title, old.body) == (article.title, article.body):
        raise ValidationFailed(
            errors.SAME_AS_CURRENT, _("This version is the same as the current text.")
        )
    return update_article(
        article,
        ArticleChanges(title=old.title, body=old.body, note=f"restored v{number}"),
        by=by,
    )


@transaction.atomic
def add_translation(article: Article, *, by: User) -> Article:
    """The article's other language as a draft, prefilled with this one's text to translate."""
    other = Language.RU if article.language == Language.EN else Language.EN
    return create_article(
        by=by,
        title=article.title,
        body=article.body,
        language=other,
        status=ArticleStatus.DRAFT,
        category=article.category_id,
        tags=article.tags,
        internal=article.internal,
        translation_of=article,
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


CATEGORY_FIELDS = ("slug", "name_en", "name_ru", "parent", "position")


def _slug(value: str) -> str:
    slug = value.strip().lower()
    if not slug:
        raise ValidationFailed(errors.REQUIRED, _("A slug is required."), field="slug")
    if len(slug) > 80 or not _SLUG.fullmatch(slug):
        raise ValidationFailed(
            errors.INVALID_CHOICE,
            _("A slug is made of Latin letters, digits and hyphens."),
            field="slug",
        )
    return slug


def _name(value: str, field: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise ValidationFailed(errors.REQUIRED, _("A name is required."), field=field)
    if len(text) > 120:
        raise ValidationFailed(errors.TOO_LONG, _("The name is too long."), field=field)
    return text


def _slug_free(slug: str, *, other_than: int | None = None) -> None:
    taken = Category.objects.filter(slug=slug)
    if other_than is not None:
        taken = taken.exclude(pk=other_than)
    if taken.exists():
        raise ValidationFailed(
            errors.INVALID_CHOICE, _("A category with this slug exists."), field="slug"
        )


@transaction.atomic
def create_category(
    *, by: User, slug: str, name_en: str, name_ru: str, parent: int | None, position: int = 0
) -> Category:
    _require_agent(by)
    slug = _slug(slug)
    _slug_free(slug)
    category = Category.objects.create(
        slug=slug,
        name_en=_name(name_en, "name_en"),
        name_ru=_name(name_ru, "name_ru"),
        parent=_category(parent),
        position=max(0, position),
    )
    audit.record_change(
        actor=by,
        area="kb",
        action="created",
        target=category,
        changes=audit.snapshot(category, CATEGORY_FIELDS),
    )
    return category


@dataclass
class CategoryChanges:
    """Fields to change; None means "leave as is"."""

    slug: str | None = None
    name_en: str | None = None
    name_ru: str | None = None
    parent: int | None = None
    clear_parent: bool = False
    position: int | None = None


def _parent(category: Category, parent_id: int) -> Category:
    """A new parent that is neither the category itself nor one of its descendants."""
    parent = _category(parent_id)
    assert parent is not None
    step: Category | None = parent
    while step is not None:
        if step.pk == category.pk:
            raise ValidationFailed(
                errors.BAD_PARENT, _("A category cannot be inside itself."), field="parent"
            )
        step = step.parent
    return parent


@transaction.atomic
def update_category(category: Category, changes: CategoryChanges, *, by: User) -> Category:
    """Rename, move under another parent, or reorder a category."""
    _require_agent(by)
    category = Category.objects.select_for_update().get(pk=category.pk)
    before = audit.snapshot(category, CATEGORY_FIELDS)
    if changes.slug is not None:
        slug = _slug(changes.slug)
        _slug_free(slug, other_than=category.pk)
        category.slug = slug
    if changes.name_en is not None:
        category.name_en = _name(changes.name_en, "name_en")
    if changes.name_ru is not None:
        category.name_ru = _name(changes.name_ru, "name_ru")
    if changes.clear_parent:
        category.parent = None
    elif changes.parent is not None:
        category.parent = _parent(category, changes.parent)
    if changes.position is not None:
        category.position = max(0, changes.position)
    category.save()
    audit.record_change(
        actor=by,
        area="kb",
        action="changed",
        target=category,
        changes=audit.diff(before, audit.snapshot(category, CATEGORY_FIELDS)),
    )
    return category


@transaction.atomic
def move_category(category: Category, *, up: bool, by: User) -> Category:
    """Swap a category with its neighbour among its siblings; positions become 0, 1, 2…"""
    _require_agent(by)
    siblings = list(
        Category.objects.select_for_update()
        .filter(parent_id=category.parent_id)
        .order_by("position", "slug")
    )
    index = next(i for i, c in enumerate(siblings) if c.pk == category.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position"])
    return next(c for c in siblings if c.pk == category.pk)


@transaction.atomic
def delete_category(category: Category, *, by: User) -> None:
    """Only an empty category goes: its articles and subcategories would lose their place."""
    _require_agent(by)
    category = Category.objects.select_for_update().get(pk=category.pk)
    if category.articles.exists() or category.children.exists():
        raise ValidationFailed(
            errors.CATEGORY_NOT_EMPTY,
            _("The category still has articles or subcategories: move or delete them first."),
        )
    audit.record_change(actor=by, area="kb", action="deleted", target=category)
    category.delete()


def withdraw_deflection(*, user: User, article_id: int) -> int:
    """The visitor sent their request after reading a suggestion: it did not deflect it."""
    since = timezone.now() - timedelta(hours=2)
    deleted, _ = Deflection.objects.filter(
        kind=DeflectionKind.DEFLECTED, user=user, article_id=article_id, created_at__gte=since
    ).delete()
    return deleted
