"""Ideas: what customers suggest, gathered into one row per idea, with their votes.

A suggestion ticket merged into an idea is its requester's vote; customers also vote
on the public board. One vote per customer and idea (a unique constraint, not a
check), so a second suggestion from the same person links the ticket and counts
nothing. `vote_count` is kept beside the votes for the board's ordering.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdeaStatus(models.TextChoices):
    NEW = "new", _("New")
    UNDER_REVIEW = "under_review", _("Under review")
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined")


class Idea(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=IdeaStatus.choices, default=IdeaStatus.NEW
    )
    vote_count = models.PositiveIntegerField(default=0)
    # Stems and Russian lemmas of the title (twice: it weighs more) and description:
    # what the similarity of a new suggestion is measured against.
    terms = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-vote_count", "-id"]
        indexes = [
            models.Index(fields=["-vote_count", "-id"], name="idea_votes"),
            models.Index(fields=["status", "-vote_count"], name="idea_status_votes"),
        ]

    def __str__(self) -> str:
        return self.title


class Vote(models.Model):
    """One customer's vote; `ticket` is the suggestion where they asked, if any."""

    class Source(models.TextChoices):
        MERGED = "merged", _("Merged suggestion")
        BOARD = "board", _("Ideas board")

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_votes"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=8, choices=Source.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["idea", "customer"], name="one_vote_per_customer")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.idea_id}"


class IdeaTicket(models.Model):
    """A suggestion ticket merged into the idea: each ticket into one idea at most."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="links")
    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["merged_at", "id"]

    def __str__(self) -> str:
        return f"#{self.ticket_id} → {self.idea_id}"


class CommentState(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class IdeaComment(models.Model):
    """A customer's comment (held until an agent approves it) or an official reply."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField()
    official = models.BooleanField(default=False)
    state = models.CharField(
        max_length=10, choices=CommentState.choices, default=CommentState.PENDING
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "created_at"], name="idea_comment_state")]

    def __str__(self) -> str:
        return self.body[:60]


class StatusChange(models.Model):
    """The idea's status history; `notified_at` makes the voters' notice go out once."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="status_changes")
    previous = models.CharField(max_length=16, choices=IdeaStatus.choices)
    status = models.CharField(max_length=16, choices=IdeaStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.idea_id}: {self.previous} → {self.status}"


class IdeaMatch(models.Model):
    """An idea found like a suggestion when it arrived, shown on the ticket."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "idea"], name="one_match_per_idea")
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} ~ {self.idea_id}: {self.score}"
