"""Writing many rows at once, for the bulk paths (e-mail intake in batches)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from functools import cache

from django.db import connection, models, transaction


def update_rows(
    model: type[models.Model], rows: Sequence[models.Model], fields: Sequence[str]
) -> None:
    """Save `fields` of many rows: one UPDATE … WHERE pk = … per row, sent as one batch.

    (`bulk_update` builds a CASE per column and row, which costs more than the rest of
    a batch; `executemany` sends the statements together, pipelined on PostgreSQL.)
    """
    if not rows:
        return
    meta = model._meta
    columns: list[models.Field[object, object]] = []
    for name in fields:
        column = meta.get_field(name)
        assert isinstance(column, models.Field)
        columns.append(column)
    assert meta.pk is not None
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(str(f.column))} = %s" for f in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(str(meta.pk.column))} = %s"  # noqa: S608
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in columns] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def insert_rows(
    model: type[models.Model],
    rows: Sequence[models.Model],
    *,
    unique: Sequence[str] = (),
    update: Sequence[str] = (),
) -> None:
    """INSERT many rows with multi-row statements; no ids are read back.

    With `unique` and `update`: an upsert (ON CONFLICT (unique) DO UPDATE SET update),
    on PostgreSQL and SQLite alike. What `bulk_create` does for these rows, without
    building a query object and a model-instance round trip per row: for the small
    inserts of every ticket change (events, search documents) that was most of their cost.
    """
    if not rows:
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(f.column)) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    suffix = ""
    if unique:
        by_name = {f.name: quote(str(f.column)) for f in fields}
        targets = ", ".join(by_name[n] for n in unique)
        sets = ", ".join(f"{by_name[n]} = excluded.{by_name[n]}" for n in update)
        suffix = f" ON CONFLICT ({targets}) DO UPDATE SET {sets}"
    size = max(1, connection.ops.bulk_batch_size(fields, list(rows)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            sql = (
                f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES "  # noqa: S608
                + ", ".join([one] * len(chunk))
                + suffix
            )
            params = [
                f.get_db_prep_save(f.pre_save(row, add=True), connection)
                for row in chunk
                for f in fields
            ]
            cursor.execute(sql, params)


@cache
def _insert_once_sql(model: type[models.Model], unique: tuple[str, ...], vendor: str) -> str:
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(f.column)) for f in fields)
    by_name = {f.name: quote(str(f.column)) for f in fields}
    targets = ", ".join(by_name[n] for n in unique)
    marks = ", ".join(["%s"] * len(fields))
    return (
        f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT ({targets}) DO NOTHING"
    )


def insert_once(row: models.Model, unique: Sequence[str]) -> bool:
    """INSERT one row unless a row with the same `unique` values is there; True when
    this call inserted it (no id is read back).

    One statement, in autocommit when the caller is in no transaction: a webhook
    storing what a provider may send twice pays no savepoint, no caught IntegrityError
    and no query object for it."""
    model = type(row)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    sql = _insert_once_sql(model, tuple(unique), connection.vendor)
    params = [f.get_db_prep_save(f.pre_save(row, add=True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return bool(cursor.rowcount == 1)


def insert_new(
    model: type[models.Model], rows: Sequence[models.Model], unique: Sequence[str]
) -> set[tuple[object, ...]]:
    """INSERT many rows, leaving out any whose `unique` values are stored already (ON
    CONFLICT DO NOTHING); returns the `unique` values (as stored: ids for foreign keys)
    of the rows this call inserted. The rows must differ in their `unique` values.

    One multi-row statement (more only past the database's limit on parameters, then
    in one transaction): what many concurrent webhooks storing what a provider may send
    twice pay for one durable commit together."""
    if not rows:
        return set()
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(f.column)) for f in fields)
    by_name = {f.name: quote(str(f.column)) for f in fields}
    targets = ", ".join(by_name[n] for n in unique)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, connection.ops.bulk_batch_size(fields, list(rows)))
    inserted: set[tuple[object, ...]] = set()
    together = transaction.atomic() if len(rows) > size else nullcontext()
    with together, connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            sql = (
                f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES "  # noqa: S608
                + ", ".join([one] * len(chunk))
                + f" ON CONFLICT ({targets}) DO NOTHING RETURNING {targets}"
            )
            params = [
                f.get_db_prep_save(f.pre_save(row, add=True), connection)
                for row in chunk
                for f in fields
            ]
            cursor.execute(sql, params)
            inserted.update(tuple(found) for found in cursor.fetchall())
    return inserted
