"""Tickets, messages, attachments and history: thin handlers over tickets.actions."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.db.models import (
    F,
    QuerySet,
    prefetch_related_objects,
)
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan  # type: ignore[import-untyped]
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError
from ninja.params.functions import Query
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from opora.accounts.models import Team, User
from opora.accounts.selectors import user_by_id
from opora.api.common import (
    ErrorOut,
    LanguageName,
    Ref,
    UserRef,
    body_doc,
    current_user,
    decode_cursor,
    encode_cursor,
    parse_input,
)
from opora.api.rows import json_response, ticket_row, ticket_rows, visible_values
from opora.core.errors import Forbidden, ValidationFailed
from opora.core.numbers import parse_id
from opora.crm.actions import check_new_ticket_fields
from opora.crm.selectors import field_filters, form_keys_by_type
from opora.inbox.actions import retry_delivery
from opora.inbox.email.selectors import access_raw_message
from opora.inbox.models import Delivery
from opora.inbox.selectors import access_delivery, latest_deliveries
from opora.tickets import actions, errors
from opora.tickets.cleaning import clean_tags
from opora.tickets.counters import agent_key, counted
from opora.tickets.models import Channel, Message, Priority, Ticket, TicketType
from opora.tickets.selectors import (
    TicketFilter,
    access_attachment,
    access_ticket,
    due_sort_key,
    filter_tickets,
    visible_tickets,
)
from opora.tickets.thread import API_MAX_MESSAGES, API_MESSAGES, message_window
from opora.triage.suggest import suggestion_of

router = Router(tags=["tickets"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut}


StatusName = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]
TypeName = Literal["question", "incident", "problem", "complaint", "suggestion"]
ChannelName = Literal[
    "web", "email", "chat", "telegram", "vk", "whatsapp", "phone", "api", "monitoring"
]


class SuggestedConfidence(Schema):
    team: float | None
    type: float | None
    priority: float | None


class SuggestedTag(Schema):
    name: str
    confidence: float = Field(description="0..1")


class SuggestedOut(Schema):
    team: Ref | None
    type: TypeName | None
    priority: PriorityName | None
    tags: list[SuggestedTag] = Field(default_factory=list)
    confidence: SuggestedConfidence = Field(description="0..1, per suggested field")
    applied: list[str] = Field(description="fields triage set itself (above the threshold)")


class TicketOut(Schema):
    number: int
    subject: str
    status: StatusName
    priority: PriorityName
    type: TypeName
    line: int
    channel: str
    language: str
    tags: list[str]
    requester: UserRef
    organization: Ref | None
    team: Ref | None
    assignee: UserRef | None
    problem: int | None = Field(description="number of the problem this incident belongs to")
    merged_into: int | None = Field(description="number of the ticket this one was merged into")
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    suggested: SuggestedOut | None = Field(
        None, description="triage's suggestion (agents, on a single ticket's answer only)"
    )
    custom_fields: dict[str, str | int | float] = Field(
        default_factory=dict,
        description="values of the desk's own ticket fields by key (GET /fields lists "
        "them); customers see only the fields of their ticket type's form",
    )


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None = Field(description="pass as ?cursor= to get the next page")
    count: int | None = Field(description="total matching tickets, when asked with count=true")
    count_exact: bool | None = Field(
        None,
        description="false: the count was taken before the latest change to the tickets "
        "(on a desk where counting is slow it is refreshed at most every 10 seconds); "
        "null without count=true",
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=1_000_000)


class TicketCreate(_Strict):
    subject: str = Field(max_length=255)
    body: str = Field(description="text of the first message")
    body_html: str = ""
    priority: PriorityName | None = None
    type: TypeName | None = None
    tags: list[str] = []
    requester: str | int | None = Field(
        None, description="agents only: e-mail or id of the customer the ticket is for"
    )
    requester_name: str = ""
    team: int | None = None
    channel: ChannelName | None = None
    language: LanguageName | None = None
    custom_fields: dict[str, StrictStr | StrictInt | StrictFloat | None] = Field(
        default_factory=dict,
        description="values of the fields of the ticket type's form, by key; the form's "
        "required fields must be given",
    )


class TicketUpdate(_Strict):
    status: StatusName | None = None
    priority: PriorityName | None = None
    type: TypeName | None = None
    assignee: int | Literal["me"] | None = Field(None, description="user id, 'me', or null")
    team: int | None = Field(None, description="team id, or null to clear")
    line: Literal[1, 2, 3] | None = None
    tags: list[str] | None = Field(None, description="replace all tags")
    add_tags: list[str] = []
    remove_tags: list[str] = []


class MessageCreate(_Strict):
    body: str
    body_html: str = ""
    internal: bool = Field(False, description="true for an internal note agents only see")


class MergeIn(Schema):
    into: int = Field(description="number of the ticket that stays")


class ProblemLinkIn(Schema):
    problem: int = Field(description="number of the problem ticket")


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str
    content_id: str = Field(
        "", description="Content-ID of an e-mail part; body_html shows it as cid:<content_id>"
    )


class DeliveryOut(Schema):
    id: int = Field(description="for POST /tickets/{number}/deliveries/{id}/retry")
    channel: str = Field(description="the channel it goes out on (e-mail for portal requests)")
    state: Literal["queued", "sent", "delivered", "read", "failed"] = Field(
        description="delivered and read: the provider reported it (WhatsApp)"
    )
    error: str = Field(description="why the last attempt failed; empty once sent")


class MessageOut(Schema):
    id: int
    ticket: int
    author: UserRef | None
    internal: bool
    channel: str
    body: str
    body_html: str
    created_at: datetime
    attachments: list[AttachmentOut]
    delivery: DeliveryOut | None = Field(
        description="agents only: how the desk's public reply reached the customer; "
        "null for the customer's own messages, notes, and for customers"
    )


class EventOut(Schema):
    id: int
    kind: str
    actor: UserRef | None
    old: str
    new: str
    data: dict[str, object]
    created_at: datetime


def _user_ref(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "email": user.email, "name": user.name}


def ticket_out(ticket: Ticket, *, viewer: User, tags: list[str] | None = None) -> dict[str, Any]:
    """A ticket as the API shows it; tags are the desk's own words, agents only.

    `tags`: the ticket's tag names when the caller knows them (no query then).
    """
    if not viewer.is_agent:
        tags = []
    elif tags is None:
        tags = [t.name for t in ticket.tags.all()]
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": Priority(ticket.priority).code,
        "type": ticket.type,
        "line": ticket.line,
        "channel": ticket.channel,
        "language": ticket.language,
        "tags": tags,
        "requester": _user_ref(ticket.requester),
        "organization": (
            {"id": ticket.organization.pk, "name": ticket.organization.name}
            if ticket.organization
            else None
        ),
        "team": {"id": ticket.team.pk, "name": ticket.team.name} if ticket.team else None,
        "assignee": _user_ref(ticket.assignee),
        "problem": ticket.problem.number if ticket.problem else None,
        "merged_into": ticket.merged_into.number if ticket.merged_into else None,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_response_at": ticket.first_response_at,
        "solved_at": ticket.solved_at,
        "closed_at": ticket.closed_at,
        "custom_fields": visible_values(
            ticket.custom_fields, ticket.type, None if viewer.is_agent else form_keys_by_type()
        ),
    }


def _reload(ticket: Ticket, viewer: User) -> dict[str, Any]:
    return ticket_row(ticket.pk, viewer=viewer)


def delivery_out(delivery: Delivery | None) -> dict[str, Any] | None:
    if delivery is None:
        return None
    return {
        "id": delivery.pk,
        "channel": delivery.channel,
        "state": delivery.state,
        "error": delivery.error,
    }


def message_out(
    message: Message,
    *,
    number: int,
    with_files: bool = True,
    delivery: Delivery | None = None,
) -> dict[str, Any]:
    """A message as the API shows it; `with_files=False`: it has no attachments;
    `delivery`: the one that took it to the customer (for agents)."""
    return {
        "id": message.pk,
        "ticket": number,
        "author": _user_ref(message.author),
        "internal": message.internal,
        "channel": message.channel,
        "body": message.body,
        "body_html": message.body_html,
        "created_at": message.created_at,
        "attachments": [
            {
                "id": a.pk,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "url": f"/api/v1/attachments/{a.pk}",
                "content_id": a.content_id,
            }
            for a in (message.attachments.all() if with_files else ())
        ],
        "delivery": delivery_out(delivery),
    }


SORTS: dict[str, tuple[str, bool]] = {
    "-updated_at": ("updated_at", True),
    "updated_at": ("updated_at", False),
    "-created_at": ("created_at", True),
    "created_at": ("created_at", False),
    "-priority": ("priority", True),
    "priority": ("priority", False),
    "-number": ("number", True),
    "number": ("number", False),
    # The queue by SLA: the nearest unmet due time first, tickets without one last.
    "due_at": ("due_sort", False),
}
SortName = Literal[
    "-updated_at",
    "updated_at",
    "-created_at",
    "created_at",
    "-priority",
    "priority",
    "-number",
    "number",
    "due_at",
]


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


def _after_cursor(
    tickets: QuerySet[Ticket], cursor: str, field: str, descending: bool
) -> QuerySet[Ticket]:
    value, last_id = decode_cursor(cursor, length=2)
    if field.endswith("_at"):
        try:
            value = datetime.fromisoformat(str(value))
        except ValueError:
            raise NinjaValidationError(
                [{"loc": ("query", "cursor"), "msg": "invalid cursor", "type": "invalid_cursor"}]
            ) from None
    # A row comparison, (field, id) < (value, last id): PostgreSQL walks the sort's
    # index from the cursor on, where "a < v OR (a = v AND id < i)" walks from the top
    # (Django writes the OR form on databases without row values).
    compare = TupleLessThan if descending else TupleGreaterThan
    return tickets.filter(compare(Tuple(F(field), F("id")), (value, last_id)))


@router.get("/tickets", response={200: TicketPage, **ERRORS}, summary="List tickets")
def list_tickets(
    request: HttpRequest,
    status: list[str] | None = Query(None, description="one or more, comma-separated"),
    assignee: str | None = Query(None, description="'me', 'none' or a user id"),
    team: int | None = None,
    priority: list[str] | None = Query(None),
    type: list[str] | None = Query(None),
    line: int | None = Query(None, ge=1, le=3),
    requester: int | None = None,
    organization: int | None = None,
    tag: str | None = None,
    updated_since: datetime | None = None,
    q: str | None = Query(None, max_length=200),
    sort: SortName = "-updated_at",
    limit: int | None = Query(None, ge=1, description="page size (default 25, at most 100)"),
    cursor: str | None = None,
    count: bool = Query(False, description="also return the total number of matches"),
    custom_field: list[str] | None = Query(
        None,
        alias="field",
        description="key:value, the tickets whose custom field `key` equals `value` "
        "(repeat for several); e.g. field=order_number:A-1001",
    ),
) -> dict[str, Any]:
    user = current_user(request)
    if limit is None:
        limit = settings.API_PAGE_SIZE
    elif limit > settings.API_MAX_PAGE_SIZE:
        raise ValidationFailed(
            errors.TOO_LARGE,
            _("limit may be at most %(max)d") % {"max": settings.API_MAX_PAGE_SIZE},
            field="limit",
        )
    statuses = _split(status)
    priorities = _split(priority)
    types = _split(type)
    _check_choices("status", statuses, {"new", "open", "pending", "on_hold", "solved", "closed"})
    _check_choices("priority", priorities, {p.code for p in Priority})
    _check_choices("type", types, {"question", "incident", "problem", "complaint", "suggestion"})
    if assignee not in (None, "me", "none") and parse_id(assignee) is None:
        raise ValidationFailed(
            errors.INVALID, _("assignee must be 'me', 'none' or a user id"), field="assignee"
        )
    filters = TicketFilter(
        status=statuses or None,
        assignee=assignee,
        team=team,
        priority=[Priority.by_name(p) for p in priorities] or None,
        type=types or None,
        line=line,
        requester=requester,
        organization=organization,
        tag=tag,
        updated_since=updated_since,
        q=q,
    )
    tickets = filter_tickets(visible_tickets(user), filters, user=user)
    if custom_field:
        tickets = tickets.filter(**field_filters(user, custom_field))
    total, exact = _count(tickets, filters, user, custom_field or []) if count else (None, None)
    field, descending = SORTS[sort]
    if field == "due_sort":
        tickets = tickets.annotate(due_sort=due_sort_key())
    if cursor:
        tickets = _after_cursor(tickets, cursor, field, descending)
    order = [F(field).desc(), F("id").desc()] if descending else [F(field).asc(), F("id").asc()]
    page = ticket_rows(tickets.order_by(*order)[: limit + 1], viewer=user, extra=(field,))
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        _row, (last_id, key) = page[-1]
        next_cursor = encode_cursor(
            [key.isoformat() if isinstance(key, datetime) else key, last_id]
        )
    return json_response(  # type: ignore[return-value]
        {
            "items": [row for row, _key in page],
            "next_cursor": next_cursor,
            "count": total,
            "count_exact": exact,
        }
    )


def _count(
    tickets: QuerySet[Ticket], filters: TicketFilter, user: User, fields: list[str]
) -> tuple[int, bool]:
    """The number of matches: an agent's is cached until a ticket changes
    (tickets.counters); a customer's own tickets are few and counted each time."""
    if not user.is_agent:
        return tickets.count(), True
    key = hashlib.sha256(repr((filters, fields) if fields else filters).encode()).hexdigest()[:32]
    total = counted(f"list:{agent_key(user)}:{key}", tickets.count)
    return total.value, total.exact


def _check_choices(field: str, values: list[str], allowed: set[str]) -> None:
    for value in values:
        if value not in allowed:
            raise ValidationFailed(
                errors.INVALID_CHOICE,
                _("unknown %(field)s '%(value)s'") % {"field": field, "value": value},
                field=field,
            )


def _requester_for(user: User, payload: TicketCreate, known: dict[Any, Any]) -> User | str:
    """The requester named by id (read here unless `known` holds it under ("user", id)),
    or an address the action finds or creates."""
    if payload.requester is None or payload.requester in (user.pk, user.email):
        return user
    if not user.is_agent:
        raise Forbidden(
            errors.AGENTS_ONLY,
            _("Only agents may open tickets for someone else."),
            field="requester",
        )
    if isinstance(payload.requester, int) or str(payload.requester).isdecimal():
        pk = int(payload.requester)
        found = known[("user", pk)] if ("user", pk) in known else user_by_id(pk)
        if found is None:
            raise ValidationFailed(
                errors.UNKNOWN_REQUESTER, _("No user with this id."), field="requester"
            )
        return found
    return str(payload.requester)


def requester_ids(payloads: Iterable[TicketCreate]) -> set[int]:
    """The requesters the new tickets name by id (for `users_by_id`, read once for a
    group of tickets)."""
    named = (p.requester for p in payloads if p.requester is not None)
    return {int(r) for r in named if isinstance(r, int) or r.isdecimal()}


@router.post(
    "/tickets",
    response={201: TicketOut, **ERRORS},
    summary="Open a ticket",
    openapi_extra=body_doc(TicketCreate, with_files=True),
)
def create_ticket(request: HttpRequest) -> Status[dict[str, Any]]:
    user = current_user(request)
    payload, files = parse_input(request, TicketCreate)
    # One action, one transaction: a requester it creates goes away with a refused ticket.
    ticket = actions.create_ticket(**new_ticket_fields(user, payload), attachments=files)
    return json_response(created_row(ticket, user, payload), status=201)  # type: ignore[return-value]


def new_ticket_fields(
    user: User, payload: TicketCreate, *, known: dict[Any, Any] | None = None
) -> dict[str, Any]:
    """What `actions.create_ticket` is given for a new ticket the user asked for, checked
    before anything is written (a refused value opens no ticket). The view and the event
    loop's grouped path (`api/grouped.py`) both take their checks from here.

    `known`: what earlier tickets of the same group read (their team, their type's form
    check of the same values), kept for the next ones, and the group's requesters read
    together beforehand (`requester_ids`); the same answers, read once."""
    known = {} if known is None else known
    team = None
    if payload.team is not None:
        if ("team", payload.team) not in known:
            known["team", payload.team] = Team.objects.filter(pk=payload.team).first()
        team = known["team", payload.team]
        if team is None:
            raise ValidationFailed(errors.UNKNOWN_TEAM, _("No such team."), field="team")
    channel = payload.channel or (Channel.API if user.is_agent else Channel.WEB)
    if not user.is_agent and payload.channel not in (None, Channel.WEB, Channel.API):
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may set the channel."), field="channel")
    kind = payload.type or TicketType.QUESTION
    form = ("form", kind, repr(sorted(payload.custom_fields.items())))
    if form not in known:
        known[form] = check_new_ticket_fields(kind, payload.custom_fields)
    custom = dict(known[form])
    return {
        "custom_fields": custom,
        "requester": _requester_for(user, payload, known),
        "requester_name": payload.requester_name,
        "subject": payload.subject,
        "body": payload.body,
        "body_html": payload.body_html,
        "by": user,
        "channel": channel,
        "priority": payload.priority,
        "type": payload.type,
        "tags": payload.tags,
        "team": team,
        "language": payload.language,
    }


def created_row(ticket: Ticket, user: User, payload: TicketCreate) -> dict[str, Any]:
    """The answer to a new ticket: built from the objects the action just wrote (their
    values are the committed ones; what happens after commit, such as rules, shows on
    the next read)."""
    return ticket_out(ticket, viewer=user, tags=sorted(clean_tags(payload.tags)))


@router.get("/tickets/{number}", response={200: TicketOut, **ERRORS}, summary="Get a ticket")
def get_ticket(request: HttpRequest, number: int) -> dict[str, Any]:
    user = current_user(request)
    ticket = access_ticket(user, number)
    # access_ticket already joined the people and teams a ticket shows; only the tags
    # are missing (a second full load here cost a quarter of the request).
    if user.is_agent:
        prefetch_related_objects([ticket], "tags")
    row = ticket_out(ticket, viewer=user)
    if user.is_agent:
        row["suggested"] = suggestion_of(ticket)
    return json_response(row)  # type: ignore[return-value]


@router.patch("/tickets/{number}", response={200: TicketOut, **ERRORS}, summary="Change a ticket")
def update_ticket(request: HttpRequest, number: int, payload: TicketUpdate) -> dict[str, Any]:
    user = current_user(request)
    ticket = access_ticket(user, number)
    sent = payload.model_fields_set
    assignee = payload.assignee
    changes = actions.TicketChanges(
        status=payload.status,
        priority=payload.priority,
        type=payload.type,
        assignee=user.pk if assignee == "me" else assignee,
        unassign="assignee" in sent and assignee is None,
        team=payload.team,
        clear_team="team" in sent and payload.team is None,
        line=payload.line,
        tags=payload.tags,
        add_tags=payload.add_tags,
        remove_tags=payload.remove_tags,
    )
    ticket = actions.update_ticket(ticket, changes, by=user)
    return _reload(ticket, user)


@router.post(
    "/tickets/{number}/merge",
    response={200: TicketOut, **ERRORS},
    summary="Merge this ticket into another",
)
def merge_ticket(request: HttpRequest, number: int, payload: MergeIn) -> dict[str, Any]:
    user = current_user(request)
    source = access_ticket(user, number)
    target = access_ticket(user, payload.into)
    merged = actions.merge_tickets(source, target, by=user)
    return _reload(merged, user)


@router.post(
    "/tickets/{number}/problem",
    response={200: TicketOut, **ERRORS},
    summary="Link an incident to a problem",
)
def link_problem(request: HttpRequest, number: int, payload: ProblemLinkIn) -> dict[str, Any]:
    user = current_user(request)
    incident = access_ticket(user, number)
    problem = access_ticket(user, payload.problem)
    return _reload(actions.link_problem(incident, problem, by=user), user)


@router.delete(
    "/tickets/{number}/problem",
    response={200: TicketOut, **ERRORS},
    summary="Unlink an incident from its problem",
)
def unlink_problem(request: HttpRequest, number: int) -> dict[str, Any]:
    user = current_user(request)
    incident = access_ticket(user, number)
    return _reload(actions.unlink_problem(incident, by=user), user)


@router.get(
    "/tickets/{number}/messages",
    response={200: list[MessageOut], **ERRORS},
    summary="The conversation (customers never see internal notes)",
    description=(
        "The newest `limit` messages (100 unless asked), oldest first within the page, "
        "so a thread of up to 100 messages comes whole, as before pagination. When "
        "earlier messages exist the answer says where they start: the `X-Next-Cursor` "
        'header, and a `Link` header with `rel="next"`; pass it as `before=` for the '
        "page before this one. Pages go from the newest back to the first message, by "
        "(created_at, id), so a reply arriving meanwhile never shifts them."
    ),
)
def list_messages(
    request: HttpRequest,
    number: int,
    before: str | None = Query(
        None, description="X-Next-Cursor of the previous answer: the messages before it"
    ),
    limit: int = Query(API_MESSAGES, ge=1, le=API_MAX_MESSAGES, description="messages per page"),
) -> HttpResponse:
    user = current_user(request)
    ticket = access_ticket(user, number)
    window = message_window(user, ticket, before=before, limit=limit)
    # One query for the deliveries of the page's messages; customers are not shown them.
    ids = [m.pk for m in window.messages]
    deliveries = latest_deliveries(ids) if user.is_agent else {}
    rows = [
        message_out(m, number=ticket.number, delivery=deliveries.get(m.pk)) for m in window.messages
    ]
    response = json_response(rows)
    if window.earlier:
        response["X-Next-Cursor"] = window.earlier
        query = f"before={window.earlier}&limit={limit}"
        response["Link"] = f'</api/v1/tickets/{ticket.number}/messages?{query}>; rel="next"'
    return response


@router.post(
    "/tickets/{number}/messages",
    response={201: MessageOut, **ERRORS},
    summary="Add a public reply or an internal note",
    openapi_extra=body_doc(MessageCreate, with_files=True),
)
def add_message(request: HttpRequest, number: int) -> Status[dict[str, Any]]:
    user = current_user(request)
    ticket = access_ticket(user, number)
    payload, files = parse_input(request, MessageCreate)
    message = actions.add_message(
        ticket,
        by=user,
        body=payload.body,
        body_html=payload.body_html,
        internal=payload.internal,
        channel=reply_channel(user),
        attachments=files,
    )
    [row] = added_rows([(message, ticket.number, user)], with_files=bool(files))
    return json_response(row, status=201)  # type: ignore[return-value]


def reply_channel(user: User) -> str:
    """The channel of a message written through the API."""
    return Channel.API if user.is_agent else Channel.WEB


def added_rows(
    added: list[tuple[Message, int, User]], *, with_files: bool = False
) -> list[dict[str, Any]]:
    """The answers to added messages (message, its ticket's number, its author), after
    commit: an agent's public reply shows how it goes to the customer (one query for
    all of them)."""
    shown = [m.pk for m, _number, user in added if user.is_agent and not m.internal]
    deliveries = latest_deliveries(shown) if shown else {}
    return [
        message_out(m, number=number, with_files=with_files, delivery=deliveries.get(m.pk))
        for m, number, _user in added
    ]


@router.post(
    "/tickets/{number}/deliveries/{delivery_id}/retry",
    response={200: DeliveryOut, **ERRORS},
    summary="Send a failed reply again (agents)",
    operation_id="opora_api_tickets_retry_delivery",
)
def retry_delivery_endpoint(request: HttpRequest, number: int, delivery_id: int) -> dict[str, Any]:
    user = current_user(request)
    found = access_delivery(user, number, delivery_id)
    row = delivery_out(retry_delivery(found, by=user))
    assert row is not None
    return row


@router.get(
    "/tickets/{number}/events",
    response={200: list[EventOut], **ERRORS},
    summary="The ticket's audit history (agents)",
)
def list_events(request: HttpRequest, number: int) -> list[dict[str, Any]]:
    user = current_user(request)
    ticket = access_ticket(user, number)
    if not user.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("only agents may read the history"))
    return [
        {
            "id": e.pk,
            "kind": e.kind,
            "actor": _user_ref(e.actor),
            "old": e.old,
            "new": e.new,
            "data": e.data,
            "created_at": e.created_at,
        }
        for e in ticket.events.select_related("actor").order_by("created_at", "id")
    ]


@router.get("/attachments/{attachment_id}", response={404: ErrorOut}, summary="Download a file")
def download_attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    user = current_user(request)
    attachment = access_attachment(user, attachment_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get(
    "/tickets/{number}/messages/{message_id}/original",
    response={404: ErrorOut},
    summary="Download the e-mail a message came from",
    description="The message exactly as it was received (message/rfc822), quoted history "
    "and all. Agents who can see the ticket; a customer only for mail she sent herself.",
)
def message_original(request: HttpRequest, number: int, message_id: int) -> HttpResponse:
    raw = access_raw_message(current_user(request), number, message_id)
    response = HttpResponse(bytes(raw.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{message_id}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


__all__ = ["StatusName", "router", "ticket_out"]
