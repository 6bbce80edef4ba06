"""Knowledge base: categories, articles in Russian and English, versions, votes, deflections."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Language


class ArticleStatus(models.TextChoices):
    """Where an article is in its life: draft → in review → live → unpublished.

    A live article is PUBLISHED (customers read it) or INTERNAL (the desk only); which
    of the two follows the article's `internal` flag.
    """

    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    INTERNAL = "internal", _("Internal only")
    ARCHIVED = "archived", _("Unpublished")


LIVE_STATUSES: tuple[str, ...] = (ArticleStatus.PUBLISHED, ArticleStatus.INTERNAL)


class Category(models.Model):
    """A category of articles; one without a parent is a section of the help center."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    slug = models.SlugField(max_length=80, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name_en

    def name(self, language: str) -> str:
        return self.name_ru if language == Language.RU else self.name_en


class Article(models.Model):
    # Translations of one article share a group id: the help center switches between them.
    group = models.UUIDField(default=uuid.uuid4, db_index=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.EN
    )
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("text (Markdown)"))
    body_html = models.TextField(blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    # For the desk only: once live, the article is INTERNAL rather than PUBLISHED.
    internal = models.BooleanField(_("internal (agents only)"), default=False)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    tags = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kb_articles",
    )
    # The solved ticket whose answer became this article, if any.
    source_ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    view_count = models.PositiveIntegerField(default=0)
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["status", "language", "category"], name="kb_article_browse"),
            models.Index(fields=["-updated_at", "-id"], name="kb_article_updated"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["group", "language"], name="kb_one_per_language")
        ]

    def __str__(self) -> str:
        return self.title


class ArticleVersion(models.Model):
    """A saved state of an article; every change adds one, none is edited."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=255)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=ArticleStatus.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["article", "number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="kb_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleVote(models.Model):
    """One "was this helpful?" answer per visitor (a user, or an anonymous session)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    voter = models.CharField(max_length=80)  # "user:<id>" or "session:<key>"
    helpful = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "voter"], name="kb_one_vote_per_voter")
        ]

    def __str__(self) -> str:
        return f"{self.voter}: {self.helpful}"


class DeflectionKind(models.TextChoices):
    SUGGESTED = "suggested", _("Articles suggested while typing")
    DEFLECTED = "deflected", _("Left after reading an article")
    OPENED = "opened", _("Opened from search results")


class Deflection(models.Model):
    """A request that the help center may have answered before it was sent."""

    kind = models.CharField(max_length=16, choices=DeflectionKind.choices)
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="deflections"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    query = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["kind", "created_at"], name="kb_deflection_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.article_id}"
