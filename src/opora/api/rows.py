"""Ticket rows for the API's hot paths, read as plain tuples and written as JSON bytes.

The queue list is the request agents make most. Building a model instance per joined
row (ticket, requester, organization, team, assignee, problem, merged ticket) and then
re-validating the finished page through the response schema cost 20-30 ms per page
of 50; reading the same columns as tuples and serializing them once with orjson costs
a few. The shape is exactly `schemas.TicketOut` (tests compare both paths).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from django.db.models import QuerySet
from django.http import HttpResponse

from opora.accounts.models import User
from opora.crm.selectors import form_keys_by_type
from opora.tickets.models import Priority, Ticket

# The columns a ticket row shows, in the order _row() reads them.
COLUMNS = (
    "id",
    "number",
    "subject",
    "status",
    "priority",
    "type",
    "line",
    "channel",
    "language",
    "requester_id",
    "requester__email",
    "requester__name",
    "organization_id",
    "organization__name",
    "team_id",
    "team__name",
    "assignee_id",
    "assignee__email",
    "assignee__name",
    # Ids, not joined numbers: two more joins of the ticket table with itself made
    # PostgreSQL spend 15 ms planning each page; few tickets have either.
    "problem_id",
    "merged_into_id",
    "created_at",
    "updated_at",
    "first_response_at",
    "solved_at",
    "closed_at",
    # Values of the admin-defined fields: read with the row, no query per ticket.
    "custom_fields",
)
_LINKS = (COLUMNS.index("problem_id"), COLUMNS.index("merged_into_id"))
_PRIORITY_CODES = {int(p): p.code for p in Priority}


def _row(
    values: Sequence[Any],
    tags: list[str],
    numbers: dict[int, int],
    shown: dict[str, frozenset[str]] | None = None,
) -> dict[str, Any]:
    """`shown`: for customers, the field keys of each type's form (the only values they
    see); None for agents, who see every value."""
    (
        _id,
        number,
        subject,
        status,
        priority,
        kind,
        line,
        channel,
        language,
        requester_id,
        requester_email,
        requester_name,
        organization_id,
        organization_name,
        team_id,
        team_name,
        assignee_id,
        assignee_email,
        assignee_name,
        problem,
        merged_into,
        created_at,
        updated_at,
        first_response_at,
        solved_at,
        closed_at,
        custom_fields,
    ) = values[: len(COLUMNS)]
    return {
        "number": number,
        "subject": subject,
        "status": status,
        "priority": _PRIORITY_CODES[priority],
        "type": kind,
        "line": line,
        "channel": channel,
        "language": language,
        "tags": tags,
        "requester": {"id": requester_id, "email": requester_email, "name": requester_name},
        "organization": (
            {"id": organization_id, "name": organization_name} if organization_id else None
        ),
        "team": {"id": team_id, "name": team_name} if team_id else None,
        "assignee": (
            {"id": assignee_id, "email": assignee_email, "name": assignee_name}
            if assignee_id
            else None
        ),
        "problem": numbers.get(problem) if problem else None,
        "merged_into": numbers.get(merged_into) if merged_into else None,
        "created_at": created_at,
        "updated_at": updated_at,
        "first_response_at": first_response_at,
        "solved_at": solved_at,
        "closed_at": closed_at,
        "custom_fields": visible_values(custom_fields, kind, shown),
    }


def visible_values(
    values: dict[str, Any] | None, kind: str, shown: dict[str, frozenset[str]] | None
) -> dict[str, Any]:
    if not values:
        return {}
    if shown is None:
        return dict(values)
    keys = shown.get(kind, frozenset())
    return {k: v for k, v in values.items() if k in keys}


def tags_by_ticket(ticket_ids: Iterable[int]) -> dict[int, list[str]]:
    """Tag names per ticket id, alphabetical, in one query."""
    through = Ticket.tags.through
    found: dict[int, list[str]] = defaultdict(list)
    rows = (
        through.objects.filter(ticket_id__in=list(ticket_ids))
        .order_by("tag__name")
        .values_list("ticket_id", "tag__name")
    )
    for ticket_id, name in rows:
        found[ticket_id].append(name)
    return found


def ticket_rows(
    tickets: QuerySet[Ticket], *, viewer: User, extra: Sequence[str] = ()
) -> list[tuple[dict[str, Any], tuple[Any, ...]]]:
    """Each ticket as the API shows it, with its id and the values of `extra` columns."""
    rows = list(tickets.values_list(*COLUMNS, *extra))
    # Tags are the desk's own words: agents only.
    tags = tags_by_ticket(r[0] for r in rows) if viewer.is_agent and rows else {}
    linked = {r[i] for r in rows for i in _LINKS if r[i]}
    numbers = (
        dict(Ticket.objects.filter(pk__in=linked).values_list("id", "number")) if linked else {}
    )
    width = len(COLUMNS)
    shown = None if viewer.is_agent or not rows else form_keys_by_type()
    return [(_row(r, tags.get(r[0], []), numbers, shown), (r[0], *r[width:])) for r in rows]


def ticket_row(ticket_id: int, *, viewer: User) -> dict[str, Any]:
    """One ticket as the API shows it (after a write: two small queries)."""
    return ticket_rows(Ticket.objects.filter(pk=ticket_id), viewer=viewer)[0][0]


def _default(value: Any) -> Any:
    # orjson handles datetimes itself; anything else here is a lazy translation string.
    return str(value)


def json_response(data: Any, status: int = 200) -> HttpResponse:
    """A JSON answer serialized once (datetimes as ISO 8601 with Z, like the schemas)."""
    body = orjson.dumps(data, default=_default, option=orjson.OPT_UTC_Z)
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
