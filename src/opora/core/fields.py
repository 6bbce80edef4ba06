"""Model fields with a cheaper bulk insert."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models


class BulkBinaryField(models.BinaryField):  # type: ignore[type-arg]
    """A `BinaryField` that many-row inserts can send as one array per column.

    Django's PostgreSQL `bulk_create` inserts through UNNEST (one array parameter per
    column) unless a field has `get_placeholder`, which `BinaryField` has for backends
    that wrap bytes in SQL; then every row gets a placeholder per column, and building
    and splitting that statement cost more than the rows' data (the e-mail intake's raw
    messages and acknowledgement deliveries). SQLite and PostgreSQL take plain "%s" for
    bytes, so the placeholder is not needed. Stored and migrated exactly as a
    `BinaryField`."""

    @property
    def get_placeholder(self) -> NoReturn:
        raise AttributeError("get_placeholder")

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.BinaryField", args, kwargs
