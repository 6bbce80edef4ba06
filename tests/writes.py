"""`nothing_written()`: a refused request leaves the database, the outbox and the files as
it found them.

    outsider = api(charlie)  # signing in writes a token: before the block
    with nothing_written(ticket):
        response = outsider.patch(f"/tickets/{ticket.number}", {"priority": "high"})
    assert response.status_code == 404

Cheap on purpose, so every refusal can afford it: one query counts the rows of every
table (and takes the latest `updated_at` where a table has one), plus one query per
object named, whose row and many-to-many links must be as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import mail
from django.db import connection
from django.db.models import Model

State = dict[str, Any]


def _table_state() -> State:
    """Row count of every table, and its latest `updated_at` where it has one: one query."""
    # Table and column names come from the models, never from input.
    quote = connection.ops.quote_name
    labels: list[str] = []
    parts: list[str] = []
    for model in apps.get_models(include_auto_created=True):
        table = quote(model._meta.db_table)
        labels.append(f"{model._meta.label} rows")
        parts.append(f"(SELECT COUNT(*) FROM {table})")  # noqa: S608
        for field in model._meta.concrete_fields:
            if field.name == "updated_at":
                labels.append(f"{model._meta.label} latest updated_at")
                parts.append(f"(SELECT MAX({quote(field.column)}) FROM {table})")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        row = cursor.fetchone()
    assert row is not None
    return dict(zip(labels, row, strict=True))


def _object_state(obj: Model) -> State:
    """The object's row as stored now, with the ids of its many-to-many links."""
    model = type(obj)
    label = f"{model._meta.label} #{obj.pk}"
    row = model._base_manager.filter(pk=obj.pk).values().first()
    if row is None:
        return {label: "deleted"}
    state: State = {f"{label} {name}": value for name, value in row.items()}
    for field in model._meta.many_to_many:
        linked = getattr(obj, field.name).values_list("pk", flat=True)
        state[f"{label} {field.name}"] = sorted(linked)
    return state


def _side_effects() -> State:
    media = Path(settings.MEDIA_ROOT)
    return {
        # Mail, task enqueues and broadcasts all wait for the commit (STYLE 5).
        "callbacks waiting for the commit": len(connection.run_on_commit),
        "mails sent": len(getattr(mail, "outbox", [])),
        "files stored": sum(1 for p in media.rglob("*") if p.is_file()) if media.exists() else 0,
    }


def _state(objects: tuple[Model, ...]) -> State:
    state = _table_state() | _side_effects()
    for obj in objects:
        state |= _object_state(obj)
    return state


@contextmanager
def nothing_written(*objects: Model) -> Iterator[None]:
    """Asserts that the block adds, changes and deletes no row and sends nothing.

    `objects`: rows the refused request targets; each must keep every field and link.
    """
    before = _state(objects)
    yield
    after = _state(objects)
    changed = {
        key: (before.get(key), after.get(key))
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    }
    assert not changed, f"a refused request wrote (before, after): {changed}"
