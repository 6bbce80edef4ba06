"""Checking what a caller asks a ticket to be: subject, body, tags, priority, type.

Pure checks, no writes: they normalize the value or raise the `OporaError` an entry
point turns into a 4xx answer naming the field. Used by the ticket actions and by the
bulk writers alike.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import Forbidden, ValidationFailed
from opora.tickets import errors
from opora.tickets.models import CUSTOMER_TYPES, Priority, TicketType

MAX_BODY_CHARS = 1_000_000
MAX_TAGS = 50


def require_agent(by: User, field: str) -> None:
    if not by.is_agent:
        raise Forbidden(
            errors.AGENTS_ONLY,
            _("Only agents may change %(field)s.") % {"field": field},
            field=field,
        )


def clean_subject(subject: str) -> str:
    text = " ".join(subject.split())
    if not text:
        raise ValidationFailed(errors.REQUIRED, _("A subject is required."), field="subject")
    if len(text) > 255:
        raise ValidationFailed(
            errors.TOO_LONG, _("The subject is longer than 255 characters."), field="subject"
        )
    return text


def clean_body(body: str, *, field: str = "body") -> str:
    text = body.replace("\r\n", "\n").strip()
    if not text:
        raise ValidationFailed(errors.REQUIRED, _("The message text is required."), field=field)
    if len(text) > MAX_BODY_CHARS:
        raise ValidationFailed(errors.TOO_LONG, _("The message text is too long."), field=field)
    return text


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags are lower-case words without spaces; order is kept, duplicates dropped.

    Refused as soon as there are more than MAX_TAGS distinct ones: a flood of tags costs
    no more than MAX_TAGS of them."""
    cleaned: dict[str, None] = {}
    for raw in tags:
        tag = "-".join(str(raw)[:200].strip().lower().split())
        if not tag:
            continue
        if len(tag) > 64:
            raise ValidationFailed(
                errors.TOO_LONG, _("Tag “%(tag)s” is too long.") % {"tag": tag[:20]}, field="tags"
            )
        cleaned[tag] = None
        if len(cleaned) > MAX_TAGS:
            raise ValidationFailed(errors.TOO_MANY, _("Too many tags."), field="tags")
    return list(cleaned)


def parse_priority(value: str | int | None) -> Priority | None:
    if value is None:
        return None
    try:
        return Priority(value) if isinstance(value, int) else Priority.by_name(value)
    except (KeyError, ValueError):
        raise ValidationFailed(
            errors.INVALID_CHOICE,
            _("Unknown priority “%(value)s”.") % {"value": value},
            field="priority",
        ) from None


def parse_type(value: str | None, *, by: User) -> str | None:
    if value is None:
        return None
    if value not in TicketType.values:
        raise ValidationFailed(
            errors.INVALID_CHOICE, _("Unknown type “%(value)s”.") % {"value": value}, field="type"
        )
    if not by.is_agent and value not in CUSTOMER_TYPES:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may set this type."), field="type")
    return value
