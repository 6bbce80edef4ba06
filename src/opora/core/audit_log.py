"""Reading the audit trail (`AdminChange`): filters, keyset pages and the CSV export,
shared by the console's audit screen and `GET /api/v1/audit`. Who may read it (admins)
is checked by the callers, which know about people; core does not."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from opora.core.models import AdminChange


@dataclass(frozen=True)
class AuditFilter:
    area: str = ""
    actor: int | None = None
    target_type: str = ""
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive


def changes(
    found: AuditFilter, *, before: tuple[datetime, int] | None = None
) -> QuerySet[AdminChange]:
    """Changes matching the filter, newest first; `before`: the (at, id) of the last row
    of the previous page (keyset, stable under ties)."""
    rows = AdminChange.objects.select_related("actor")
    if found.area:
        rows = rows.filter(area=found.area)
    if found.actor is not None:
        rows = rows.filter(actor_id=found.actor)
    if found.target_type:
        rows = rows.filter(target_type=found.target_type)
    if found.start is not None:
        rows = rows.filter(at__gte=found.start)
    if found.end is not None:
        rows = rows.filter(at__lt=found.end)
    if before is not None:
        at, pk = before
        rows = rows.filter(at__lt=at) | rows.filter(at=at, pk__lt=pk)
    return rows.order_by("-at", "-id")


def areas() -> list[str]:
    return sorted(set(AdminChange.objects.values_list("area", flat=True).distinct()))


def target_types() -> list[str]:
    return sorted(set(AdminChange.objects.values_list("target_type", flat=True).distinct()))


def field_changes(change: AdminChange) -> list[tuple[str, object, object]]:
    """(field, before, after) of a change, in field order; a creation's or deletion's
    whole object shows as changes from or to nothing."""
    out: list[tuple[str, object, object]] = []
    for name, value in sorted((change.changes or {}).items()):
        if isinstance(value, list) and len(value) == 2:
            out.append((name, shown(value[0]), shown(value[1])))
        else:
            out.append((name, None, shown(value)))
    return out


def shown(value: object) -> object:
    """A kept value as a person reads it: text as is, anything else as JSON (true, [1, 2])."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


CSV_HEADER = ["at", "actor", "area", "action", "target_type", "target_id", "target", "changes"]


def _csv_safe(value: str) -> str:
    """Spreadsheets run a cell starting with =, +, - or @ as a formula: quote it."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_lines(rows: Iterable[AdminChange]) -> Iterator[str]:
    """The changes as CSV, one line at a time (for a streaming answer)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow(CSV_HEADER)
    yield flush()
    for row in rows:
        actor = row.actor.email if row.actor is not None else ""
        writer.writerow(
            [
                row.at.isoformat(),
                _csv_safe(actor),
                row.area,
                row.action,
                row.target_type,
                row.target_id,
                _csv_safe(row.target_label),
                _csv_safe(json.dumps(row.changes, ensure_ascii=False, sort_keys=True)),
            ]
        )
        yield flush()


def require_audit_reader(user: object) -> None:
    """The audit trail names every administrator's change: administrators read it."""
    from django.utils.translation import gettext as _

    from opora.core.errors import ADMINS_ONLY, Forbidden

    if not getattr(user, "is_admin", False):
        raise Forbidden(ADMINS_ONLY, _("Only administrators may read the audit log."))
