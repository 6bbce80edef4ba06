"""What the reports keep: who reads the weekly digest, and which digests went out."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DigestPreference(models.Model):
    """A team lead's or admin's choice about the weekly KPI digest; no row means "send"."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="digest_preference",
    )
    weekly_digest = models.BooleanField(_("e-mail me the weekly KPI digest"), default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.weekly_digest}"


class DigestSent(models.Model):
    """One digest mailed to one person for one week: the job sends each at most once,
    even when it runs again (every quarter of an hour on Monday, after a restart)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "week_start"], name="digest_once_a_week")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.week_start}"
