"""The queue: named views with counts, filters, sorting, a cursor pager and bulk actions."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from opora.accounts.models import Role, Team, User
from opora.agent.queues import (
    DEFAULT_QUEUE,
    DEFAULT_SORT,
    QUEUES,
    QUEUES_BY_KEY,
    SORTS,
    after_cursor,
    attach_names,
    cursor_of,
    organizations_to_pick,
    parse_filter,
    queue_counts_of,
    queue_rows,
    queue_tickets,
    sla_cell,
    sort_tickets,
)
from opora.core.errors import NotFound, OporaError
from opora.core.numbers import parse_id
from opora.pages import agent_required, current_user, is_htmx, safe_next
from opora.tickets import actions
from opora.tickets.models import Priority, Ticket, TicketStatus, TicketType
from opora.tickets.selectors import access_ticket, filter_tickets

PAGE_SIZE = 25
MAX_BULK = 100


@dataclass(frozen=True)
class QueuePage:
    """One page of a queue: its rows and the cursor of the next page (no count: the
    view's badge says how many)."""

    object_list: list[Ticket]
    next_cursor: str | None
    first: bool


def agents() -> list[User]:
    """The desk's active agents, for pickers: only what a picker shows (a user row has
    thirty-odd columns, and every page of the queue lists every agent)."""
    return list(
        User.objects.filter(role__in=(Role.AGENT, Role.ADMIN), is_active=True)
        .order_by("name")
        .only("id", "name", "email")
    )


@require_GET
@agent_required
def queue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    key = request.GET.get("view", DEFAULT_QUEUE)
    if key not in QUEUES_BY_KEY:
        key = DEFAULT_QUEUE
    sort = request.GET.get("sort", DEFAULT_SORT)
    if sort not in SORTS:
        sort = DEFAULT_SORT
    ticket_filter = parse_filter(request.GET)
    tickets = filter_tickets(queue_tickets(user, key), ticket_filter, user=user)
    rows = sort_tickets(queue_rows(tickets), sort)
    cursor = request.GET.get("after", "")
    if cursor:
        rows = after_cursor(rows, sort, cursor)
    listed = list(rows[: PAGE_SIZE + 1])
    more = len(listed) > PAGE_SIZE
    listed = listed[:PAGE_SIZE]
    page = QueuePage(
        object_list=listed,
        next_cursor=cursor_of(listed[-1], sort) if more else None,
        first=not cursor,
    )
    people, teams = agents(), list(Team.objects.order_by("name"))
    attach_names(listed, people, teams)
    now = timezone.now()
    for ticket in page.object_list:
        ticket.sla_cell = sla_cell(ticket, now)  # type: ignore[attr-defined]
    context = {
        "queue": QUEUES_BY_KEY[key],
        "page": page,
        "sort": sort,
        "filter": ticket_filter,
        "filtered": any(
            request.GET.get(name)
            for name in (
                "status",
                "priority",
                "type",
                "team",
                "line",
                "organization",
                "organization_name",
                "tag",
                "q",
            )
        ),
        "statuses": TicketStatus.choices,
        "priorities": [(p.code, p.label) for p in Priority],
        "types": TicketType.choices,
        "agents": people,
        "me": user,
        "now": now,
        "nav": "queue",
    }
    counted = queue_counts_of(user)
    counts = counted.value
    context |= {
        # The view's size, unless filters narrow it (a filtered list is not counted).
        "view_count": None if context["filtered"] else counts[key],
        "counts_exact": counted.exact,
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "queue-list":
        return render(request, "agent/_queue_list.html", context)
    context |= {
        "queues": [(q, counts[q.key]) for q in QUEUES],
        "teams": teams,
        "organizations": organizations_to_pick(),
        "organization_name": (request.GET.get("organization_name") or "").strip()[:200],
    }
    return render(request, "agent/queue.html", context)


def _bulk_changes(action: str, value: str, user: User) -> actions.TicketChanges | None:
    if action == "assign":
        if value == "none":
            return actions.TicketChanges(unassign=True)
        if value == "me":
            return actions.TicketChanges(assignee=user.pk)
        assignee = parse_id(value)
        return actions.TicketChanges(assignee=assignee) if assignee is not None else None
    if action == "status" and value in TicketStatus.values:
        return actions.TicketChanges(status=value)
    if action == "priority" and value:
        return actions.TicketChanges(priority=value)
    if action == "tag" and value.strip():
        return actions.TicketChanges(add_tags=[value])
    return None


@require_POST
@agent_required
def bulk(request: HttpRequest) -> HttpResponse:
    """Apply one change to the selected tickets; each ticket succeeds or fails on its own."""
    user = current_user(request)
    back = safe_next(request, reverse("agent:queue"))
    numbers = [n for n in map(parse_id, request.POST.getlist("ticket")) if n is not None][:MAX_BULK]
    action = request.POST.get("action", "")
    changes = _bulk_changes(action, request.POST.get(f"value_{action}", ""), user)
    if not numbers:
        messages.error(request, _("Select at least one ticket."))
        return redirect(back)
    if changes is None:
        messages.error(request, _("Choose what to change."))
        return redirect(back)
    done = 0
    for number in numbers:
        try:
            ticket = access_ticket(user, number)
            actions.update_ticket(ticket, changes, by=user)
        except NotFound:
            messages.error(request, _("#%(number)s: not found.") % {"number": number})
        except OporaError as exc:
            messages.error(request, f"#{number}: {exc.message}")
        else:
            done += 1
    if done:
        messages.success(
            request,
            ngettext("%(count)d ticket updated.", "%(count)d tickets updated.", done)
            % {"count": done},
        )
    return redirect(back)
