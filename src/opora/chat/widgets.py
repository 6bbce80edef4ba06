"""Live chat widgets: their settings (an administrator's change, audited) and their
public key."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.chat import errors
from opora.chat.models import (
    ChatWidget,
    PrechatMode,
    new_public_key,
)
from opora.core import audit
from opora.core import clock as wall_clock
from opora.core.errors import ValidationFailed

OFFLINE_TAG = "chat-offline"


@dataclass
class WidgetFields:
    name: str | None = None
    team_id: int | None = None
    prechat_name: str | None = None
    prechat_email: str | None = None
    greeting_en: str | None = None
    greeting_ru: str | None = None
    active: bool | None = None


def _check_widget(fields: WidgetFields) -> None:
    from opora.accounts.models import Team

    if fields.name is not None and not fields.name.strip():
        raise ValidationFailed(errors.INVALID_CHOICE, _("Give the widget a name."), field="name")
    if fields.team_id is not None and not Team.objects.filter(pk=fields.team_id).exists():
        raise ValidationFailed(errors.UNKNOWN_TEAM, _("No such team."), field="team")
    for name in ("prechat_name", "prechat_email"):
        value = getattr(fields, name)
        if value is not None and value not in PrechatMode.values:
            raise ValidationFailed(
                errors.INVALID_CHOICE, _("Choose off, optional or required."), field=name
            )


WIDGET_AUDITED = (
    "name",
    "team",
    "prechat_name",
    "prechat_email",
    "greeting_en",
    "greeting_ru",
    "active",
)


def save_widget(widget: ChatWidget | None, fields: WidgetFields, *, by: User) -> ChatWidget:
    """Create a widget (`widget` None) or change one; admins only (checked by callers)."""
    _check_widget(fields)
    if widget is None:
        if fields.team_id is None or not (fields.name or "").strip():
            raise ValidationFailed(
                errors.UNKNOWN_TEAM, _("A widget needs a name and a team."), field="team"
            )
        widget = ChatWidget()
    before = audit.snapshot(widget, WIDGET_AUDITED) if widget.pk else None
    for name in ("prechat_name", "prechat_email", "active", "team_id"):
        value = getattr(fields, name)
        if value is not None:
            setattr(widget, name, value)
    for name in ("name", "greeting_en", "greeting_ru"):
        value = getattr(fields, name)
        if value is not None:
            setattr(widget, name, value.strip()[: 500 if name != "name" else 120])
    widget.updated_at = wall_clock.now()
    with transaction.atomic():
        widget.save()
        audit.record_change(
            actor=by,
            area="channels",
            action="created" if before is None else "changed",
            target=widget,
            target_type="chatwidget",
            changes=audit.diff(before or {}, audit.snapshot(widget, WIDGET_AUDITED)),
        )
    return widget


KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def change_widget_key(widget: ChatWidget, *, by: User, key: str | None = None) -> ChatWidget:
    """A new public key for the widget (random unless given, as the demo's "demo"): the
    old one stops working at once (its requests and new sockets are refused; a socket
    already open talks on until it closes). Admins only (checked by callers)."""
    if key is None:
        key = new_public_key()
    elif not 4 <= len(key) <= 64 or not set(key) <= KEY_CHARS:
        raise ValidationFailed(
            errors.INVALID_CHOICE,
            _("A key is 4 to 64 letters, digits, dashes or underscores."),
            field="public_key",
        )
    with transaction.atomic():
        if ChatWidget.objects.filter(public_key=key).exclude(pk=widget.pk).exists():
            raise ValidationFailed(
                errors.KEY_TAKEN, _("Another widget has this key."), field="public_key"
            )
        old_key = widget.public_key
        widget.public_key = key
        widget.updated_at = wall_clock.now()
        widget.save(update_fields=["public_key", "updated_at"])
        audit.record_change(
            actor=by,
            area="channels",
            action="changed",
            target=widget,
            target_type="chatwidget",
            changes=audit.diff({"public_key": old_key}, {"public_key": key}),
        )
    return widget
