"""The audit trail of administrators' changes: one call per change, in its transaction.

    before = audit.snapshot(policy, FIELDS)
    ... change and save the policy ...
    audit.record_change(actor=admin, area="service", action="changed", target=policy,
                        changes=audit.diff(before, audit.snapshot(policy, FIELDS)))

Values are kept as JSON (dates as ISO text, decimals as text, related rows as ids), so
the trail reads the same whatever the models become later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import models

from opora.core.models import AdminChange

MAX_VALUE_CHARS = 500  # a long text (an article, a template) is kept as its start


def plain(value: Any) -> Any:
    """A value as JSON can keep it."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of `obj` as plain values (a foreign key as its id)."""
    out: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if isinstance(field, models.ManyToManyField):
            out[name] = sorted(getattr(obj, name).values_list("pk", flat=True))
        elif isinstance(field, models.ForeignKey):
            out[name] = getattr(obj, field.attname)
        else:
            out[name] = plain(getattr(obj, name))
    return out


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{"field": [before, after]} for each field whose value changed."""
    return {
        key: [plain(before.get(key)), plain(after.get(key))]
        for key in sorted(set(before) | set(after))
        if plain(before.get(key)) != plain(after.get(key))
    }


def record_change(
    *,
    actor: Any,
    area: str,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    label: str = "",
    changes: Mapping[str, Any] | None = None,
) -> AdminChange | None:
    """Note one change; a "changed" with nothing changed is not noted (returns None)."""
    if action == "changed" and not changes:
        return None
    if target is not None:
        target_type = target_type or target._meta.model_name or ""
        target_id = target_id or (target.pk if target.pk is not None else "")
        label = label or str(target)
    return AdminChange.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        area=area[:40],
        action=action[:40],
        target_type=target_type[:60],
        target_id=str(target_id)[:64],
        target_label=label[:255],
        changes=plain(dict(changes or {})),
    )


__all__ = ["diff", "plain", "record_change", "snapshot"]
