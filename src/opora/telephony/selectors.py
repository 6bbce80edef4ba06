"""Who may manage phone lines (administrators) and see calls (agents who may open the
ticket), and the reads behind the pages: a ticket's calls, the call-back list."""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import Forbidden, NotFound
from opora.telephony import errors
from opora.telephony.models import Call, PhoneLine
from opora.tickets.models import Ticket
from opora.tickets.selectors import access_ticket, visible_tickets


def require_phone_admin(user: User) -> None:
    """A line's secret speaks for the company's telephony: administrators' business."""
    if not user.is_admin:
        raise Forbidden(errors.ADMINS_ONLY, _("Only administrators may manage phone lines."))


def visible_lines(user: User) -> QuerySet[PhoneLine]:
    require_phone_admin(user)
    return PhoneLine.objects.select_related("team").order_by("name", "id")


def access_line(user: User, line_id: int) -> PhoneLine:
    found = visible_lines(user).filter(pk=line_id).first()
    if found is None:
        raise NotFound(_("phone line"))
    return found


def access_call_ticket(user: User, number: int) -> Ticket:
    """A ticket whose calls the user may read and log: agents who may open it; anyone
    else gets 404, as calls are the desk's notes."""
    ticket = access_ticket(user, number)
    if not user.is_agent:
        raise NotFound(_("ticket"))
    return ticket


def calls_of(ticket: Ticket) -> list[Call]:
    return list(
        Call.objects.filter(ticket=ticket)
        .select_related("agent", "line", "logged_by")
        .order_by("-started_at", "-id")[:200]
    )


def open_callbacks(user: User) -> QuerySet[Call]:
    """Missed calls waiting to be called back, on tickets the agent may open; soonest
    due first."""
    waiting = Call.objects.filter(callback_due_at__isnull=False, callback_done_at__isnull=True)
    # The visible tickets among the waiting calls' few: SQLite would otherwise build the
    # whole visible set first (80 ms at 100,000 tickets for a count of none).
    tickets = visible_tickets(user).filter(pk__in=waiting.values("ticket_id"))
    return (
        waiting.filter(ticket__in=tickets)
        .select_related("ticket", "ticket__requester", "line")
        .order_by("callback_due_at", "id")
    )


def open_callback_count(user: User) -> int:
    """How many `open_callbacks` the user has: the queue's sidebar shows it on every
    load. Most of the time no call waits, and one small fixed statement says so before
    the visibility rule (an ORM query several times as costly to build as to run) is
    composed at all."""
    with connection.cursor() as cursor:
        cursor.execute(_any_waiting_sql())
        if cursor.fetchone() is None:
            return 0
    return open_callbacks(user).count()


@cache
def _any_waiting_sql() -> str:
    table = connection.ops.quote_name(Call._meta.db_table)
    due = connection.ops.quote_name(Call._meta.get_field("callback_due_at").column)
    done = connection.ops.quote_name(Call._meta.get_field("callback_done_at").column)
    # Identifiers from the model's metadata, quoted; no values.
    return f"SELECT 1 FROM {table} WHERE {due} IS NOT NULL AND {done} IS NULL LIMIT 1"  # noqa: S608


def agent_named(line: PhoneLine | None, value: str) -> User | None:
    """The agent an event names: by e-mail address, else by the line's extension list."""
    value = value.strip()
    if not value:
        return None
    email = value
    if "@" not in value and line is not None:
        email = extension_map(line).get(value, "")
    if not email:
        return None
    found = User.objects.filter(email__iexact=email, is_active=True).first()
    return found if found is not None and found.is_agent else None


def extension_map(line: PhoneLine) -> dict[str, str]:
    """ "101 = alice@example.com" lines as {"101": "alice@example.com"}."""
    found: dict[str, str] = {}
    for row in line.extensions.splitlines():
        extension, sep, email = row.partition("=")
        if sep and extension.strip() and email.strip():
            found[extension.strip()] = email.strip().lower()
    return found
