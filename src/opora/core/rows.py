"""Model instances from fixed SQL statements, converted exactly as the ORM would.

A few lookups run on nearly every request (the API token, the ticket being viewed).
Composed by the ORM each time, their query compilation costs several times what the
database spends answering them; built once as text and read back through here, they
cost a fraction of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from functools import cache
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime

M = TypeVar("M", bound=Model)


def utc(value: Any) -> Any:
    """A timestamp as read by a raw cursor (SQLite: naive or text), aware in UTC."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def columns(model: type[Model], alias: str) -> str:
    """`alias."col", …` for every concrete field of the model, in field order."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def field_names(model: type[Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


@cache
def _converters(model: type[Model]) -> list[tuple[Any, list[Any]]]:
    """Per column, the converters Django applies to a value read from this database."""
    out = []
    for field in model._meta.concrete_fields:
        col = field.get_col(model._meta.db_table)
        out.append((col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)))
    return out


def from_row(model: type[M], values: Sequence[Any]) -> M:
    """An instance from the raw values of all its concrete fields (in field order)."""
    converted = []
    for (col, converters), value in zip(_converters(model), values, strict=True):
        for converter in converters:
            value = converter(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, field_names(model), converted)


@cache
def _values_sql(model: type[Model], names: tuple[str, ...], vendor: str) -> str:
    meta, quote = model._meta, connection.ops.quote_name
    assert meta.pk is not None
    selected = ", ".join(quote(str(meta.get_field(n).column)) for n in names)  # type: ignore[union-attr]
    return f"SELECT {selected} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608


@cache
def _field_converters(model: type[Model], names: tuple[str, ...]) -> list[tuple[Any, list[Any]]]:
    by_name = {
        f.name: (col, conv)
        for f, (col, conv) in zip(model._meta.concrete_fields, _converters(model), strict=True)
    }
    return [by_name[n] for n in names]


def values_of(model: type[Model], pk: int, names: Sequence[str]) -> tuple[Any, ...] | None:
    """The named fields of the row `pk` (converted as the ORM would), None when there
    is none: a fixed statement for a lookup on every webhook request."""
    key = tuple(names)
    with connection.cursor() as cursor:
        cursor.execute(_values_sql(model, key, connection.vendor), [pk])
        found = cursor.fetchone()
    if found is None:
        return None
    out = []
    for (col, converters), value in zip(_field_converters(model, key), found, strict=True):
        for converter in converters:
            value = converter(value, col, connection)
        out.append(value)
    return tuple(out)
