"""The reports' one write: a lead's or admin's weekly digest setting."""

from __future__ import annotations

from django.utils import timezone

from opora.accounts.models import User
from opora.reports.models import DigestPreference


def set_weekly_digest(user: User, *, enabled: bool) -> bool:
    """Turn the weekly digest on or off for `user` (checked by `access_digest`)."""
    DigestPreference.objects.update_or_create(
        user=user, defaults={"weekly_digest": enabled, "updated_at": timezone.now()}
    )
    return enabled
