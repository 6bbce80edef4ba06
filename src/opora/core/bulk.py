"""Writing many rows at once, for the bulk paths (e-mail intake in batches)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


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
