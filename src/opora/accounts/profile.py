"""A person's own profile: name, language, time zone, e-mail signature, which notices
they get, and their password. The workspace's Profile page and `/api/v1/me` both call
these, so a choice made in one shows in the other.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts import errors
from opora.accounts.models import AccountEventKind, SignInSession, User
from opora.accounts.twofactor import record_event
from opora.core.errors import Forbidden, ValidationFailed

MAX_NAME = 200
MAX_SIGNATURE = 2000
# Switches of the e-mails an agent gets (model fields of User).
NOTICES = ("notify_new_in_team", "notify_assigned", "notify_customer_replied", "notify_sla")


@dataclass
class ProfileChanges:
    """Fields to change; None leaves a field as it is."""

    name: str | None = None
    language: str | None = None
    time_zone: str | None = None
    signature: str | None = None
    notify_new_in_team: bool | None = None
    notify_assigned: bool | None = None
    notify_customer_replied: bool | None = None
    notify_sla: bool | None = None


def _clean(changes: ProfileChanges) -> dict[str, object]:
    values: dict[str, object] = {}
    for field in fields(changes):
        value = getattr(changes, field.name)
        if value is not None:
            values[field.name] = value.strip() if isinstance(value, str) else value
    name = values.get("name")
    if isinstance(name, str) and len(name) > MAX_NAME:
        raise ValidationFailed(errors.TOO_LONG, _("The name is too long."), field="name")
    if "language" in values and values["language"] not in dict(settings.LANGUAGES):
        raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown language."), field="language")
    if "time_zone" in values and values["time_zone"] not in time_zones():
        raise ValidationFailed(errors.INVALID_TIME_ZONE, _("Unknown time zone."), field="time_zone")
    signature = values.get("signature")
    if isinstance(signature, str) and len(signature) > MAX_SIGNATURE:
        raise ValidationFailed(
            errors.TOO_LONG,
            _("The signature is longer than %(max)s characters.") % {"max": MAX_SIGNATURE},
            field="signature",
        )
    return values


def time_zones() -> list[str]:
    """IANA zone names people pick from, sorted; UTC first."""
    return ["UTC", *sorted(z for z in available_timezones() if "/" in z)]


def check_profile(user: User, changes: ProfileChanges) -> dict[str, object]:
    """The cleaned values of `changes`, or the error they earn; writes nothing."""
    values = _clean(changes)
    desk_only = {"signature", *NOTICES}
    if not user.is_agent and desk_only & values.keys():
        raise Forbidden(
            errors.AGENTS_ONLY, _("Only agents have a signature and notices."), field="signature"
        )
    return values


def update_profile(user: User, changes: ProfileChanges) -> User:
    """Change the person's own settings; the signature and notices are the desk's only."""
    values = check_profile(user, changes)
    changed = [name for name, value in values.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, values[name])
    if changed:
        user.save(update_fields=changed)
    return user


@transaction.atomic
def change_password(
    user: User, *, current: str, new: str, again: str, keep_session: int | None = None
) -> int:
    """Set a new password after checking the current one; every other signed-in browser
    is signed out (`keep_session`: the SignInSession row of the one asking, if any).

    Returns how many sessions were signed out.
    """
    if not user.check_password(current):
        raise ValidationFailed(
            errors.BAD_CREDENTIALS, _("The current password is wrong."), field="current_password"
        )
    if new != again:
        raise ValidationFailed(
            errors.PASSWORDS_DIFFER, _("The new passwords differ."), field="new_password2"
        )
    try:
        validate_password(new, user)
    except ValidationError as exc:
        raise ValidationFailed(
            errors.WEAK_PASSWORD, " ".join(exc.messages), field="new_password"
        ) from exc
    user.set_password(new)
    user.save(update_fields=["password"])
    # Django's own check signs out sessions made with the old password hash; the rows
    # of the profile's session list go too, so the list tells the truth at once.
    others = SignInSession.objects.filter(user=user).exclude(pk=keep_session or 0)
    count, _rows = others.delete()
    record_event(user, AccountEventKind.PASSWORD_CHANGED, by=user, signed_out=count)
    return count
