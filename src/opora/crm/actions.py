"""Every write of customer records: one transaction each, with its audit entry.

Administrators' set-up (fields, forms, contracts) and agents' edits of customers and
organizations (values, tags, notes) are `AdminChange` rows of the area "crm"; a
ticket's values are a ticket event, in the ticket's history like any other change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import Organization, Role, User
from opora.core import audit, clock
from opora.core.errors import NotFound, ValidationFailed
from opora.crm import errors
from opora.crm.fields import check_values
from opora.crm.models import (
    Contract,
    FieldDefinition,
    FieldKind,
    Note,
    Target,
    TicketForm,
    TicketFormField,
)
from opora.crm.selectors import definitions, require_admin, require_agent, ticket_form
from opora.sla import config as sla_config
from opora.sla.models import BusinessCalendar, SlaPolicy
from opora.tickets.events import ticket_fields_changed_event
from opora.tickets.models import Ticket, TicketType

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FIELD_FIELDS = (
    "target",
    "key",
    "label_en",
    "label_ru",
    "kind",
    "options",
    "required",
    "min_value",
    "max_value",
    "position",
    "is_active",
)
CONTRACT_FIELDS = ("plan", "support_hours", "sla_policy", "post_warranty", "expires_on")
# What the SLA clock reads of a contract, copied onto its holder's row.
HOLDER_TERMS = ["contract_policy_id", "contract_calendar_id", "contract_expires_on"]
MAX_OPTIONS = 100
MAX_TAGS = 30
MAX_NOTE = 5000


# Field definitions ---------------------------------------------------------------------


def _clean_options(kind: str, options: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    if kind != FieldKind.CHOICE:
        return []
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for option in options[: MAX_OPTIONS + 1]:
        value = str(option.get("value", "")).strip()[:60]
        en = str(option.get("en", "") or value).strip()[:120]
        ru = str(option.get("ru", "") or en).strip()[:120]
        if not value or value in seen:
            raise ValidationFailed(
                errors.BAD_OPTIONS,
                _("Each option needs a value of its own."),
                field="options",
            )
        seen.add(value)
        cleaned.append({"value": value, "en": en, "ru": ru})
    if not cleaned or len(cleaned) > MAX_OPTIONS:
        raise ValidationFailed(
            errors.BAD_OPTIONS,
            _("A dropdown needs from 1 to %(count)d options.") % {"count": MAX_OPTIONS},
            field="options",
        )
    return cleaned


def _apply_field(definition: FieldDefinition, values: Mapping[str, Any]) -> None:
    for name in ("label_en", "label_ru"):
        text = str(values.get(name, getattr(definition, name)) or "").strip()
        if name in values or not getattr(definition, name):
            setattr(definition, name, text[:120])
    if not definition.label_en:
        raise ValidationFailed(errors.REQUIRED, _("A label is required."), field="label_en")
    definition.label_ru = definition.label_ru or definition.label_en
    if "kind" in values:
        if values["kind"] not in FieldKind.values:
            raise ValidationFailed(errors.BAD_VALUE, _("Unknown kind of field."), field="kind")
        definition.kind = values["kind"]
    if "options" in values or definition.kind != FieldKind.CHOICE:
        definition.options = _clean_options(definition.kind, values.get("options") or [])
    for name in ("required", "is_active"):
        if name in values:
            setattr(definition, name, bool(values[name]))
    for name in ("min_value", "max_value"):
        if name in values:
            raw = values[name]
            setattr(definition, name, None if raw is None or raw == "" else float(raw))
    if definition.kind != FieldKind.NUMBER:
        definition.min_value = definition.max_value = None
    low, high = definition.min_value, definition.max_value
    if low is not None and high is not None and low > high:
        raise ValidationFailed(
            errors.BAD_RANGE, _("The smallest number is above the largest."), field="min_value"
        )
    if "position" in values and values["position"] is not None:
        definition.position = max(0, min(int(values["position"]), 100_000))


@transaction.atomic
def create_field(*, by: User, target: str, key: str, **values: Any) -> FieldDefinition:
    require_admin(by)
    if target not in Target.values:
        raise ValidationFailed(errors.BAD_VALUE, _("Unknown kind of record."), field="target")
    key = (key or "").strip().lower()
    if not KEY.match(key):
        raise ValidationFailed(
            errors.BAD_KEY,
            _("A key is 1-40 lower-case Latin letters, digits and _, starting with a letter."),
            field="key",
        )
    if FieldDefinition.objects.filter(target=target, key=key).exists():
        raise ValidationFailed(errors.KEY_TAKEN, _("This key is already used."), field="key")
    now = clock.now()
    definition = FieldDefinition(target=target, key=key, created_at=now, updated_at=now)
    values.setdefault("kind", FieldKind.TEXT)
    _apply_field(definition, values)
    definition.save()
    audit.record_change(
        actor=by,
        area="crm",
        action="created",
        target=definition,
        label=definition.key,
        changes=audit.snapshot(definition, FIELD_FIELDS),
    )
    return definition


@transaction.atomic
def update_field(definition: FieldDefinition, *, by: User, **values: Any) -> FieldDefinition:
    """Change a field's labels, options, limits, order or state (not its key or target:
    the stored values are named by them)."""
    require_admin(by)
    definition = FieldDefinition.objects.select_for_update().get(pk=definition.pk)
    before = audit.snapshot(definition, FIELD_FIELDS)
    _apply_field(definition, values)
    definition.updated_at = clock.now()
    definition.save()
    audit.record_change(
        actor=by,
        area="crm",
        action="changed",
        target=definition,
        label=definition.key,
        changes=audit.diff(before, audit.snapshot(definition, FIELD_FIELDS)),
    )
    return definition


@transaction.atomic
def delete_field(definition: FieldDefinition, *, by: User) -> None:
    """Remove the definition; values already stored stay in the records' JSON (shown
    nowhere, kept for an export or a field defined again with the key)."""
    require_admin(by)
    audit.record_change(
        actor=by,
        area="crm",
        action="deleted",
        target=definition,
        label=definition.key,
        changes=audit.snapshot(definition, FIELD_FIELDS),
    )
    definition.delete()


# Ticket forms ------------------------------------------------------------------------------


@transaction.atomic
def set_ticket_form(
    *, by: User, ticket_type: str, items: Sequence[tuple[str, bool]], is_active: bool = True
) -> TicketForm:
    """The form of one ticket type: `items` are (field key, required) in order."""
    require_admin(by)
    if ticket_type not in TicketType.values:
        raise ValidationFailed(errors.BAD_VALUE, _("Unknown ticket type."), field="ticket_type")
    by_key = {d.key: d for d in definitions(Target.TICKET, active_only=False)}
    keys = [key for key, _required in items]
    for key in keys:
        if key not in by_key:
            raise ValidationFailed(
                errors.NOT_A_TICKET_FIELD,
                _("There is no ticket field %(key)s.") % {"key": str(key)[:60]},
                field="fields",
            )
    if len(set(keys)) != len(keys):
        raise ValidationFailed(errors.DUPLICATE, _("A field is listed twice."), field="fields")
    now = clock.now()
    form, created = TicketForm.objects.select_for_update().get_or_create(
        ticket_type=ticket_type, defaults={"created_at": now, "updated_at": now}
    )
    before: dict[str, Any] = {
        "fields": [[i.definition.key, i.required] for i in form.items.select_related("definition")],
        "is_active": form.is_active,
    }
    form.is_active = is_active
    form.updated_at = now
    form.save()
    form.items.all().delete()
    TicketFormField.objects.bulk_create(
        TicketFormField(form=form, definition=by_key[key], required=required, position=n)
        for n, (key, required) in enumerate(items)
    )
    after = {"fields": [[key, required] for key, required in items], "is_active": is_active}
    audit.record_change(
        actor=by,
        area="crm",
        action="created" if created else "changed",
        target=form,
        label=ticket_type,
        changes=audit.diff(before, after),
    )
    return form


# Values ----------------------------------------------------------------------------------------


@transaction.atomic
def set_customer_fields(customer: User, values: Mapping[str, Any], *, by: User) -> User:
    require_agent(by)
    customer = User.objects.select_for_update().get(pk=customer.pk)
    checked = check_values(definitions(Target.CUSTOMER), customer.custom_fields or {}, values)
    if checked.changed:
        customer.custom_fields = checked.values
        customer.save(update_fields=["custom_fields"])
        audit.record_change(
            actor=by,
            area="crm",
            action="changed",
            target=customer,
            label=customer.email,
            changes={f"custom_fields.{k}": v for k, v in checked.changed.items()},
        )
    return customer


@transaction.atomic
def set_organization_fields(
    org: Organization, values: Mapping[str, Any], *, by: User
) -> Organization:
    require_agent(by)
    org = Organization.objects.select_for_update().get(pk=org.pk)
    checked = check_values(definitions(Target.ORGANIZATION), org.custom_fields or {}, values)
    if checked.changed:
        org.custom_fields = checked.values
        org.save(update_fields=["custom_fields"])
        audit.record_change(
            actor=by,
            area="crm",
            action="changed",
            target=org,
            label=org.name,
            changes={f"custom_fields.{k}": v for k, v in checked.changed.items()},
        )
    return org


def check_new_ticket_fields(ticket_type: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values a new ticket of this type stores: its form's fields only, its required
    ones present, each valid. Called before the ticket is opened, so a refusal opens
    nothing."""
    form = ticket_form(ticket_type)
    allowed = form.fields
    return check_values(allowed, {}, values, required=form.required, partial=False).values


@transaction.atomic
def set_ticket_fields(ticket: Ticket, values: Mapping[str, Any], *, by: User) -> Ticket:
    """Agents change a ticket's values (any ticket field; the type's form's required
    fields must keep a value). Precondition: `by` may see the ticket."""
    require_agent(by)
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("team").get(pk=ticket.pk)
    form = ticket_form(ticket.type)
    checked = check_values(
        definitions(Target.TICKET), ticket.custom_fields or {}, values, required=form.required
    )
    if checked.changed:
        ticket.custom_fields = checked.values
        ticket.updated_at = clock.now()
        ticket.save(update_fields=["custom_fields", "updated_at"])
        ticket_fields_changed_event(ticket=ticket, by=by, changed=checked.changed)
    return ticket


# Tags -----------------------------------------------------------------------------------


def clean_tags(tags: Sequence[str]) -> list[str]:
    cleaned = sorted({str(t).strip().lower()[:40] for t in tags if str(t).strip()})
    if len(cleaned) > MAX_TAGS:
        raise ValidationFailed(
            errors.BAD_VALUE, _("At most %(count)d tags.") % {"count": MAX_TAGS}, field="tags"
        )
    return cleaned


@transaction.atomic
def set_record_tags(
    *, by: User, tags: Sequence[str], customer: User | None = None, org: Organization | None = None
) -> list[str]:
    require_agent(by)
    record: User | Organization
    if customer is not None:
        record = User.objects.select_for_update().get(pk=customer.pk)
        label = record.email
    elif org is not None:
        record = Organization.objects.select_for_update().get(pk=org.pk)
        label = record.name
    else:
        raise NotFound()
    cleaned = clean_tags(tags)
    if cleaned != list(record.tags or []):
        before = list(record.tags or [])
        record.tags = cleaned
        record.save(update_fields=["tags"])
        audit.record_change(
            actor=by,
            area="crm",
            action="changed",
            target=record,
            label=label,
            changes={"tags": [before, cleaned]},
        )
    return cleaned


# Notes ----------------------------------------------------------------------------------


@transaction.atomic
def add_note(
    *, by: User, body: str, customer: User | None = None, org: Organization | None = None
) -> Note:
    require_agent(by)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(errors.REQUIRED, _("Write the note first."), field="body")
    if len(body) > MAX_NOTE:
        raise ValidationFailed(
            errors.TOO_LONG, _("At most %(count)d characters.") % {"count": MAX_NOTE}, field="body"
        )
    note = Note.objects.create(
        customer=customer, organization=org, author=by, body=body, created_at=clock.now()
    )
    audit.record_change(
        actor=by,
        area="crm",
        action="created",
        target=note,
        label=customer.email if customer is not None else org.name if org else "",
        changes={"body": body, "customer": note.customer_id, "organization": note.organization_id},
    )
    return note


@transaction.atomic
def delete_note(note: Note, *, by: User) -> None:
    """The author or an administrator removes a note."""
    require_agent(by)
    if not (by.is_admin or note.author_id == by.pk):
        require_admin(by)
    audit.record_change(
        actor=by,
        area="crm",
        action="deleted",
        target=note,
        changes={
            "body": note.body,
            "customer": note.customer_id,
            "organization": note.organization_id,
        },
    )
    note.delete()


# Contracts -----------------------------------------------------------------------------


@transaction.atomic
def set_contract(
    *,
    by: User,
    plan: str,
    customer: User | None = None,
    org: Organization | None = None,
    support_hours: int | None = None,
    sla_policy: int | None = None,
    post_warranty: bool = False,
    expires_on: date | None = None,
) -> Contract:
    """Create or change the contract of an organization or of a customer. Its policy is
    written onto the holder's row too, where the SLA clock reads it for new tickets."""
    require_admin(by)
    plan = (plan or "").strip()
    if not plan:
        raise ValidationFailed(errors.REQUIRED, _("Name the plan."), field="plan")
    if len(plan) > 120:
        raise ValidationFailed(
            errors.TOO_LONG, _("At most %(count)d characters.") % {"count": 120}, field="plan"
        )
    if support_hours is not None and not BusinessCalendar.objects.filter(pk=support_hours).exists():
        raise ValidationFailed(
            errors.UNKNOWN_CALENDAR, _("There is no such calendar."), field="support_hours"
        )
    if sla_policy is not None and not SlaPolicy.objects.filter(pk=sla_policy).exists():
        raise ValidationFailed(
            errors.UNKNOWN_POLICY, _("There is no such SLA policy."), field="sla_policy"
        )
    holder: User | Organization
    if customer is not None:
        if customer.role != Role.CUSTOMER:
            raise ValidationFailed(
                errors.NOT_A_CUSTOMER, _("Only customers have contracts."), field="customer"
            )
        holder = User.objects.select_for_update().get(pk=customer.pk)
        found = Contract.objects.filter(customer=holder).first()
        label = holder.email
    elif org is not None:
        holder = Organization.objects.select_for_update().get(pk=org.pk)
        found = Contract.objects.filter(organization=holder).first()
        label = holder.name
    else:
        raise NotFound()
    contract = found or Contract(
        customer=holder if isinstance(holder, User) else None,
        organization=holder if isinstance(holder, Organization) else None,
    )
    before = audit.snapshot(contract, CONTRACT_FIELDS) if found else {}
    contract.plan = plan
    contract.support_hours_id = support_hours
    contract.sla_policy_id = sla_policy
    contract.post_warranty = post_warranty
    contract.expires_on = expires_on
    contract.updated_at = clock.now()
    contract.save()
    holder.contract_policy_id = sla_policy
    holder.contract_calendar_id = support_hours
    holder.contract_expires_on = expires_on
    holder.save(update_fields=HOLDER_TERMS)
    sla_config.configuration_changed()
    audit.record_change(
        actor=by,
        area="crm",
        action="changed" if found else "created",
        target=contract,
        label=label,
        changes=audit.diff(before, audit.snapshot(contract, CONTRACT_FIELDS)),
    )
    return contract


@transaction.atomic
def remove_contract(contract: Contract, *, by: User) -> None:
    require_admin(by)
    holder: User | Organization | None = contract.customer or contract.organization
    if holder is not None:
        holder.contract_policy_id = None
        holder.contract_calendar_id = None
        holder.contract_expires_on = None
        holder.save(update_fields=HOLDER_TERMS)
    audit.record_change(
        actor=by,
        area="crm",
        action="deleted",
        target=contract,
        changes=audit.snapshot(contract, CONTRACT_FIELDS),
    )
    contract.delete()
    sla_config.configuration_changed()
