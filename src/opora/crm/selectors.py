"""Reads of customer records and the permission helpers for them.

Who may do what: administrators define fields, forms and contracts and import; agents
(and admins) read records and edit values, tags and notes; customers see only the
fields of their own tickets' forms, in the portal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, Max, Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from opora.accounts.models import Organization, Role, User
from opora.core.errors import Forbidden, NotFound, ValidationFailed
from opora.crm import errors
from opora.crm.fields import display, parse_value
from opora.crm.models import (
    Contract,
    FieldDefinition,
    ImportJob,
    Note,
    Target,
    TicketForm,
    TicketFormField,
)
from opora.feedback.models import Rating
from opora.tickets.models import Message, Ticket, TicketType

NOTES_SHOWN = 50


def require_admin(user: User) -> None:
    if not (user.is_active and user.is_admin):
        raise Forbidden(errors.ADMINS_ONLY, _("Only administrators may do this."))


def require_agent(user: User) -> None:
    if not (user.is_active and user.is_agent):
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may do this."))


def definitions(target: str, *, active_only: bool = True) -> list[FieldDefinition]:
    """The fields of one kind of record, in their order (one query)."""
    found = FieldDefinition.objects.filter(target=target)
    if active_only:
        found = found.filter(is_active=True)
    return list(found.order_by("position", "id"))


def all_definitions(user: User) -> list[FieldDefinition]:
    require_agent(user)
    return list(FieldDefinition.objects.order_by("target", "position", "id"))


def access_definition(user: User, field_id: int) -> FieldDefinition:
    require_admin(user)
    found = FieldDefinition.objects.filter(pk=field_id).first()
    if found is None:
        raise NotFound(_("field"))
    return found


@dataclass(frozen=True)
class ShownField:
    """A field with its value, for a page: key, label, kind, value as stored and shown."""

    definition: FieldDefinition
    value: Any
    shown: str
    required: bool

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def label(self) -> str:
        return self.definition.label(get_language() or "en")


def shown_fields(
    defs: list[FieldDefinition],
    values: dict[str, Any],
    language: str,
    *,
    required: frozenset[str] = frozenset(),
) -> list[ShownField]:
    return [
        ShownField(
            d,
            values.get(d.key),
            display(d, values.get(d.key), language),
            d.required or d.key in required,
        )
        for d in defs
    ]


# Ticket forms -----------------------------------------------------------------------


@dataclass(frozen=True)
class FormSpec:
    """What a ticket type asks for: its fields in order and which of them are required."""

    ticket_type: str
    fields: list[FieldDefinition]
    required: frozenset[str]


def ticket_form(ticket_type: str) -> FormSpec:
    """The active form of a type (no fields when it has none): one query."""
    items = list(
        TicketFormField.objects.filter(
            form__ticket_type=ticket_type, form__is_active=True, definition__is_active=True
        )
        .select_related("definition")
        .order_by("position", "id")
    )
    return FormSpec(
        ticket_type,
        [i.definition for i in items],
        frozenset(i.definition.key for i in items if i.required),
    )


def ticket_forms() -> dict[str, FormSpec]:
    """Every type's active form, for the portal's page that switches between them."""
    found: dict[str, FormSpec] = {}
    items = (
        TicketFormField.objects.filter(form__is_active=True, definition__is_active=True)
        .select_related("definition", "form")
        .order_by("position", "id")
    )
    grouped: dict[str, list[TicketFormField]] = {}
    for item in items:
        grouped.setdefault(item.form.ticket_type, []).append(item)
    for ticket_type in TicketType.values:
        group = grouped.get(ticket_type, [])
        found[ticket_type] = FormSpec(
            ticket_type,
            [i.definition for i in group],
            frozenset(i.definition.key for i in group if i.required),
        )
    return found


def all_forms(user: User) -> list[TicketForm]:
    require_agent(user)
    return list(TicketForm.objects.prefetch_related("items__definition").order_by("ticket_type"))


def ticket_fields_for(viewer: User, ticket: Ticket) -> list[FieldDefinition]:
    """The fields a person sees on a ticket: agents every ticket field, customers only
    the fields of the ticket type's form (precondition: the viewer may see the ticket)."""
    if viewer.is_agent:
        return definitions(Target.TICKET)
    return ticket_form(ticket.type).fields


# Notes --------------------------------------------------------------------------------


def notes_of(
    viewer: User, *, customer: User | None = None, org: Organization | None = None
) -> list[Note]:
    require_agent(viewer)
    found = Note.objects.select_related("author")
    if customer is not None:
        found = found.filter(customer=customer)
    else:
        found = found.filter(organization=org)
    return list(found.order_by("-created_at", "-id")[:NOTES_SHOWN])


# Contracts -------------------------------------------------------------------------------


def contract_of(
    *, customer: User | None = None, org: Organization | None = None
) -> Contract | None:
    found = Contract.objects.select_related("support_hours", "sla_policy")
    if customer is not None:
        return found.filter(customer=customer).first()
    return found.filter(organization=org).first()


def access_organization(viewer: User, organization_id: int) -> Organization:
    require_agent(viewer)
    found = Organization.objects.filter(pk=organization_id).first()
    if found is None:
        raise NotFound(_("organization"))
    return found


def access_customer(viewer: User, user_id: int) -> User:
    require_agent(viewer)
    found = (
        User.objects.select_related("organization").filter(pk=user_id, role=Role.CUSTOMER).first()
    )
    if found is None:
        raise NotFound(_("customer"))
    return found


# Lifetime stats ------------------------------------------------------------------------


@dataclass(frozen=True)
class Lifetime:
    tickets: int
    open_tickets: int
    complaints: int
    csat_average: float | None
    ratings: int
    last_contact: datetime | None


def lifetime(*, customer: User | None = None, org: Organization | None = None) -> Lifetime:
    """A customer's (or an organization's) whole story in numbers: three queries,
    whatever the number of tickets (tickets by kind; ratings; the latest message)."""
    tickets = Ticket.objects.filter(merged_into__isnull=True)
    tickets = (
        tickets.filter(requester=customer)
        if customer is not None
        else tickets.filter(organization=org)
    )
    counts = tickets.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status__in=["new", "open", "pending", "on_hold"])),
        complaints=Count("id", filter=Q(type=TicketType.COMPLAINT)),
    )
    rated = Rating.objects.filter(ticket__in=tickets.values("id")).aggregate(
        average=Avg("score"), count=Count("pk")
    )
    messages = Message.objects.filter(ticket__in=tickets.values("id"), internal=False)
    if customer is not None:
        messages = messages.filter(author=customer)
    else:
        messages = messages.filter(author__organization=org)
    last = messages.aggregate(last=Max("created_at"))["last"]
    average = rated["average"]
    return Lifetime(
        tickets=counts["total"],
        open_tickets=counts["open"],
        complaints=counts["complaints"],
        csat_average=round(float(average), 2) if average is not None else None,
        ratings=rated["count"],
        last_contact=last,
    )


# Imports ------------------------------------------------------------------------------


def access_import(user: User, job_id: int) -> ImportJob:
    require_admin(user)
    found = ImportJob.objects.filter(pk=job_id).first()
    if found is None:
        raise NotFound(_("import"))
    return found


def recent_imports(user: User) -> list[ImportJob]:
    require_admin(user)
    return list(ImportJob.objects.defer("rows").order_by("-created_at", "-id")[:20])


def form_keys_by_type() -> dict[str, frozenset[str]]:
    """Per ticket type, the keys of its active form's fields: what a customer may see of
    a ticket's values (one query)."""
    found: dict[str, set[str]] = {}
    rows = TicketFormField.objects.filter(
        form__is_active=True, definition__is_active=True
    ).values_list("form__ticket_type", "definition__key")
    for ticket_type, key in rows:
        found.setdefault(ticket_type, set()).add(key)
    return {k: frozenset(v) for k, v in found.items()}


def field_filters(viewer: User, terms: list[str]) -> dict[str, Any]:
    """ORM filters for `key:value` terms on ticket fields (a JSON key lookup; numbers
    compared as numbers). Customers may filter only by fields their forms show."""
    defs = {d.key: d for d in definitions(Target.TICKET)}
    allowed = set(defs) if viewer.is_agent else set().union(*form_keys_by_type().values())
    filters: dict[str, Any] = {}
    for term in terms:
        key, sep, raw = term.partition(":")
        if not sep or key not in defs or key not in allowed:
            raise ValidationFailed(
                errors.UNKNOWN_FIELD,
                _("Filter by field as key:value with a ticket field's key."),
                field="field",
            )
        value = parse_value(defs[key], raw)
        filters[f"custom_fields__{key}"] = value
    return filters


@dataclass(frozen=True)
class FieldInput:
    """One input of a page's form for a custom field (`name` is the form's key)."""

    key: str
    name: str
    label: str
    kind: str
    value: str
    options: list[tuple[str, str]]
    required: bool
    error: str = ""


def field_inputs(
    defs: list[FieldDefinition],
    values: dict[str, Any],
    language: str,
    *,
    prefix: str = "cf_",
    required: frozenset[str] = frozenset(),
    errors_by_key: dict[str, str] | None = None,
) -> list[FieldInput]:
    """The inputs of these fields, filled with `values` (stored or as posted)."""
    found = errors_by_key or {}
    return [
        FieldInput(
            key=d.key,
            name=f"{prefix}{d.key}",
            label=d.label(language),
            kind=d.kind,
            value="" if values.get(d.key) is None else str(values.get(d.key)),
            options=[
                (str(o["value"]), str(o["ru"] if language == "ru" else o["en"])) for o in d.options
            ],
            required=d.required or d.key in required,
            error=found.get(d.key, ""),
        )
        for d in defs
    ]


def posted_values(defs: list[FieldDefinition], data: Any, *, prefix: str = "cf_") -> dict[str, str]:
    """The values a page's form posted for these fields, by key (as typed)."""
    return {d.key: str(data.get(f"{prefix}{d.key}", "")) for d in defs}


def type_form_inputs(
    forms: dict[str, FormSpec],
    chosen: str,
    posted: dict[str, dict[str, str]],
    language: str,
    errors_by_key: dict[str, str],
) -> list[dict[str, Any]]:
    """For a new ticket's page: each type's form fields (`cf_<type>_<key>`), the chosen
    type's marked shown and carrying the errors of the last attempt."""
    return [
        {
            "type": ticket_type,
            "label": TicketType(ticket_type).label,
            "shown": ticket_type == chosen,
            "items": field_inputs(
                spec.fields,
                posted.get(ticket_type, {}),
                language,
                prefix=f"cf_{ticket_type}_",
                required=spec.required,
                errors_by_key=errors_by_key if ticket_type == chosen else None,
            ),
        }
        for ticket_type, spec in forms.items()
        if spec.fields
    ]


def posted_type_values(forms: dict[str, FormSpec], ticket_type: str, data: Any) -> dict[str, str]:
    """What a new ticket's page posted for the fields of its type's form."""
    spec = forms.get(ticket_type)
    if spec is None:
        return {}
    return posted_values(spec.fields, data, prefix=f"cf_{ticket_type}_")
