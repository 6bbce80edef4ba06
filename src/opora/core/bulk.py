"""Writing many rows at once, for the bulk paths (e-mail intake in batches)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import datetime
from functools import cache
from typing import Any

import psycopg
from django.db import connection, models, transaction
from django.db.backends.utils import CursorDebugWrapper
from django.db.models.expressions import DatabaseDefault, Value
from django.db.models.fields import AutoFieldMixin


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
    later: Sequence[str] = (),
) -> None:
    """INSERT many rows with multi-row statements; no ids are read back.

    With `unique` and `update`: an upsert (ON CONFLICT (unique) DO UPDATE SET update),
    on PostgreSQL and SQLite alike; the fields in `later` keep the later of the stored
    and the new value (`_conflict_clause`). What `bulk_create` does for these rows,
    without building a query object and a model-instance round trip per row: for the
    small inserts of every ticket change (events, search documents) that was most of
    their cost.
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
        suffix = _conflict_clause(meta.db_table, by_name, unique, update, later)
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


def _conflict_clause(
    table: str,
    by_name: dict[str, str],
    unique: Sequence[str],
    update: Sequence[str],
    later: Sequence[str],
) -> str:
    """ON CONFLICT (unique) DO UPDATE: `update` fields take the new values, `later`
    fields the later of the stored and the new one (a NULL stored value counts as
    earliest), so rows written out of order never move such a moment back."""
    quote = connection.ops.quote_name
    targets = ", ".join(by_name[n] for n in unique)
    stored = {n: f"{quote(table)}.{by_name[n]}" for n in later}
    sets = [f"{by_name[n]} = excluded.{by_name[n]}" for n in update] + [
        f"{by_name[n]} = CASE WHEN {stored[n]} IS NULL OR {stored[n]} < excluded.{by_name[n]} "
        f"THEN excluded.{by_name[n]} ELSE {stored[n]} END"
        for n in later
    ]
    return f" ON CONFLICT ({targets}) DO UPDATE SET {', '.join(sets)}"


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


# --- Many new rows at once through COPY (PostgreSQL) --------------------------------
#
# `bulk_create` and `insert_rows` prepare every value through its field
# (`get_db_prep_save`), and psycopg then quotes each one into a statement as long as the
# batch: for a batch of 200 tickets with their messages and events that was a third of
# the e-mail intake's time. COPY takes the rows as they are, formatted by psycopg's C
# code, and PostgreSQL reads them faster than a long VALUES list. Values of the common
# simple fields go as they are; every other value is prepared by its field as before.

# Fewer rows than this go in with one INSERT: a COPY takes two round trips, and the ids
# of `create_rows` a statement of their own (one ticket opened through the API would
# pay two more statements than with `bulk_create`).
COPY_FROM = 16

# How a value goes into COPY or a server-bound statement: as it is when a field below
# would prepare it to itself, else prepared by its field (`get_db_prep_save`).
_PREPARE, _TEXT, _INTEGER, _BOOLEAN, _MOMENT = range(5)
# Field classes (exactly these, not subclasses, which may prepare values their own way).
_PLAIN: dict[type[models.Field[Any, Any]], int] = {
    models.CharField: _TEXT,
    models.TextField: _TEXT,
    models.EmailField: _TEXT,
    models.SlugField: _TEXT,
    models.IntegerField: _INTEGER,
    models.SmallIntegerField: _INTEGER,
    models.BigIntegerField: _INTEGER,
    models.PositiveIntegerField: _INTEGER,
    models.PositiveSmallIntegerField: _INTEGER,
    models.PositiveBigIntegerField: _INTEGER,
    models.AutoField: _INTEGER,
    models.BigAutoField: _INTEGER,
    models.SmallAutoField: _INTEGER,
    models.BooleanField: _BOOLEAN,
    models.DateTimeField: _MOMENT,
}

# (field, attribute name, how its value goes)
_Column = tuple[models.Field[Any, Any], str, int]


def _numbered(field: object) -> bool:
    """The database numbers this primary key (an auto field)."""
    return isinstance(field, AutoFieldMixin)


@cache
def _copy_columns(model: type[models.Model], with_pk: bool) -> tuple[_Column, ...]:
    columns = []
    for f in model._meta.concrete_fields:
        if f.primary_key and not with_pk and _numbered(f):
            continue  # the database numbers the row
        how = _PLAIN.get(type(f), _PREPARE)
        if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
            how = _PREPARE  # pre_save sets these
        if type(f) in (models.ForeignKey, models.OneToOneField):
            target = type(f.target_field)  # type: ignore[attr-defined]
            how = _INTEGER if _PLAIN.get(target) == _INTEGER else _PREPARE
        columns.append((f, str(f.attname), how))
    return tuple(columns)


def _copy_values(row: models.Model, columns: tuple[_Column, ...]) -> list[object]:
    """The row's values as its fields would prepare them for PostgreSQL."""
    values: list[object] = []
    for f, attname, how in columns:
        if how:
            value = getattr(row, attname)
            if value is None:
                values.append(value)
                continue
            if how == _TEXT and isinstance(value, str):
                values.append(value)  # choices too: CharField keeps a str as it is
                continue
            if how == _INTEGER and isinstance(value, int) and not isinstance(value, bool):
                values.append(int(value))  # what IntegerField does (choices become ints)
                continue
            if how == _BOOLEAN and type(value) is bool:
                values.append(value)
                continue
            if how == _MOMENT and type(value) is datetime and value.tzinfo is not None:
                values.append(value)  # naive ones are prepared (made aware, warned about)
                continue
        value = f.pre_save(row, add=True)
        if isinstance(value, DatabaseDefault):
            value = _literal_default(f)
        values.append(f.get_db_prep_save(value, connection))
    return values


def _literal_default(field: models.Field[Any, Any]) -> object:
    """A field left to its database default (`db_default`) gets that value: COPY and
    numbered parameters have no DEFAULT keyword. Only literal defaults are known here."""
    default: object = field.db_default
    if isinstance(default, Value):
        return default.value
    if not hasattr(default, "resolve_expression"):
        return default  # given as a plain value
    raise NotImplementedError(f"{field} has a database default that is not a literal value")


@cache
def _relations(model: type[models.Model]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(f.name), str(f.attname))
        for f in model._meta.concrete_fields
        if f.many_to_one or f.one_to_one
    )


def _link_related(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """What `bulk_create` checks first: a related object given before it was saved
    lends its id now, and one still unsaved is refused (nothing is written)."""
    relations = _relations(model)
    for row in rows:
        cached = row._state.fields_cache
        for name, attname in relations:
            if getattr(row, attname) is not None:
                continue
            related = cached.get(name)
            if related is None:
                continue
            if related.pk is None:
                raise ValueError(
                    f"bulk_create() prohibited to prevent data loss due to unsaved "
                    f"related object '{name}'."
                )
            setattr(row, attname, related.pk)


def _copy(model: type[models.Model], rows: Sequence[models.Model], *, with_pk: bool) -> None:
    """COPY the rows into the model's table, in one statement (PostgreSQL).

    It goes through the connection's execute wrappers and, when queries are logged
    (tests counting them, DEBUG), into the log: a COPY is a statement like another."""
    columns = _copy_columns(model, with_pk)
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(f.column)) for f, _, _ in columns)
    sql = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
    data = [_copy_values(row, columns) for row in rows]

    def run(sql: str, params: list[list[object]], many: bool, context: object) -> None:
        with connection.connection.cursor() as raw, raw.copy(sql) as copy:
            for values in params:
                copy.write_row(values)

    _through_wrappers(sql, data, run)


@cache
def _id_sequence(table: str, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        row = cursor.fetchone()
    assert row is not None and row[0], f"{table}.{column} has no sequence"
    return str(row[0])


def create_rows(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """INSERT new rows and give them their ids, as `bulk_create(rows)` does.

    PostgreSQL, from COPY_FROM rows on: the ids are drawn from the table's sequence in
    one statement (in order: rows keep the order of `rows`, as with bulk_create), then
    the rows go in with one COPY; fewer rows go in with one server-bound INSERT …
    RETURNING. Else (and for rows given their ids) `bulk_create`. A unique conflict
    raises IntegrityError either way (nothing is inserted)."""
    if not rows:
        return
    meta = model._meta
    if connection.vendor != "postgresql" or any(row.pk is not None for row in rows):
        model._base_manager.bulk_create(rows)
        return
    assert meta.pk is not None
    _link_related(model, rows)
    if len(rows) < COPY_FROM:
        ids = _insert_returning_ids(model, rows)
    else:
        ids = _draw_ids(model, len(rows))
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
    if len(rows) >= COPY_FROM:
        _copy(model, rows, with_pk=True)
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias


def _draw_ids(model: type[models.Model], count: int) -> list[int]:
    meta = model._meta
    assert meta.pk is not None
    sequence = _id_sequence(meta.db_table, str(meta.pk.column))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(%s) FROM generate_series(1, %s) ORDER BY 1", [sequence, count]
        )
        return [int(r[0]) for r in cursor.fetchall()]


@cache
def _bound_insert_sql(model: type[models.Model], count: int, returning: bool) -> str:
    """INSERT of `count` rows with numbered parameters (`_copy_columns` order)."""
    columns = _copy_columns(model, False)
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(f.column)) for f, _, _ in columns)
    width = len(columns)
    marks = ", ".join(
        "(" + ", ".join(f"${i * width + j + 1}" for j in range(width)) + ")" for i in range(count)
    )
    meta = model._meta
    assert meta.pk is not None
    sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES {marks}"  # noqa: S608
    return sql + f" RETURNING {quote(str(meta.pk.column))}" if returning else sql


def _insert_returning_ids(model: type[models.Model], rows: Sequence[models.Model]) -> list[int]:
    """One INSERT of a few rows with server-bound values, their ids read back in order
    (as `bulk_create` reads them): the ORM's statement compiler cost more than the
    insert itself for the tickets and messages of the API's grouped writes."""
    columns = _copy_columns(model, False)
    params = [value for row in rows for value in _copy_values(row, columns)]
    ids: list[int] = []

    def run(sql: str, params: list[object], many: bool, context: object) -> None:
        with psycopg.RawCursor(connection.connection) as raw:
            raw.execute(sql, params)
            ids.extend(int(found[0]) for found in raw.fetchall())

    _through_wrappers(_bound_insert_sql(model, len(rows), True), params, run)
    return ids


def copy_rows(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """INSERT new rows whose ids nobody reads back (a primary key that is not numbered
    by the database, such as a UUID or a one-to-one key, is written as given): one COPY
    on PostgreSQL from COPY_FROM rows on, one server-bound INSERT below that; on SQLite
    `insert_rows`, or `bulk_create` for such keys."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        if _numbered(model._meta.pk):
            insert_rows(model, rows)  # one multi-row statement
        else:
            model._base_manager.bulk_create(rows)
        return
    _link_related(model, rows)
    if len(rows) < COPY_FROM:
        columns = _copy_columns(model, False)
        params = [value for row in rows for value in _copy_values(row, columns)]
        _bound(_bound_insert_sql(model, len(rows), False), params)
    else:
        _copy(model, rows, with_pk=False)
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias


# PostgreSQL takes at most this many parameters in one statement.
_MAX_PARAMETERS = 65_535


def upsert_rows(
    model: type[models.Model],
    rows: Sequence[models.Model],
    *,
    unique: Sequence[str] = (),
    update: Sequence[str] = (),
    later: Sequence[str] = (),
) -> None:
    """INSERT new rows, no ids read back; a row that conflicts with a stored one
    updates its `update` and `later` fields (ON CONFLICT (unique) DO UPDATE, as
    `insert_rows` does), or, without either, is skipped (ON CONFLICT DO NOTHING, as
    `bulk_create(ignore_conflicts=True)` does).

    Cheaper on PostgreSQL than either: the values are bound by the server (numbered
    parameters, dumped by psycopg's C code) instead of quoted one by one into a
    statement as long as the batch, and plain values go as they are."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        if update or later:
            insert_rows(model, rows, unique=unique, update=update, later=later)
        else:
            model._base_manager.bulk_create(rows, ignore_conflicts=True)
        return
    _link_related(model, rows)
    columns = _copy_columns(model, False)
    quote = connection.ops.quote_name
    by_name = {f.name: quote(str(f.column)) for f, _, _ in columns}
    names = ", ".join(quote(str(f.column)) for f, _, _ in columns)
    if update or later:
        conflict = _conflict_clause(model._meta.db_table, by_name, unique, update, later)
    else:
        conflict = " ON CONFLICT DO NOTHING"
    width = len(columns)
    size = max(1, _MAX_PARAMETERS // width)
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        marks = ", ".join(
            "(" + ", ".join(f"${i * width + j + 1}" for j in range(width)) + ")"
            for i in range(len(chunk))
        )
        sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES {marks}{conflict}"  # noqa: S608
        params = [value for row in chunk for value in _copy_values(row, columns)]
        _bound(sql, params)


def _bound(sql: str, params: list[object]) -> None:
    """Run one statement with numbered parameters bound by the server, through the
    connection's execute wrappers and query log like any other."""

    def run(sql: str, params: list[object], many: bool, context: object) -> None:
        with psycopg.RawCursor(connection.connection) as raw:
            raw.execute(sql, params)

    _through_wrappers(sql, params, run)


def _through_wrappers(sql: str, params: Any, run: Callable[[str, Any, bool, Any], None]) -> None:
    """`run(sql, params, …)` as Django runs a statement: through the connection's
    execute wrappers, into the query log when queries are logged (tests counting them,
    DEBUG), and with the driver's errors turned into Django's (a unique conflict is an
    IntegrityError, which callers catch)."""
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if isinstance(cursor, CursorDebugWrapper):
            with cursor.debug_sql(sql, None, many=False):
                cursor._execute_with_wrappers(sql, params, False, run)
        else:
            cursor._execute_with_wrappers(sql, params, False, run)
