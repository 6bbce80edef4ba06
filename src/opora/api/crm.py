"""Customer records: admin-defined fields, ticket forms, notes, tags, lifetime stats,
contracts, and CSV import and export of customers and organizations.

Two routers: set-up (fields, forms, contracts, imports; writes need the `admin`
scope) and records (values, tags, notes; ticket work, the `tickets` scope).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import StrictFloat, StrictInt, StrictStr

from opora.accounts.models import Organization, User
from opora.api.common import ErrorOut, StrictInput, UserRef, current_user
from opora.core import clock
from opora.core.errors import NotFound, TooLarge
from opora.crm import actions, errors, importing, selectors
from opora.crm.models import Contract, FieldDefinition, ImportJob, Note
from opora.tickets.selectors import access_ticket

router = Router(tags=["customer records"])
records_router = Router(tags=["customer records"])
ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
}
TargetName = Literal["customer", "organization", "ticket"]
KindName = Literal["text", "number", "date", "choice"]
Value = str | int | float
# Input values keep their JSON type: true is not the number 1.
ValueIn = StrictStr | StrictInt | StrictFloat | None


# Fields -----------------------------------------------------------------------------------


class OptionIn(StrictInput):
    value: str = Field(max_length=60)
    en: str = Field("", max_length=120)
    ru: str = Field("", max_length=120)


class FieldIn(StrictInput):
    target: TargetName
    key: str = Field(max_length=40, description="lower-case letters, digits, _; fixed once made")
    label_en: str = Field(max_length=120)
    label_ru: str = Field("", max_length=120)
    kind: KindName = "text"
    options: list[OptionIn] = Field(default_factory=list, max_length=100)
    required: bool = False
    min_value: float | None = None
    max_value: float | None = None
    position: int = Field(100, ge=0, le=100_000)
    is_active: bool = True


class FieldChange(StrictInput):
    label_en: str | None = Field(None, max_length=120)
    label_ru: str | None = Field(None, max_length=120)
    kind: KindName | None = None
    options: list[OptionIn] | None = Field(None, max_length=100)
    required: bool | None = None
    min_value: float | None = None
    max_value: float | None = None
    position: int | None = Field(None, ge=0, le=100_000)
    is_active: bool | None = None


class OptionOut(Schema):
    value: str
    en: str
    ru: str


class FieldOut(Schema):
    id: int
    target: TargetName
    key: str
    label_en: str
    label_ru: str
    kind: KindName
    options: list[OptionOut]
    required: bool
    min_value: float | None
    max_value: float | None
    position: int
    is_active: bool


def field_out(d: FieldDefinition) -> dict[str, Any]:
    return {
        "id": d.pk,
        "target": d.target,
        "key": d.key,
        "label_en": d.label_en,
        "label_ru": d.label_ru,
        "kind": d.kind,
        "options": d.options,
        "required": d.required,
        "min_value": d.min_value,
        "max_value": d.max_value,
        "position": d.position,
        "is_active": d.is_active,
    }


@router.get(
    "/fields",
    response={200: list[FieldOut], **ERRORS},
    summary="List custom fields (agents)",
    operation_id="opora_api_crm_fields_list",
)
def list_fields(request: HttpRequest, target: TargetName | None = None) -> list[dict[str, Any]]:
    found = selectors.all_definitions(current_user(request))
    return [field_out(d) for d in found if target is None or d.target == target]


@router.post(
    "/fields",
    response={201: FieldOut, **ERRORS},
    summary="Define a custom field (administrators)",
    operation_id="opora_api_crm_fields_create",
)
def create_field(request: HttpRequest, payload: FieldIn) -> Status[dict[str, Any]]:
    values = payload.model_dump()
    values["options"] = [o.model_dump() for o in payload.options]
    target, key = values.pop("target"), values.pop("key")
    definition = actions.create_field(by=current_user(request), target=target, key=key, **values)
    return Status(201, field_out(definition))


@router.patch(
    "/fields/{field_id}",
    response={200: FieldOut, **ERRORS},
    summary="Change a custom field (administrators)",
    operation_id="opora_api_crm_fields_update",
)
def update_field(request: HttpRequest, field_id: int, payload: FieldChange) -> dict[str, Any]:
    user = current_user(request)
    definition = selectors.access_definition(user, field_id)
    values = payload.model_dump(exclude_unset=True)
    if payload.options is not None:
        values["options"] = [o.model_dump() for o in payload.options]
    return field_out(actions.update_field(definition, by=user, **values))


@router.delete(
    "/fields/{field_id}",
    response={204: None, **ERRORS},
    summary="Delete a custom field (stored values stay in the records)",
    operation_id="opora_api_crm_fields_delete",
)
def delete_field(request: HttpRequest, field_id: int) -> Status[None]:
    user = current_user(request)
    actions.delete_field(selectors.access_definition(user, field_id), by=user)
    return Status(204, None)


# Ticket forms ----------------------------------------------------------------------------


class FormFieldIn(StrictInput):
    key: str = Field(max_length=40)
    required: bool = False


class FormIn(StrictInput):
    fields: list[FormFieldIn] = Field(max_length=50)
    is_active: bool = True


class FormFieldOut(Schema):
    key: str
    label_en: str
    label_ru: str
    kind: KindName
    options: list[OptionOut]
    required: bool


class FormOut(Schema):
    ticket_type: str
    fields: list[FormFieldOut]


def form_out(spec: selectors.FormSpec) -> dict[str, Any]:
    return {
        "ticket_type": spec.ticket_type,
        "fields": [
            {
                "key": d.key,
                "label_en": d.label_en,
                "label_ru": d.label_ru,
                "kind": d.kind,
                "options": d.options,
                "required": d.required or d.key in spec.required,
            }
            for d in spec.fields
        ],
    }


@router.get(
    "/ticket-forms",
    response={200: list[FormOut], **ERRORS},
    summary="What each ticket type asks for (anyone signed in: the portal's form)",
    operation_id="opora_api_crm_forms_list",
)
def list_forms(request: HttpRequest) -> list[dict[str, Any]]:
    current_user(request)
    return [form_out(spec) for spec in selectors.ticket_forms().values()]


@router.put(
    "/ticket-forms/{ticket_type}",
    response={200: FormOut, **ERRORS},
    summary="Set the fields a ticket type asks for (administrators)",
    operation_id="opora_api_crm_forms_set",
)
def set_form(request: HttpRequest, ticket_type: str, payload: FormIn) -> dict[str, Any]:
    actions.set_ticket_form(
        by=current_user(request),
        ticket_type=ticket_type,
        items=[(f.key, f.required) for f in payload.fields],
        is_active=payload.is_active,
    )
    return form_out(selectors.ticket_form(ticket_type))


# Ticket values ---------------------------------------------------------------------------


class ValuesIn(StrictInput):
    custom_fields: dict[str, ValueIn] = Field(
        description='values by field key; null or "" removes one; keys not named stay'
    )


class TicketValuesOut(Schema):
    number: int
    custom_fields: dict[str, Value]


@records_router.patch(
    "/tickets/{number}/fields",
    response={200: TicketValuesOut, **ERRORS},
    summary="Change a ticket's custom field values (agents)",
    operation_id="opora_api_crm_ticket_fields",
)
def set_ticket_fields(request: HttpRequest, number: int, payload: ValuesIn) -> dict[str, Any]:
    user = current_user(request)
    ticket = access_ticket(user, number)
    ticket = actions.set_ticket_fields(ticket, payload.custom_fields, by=user)
    return {"number": ticket.number, "custom_fields": ticket.custom_fields}


# Records: customers and organizations -------------------------------------------------------


class NoteIn(StrictInput):
    body: str = Field(max_length=5000)


class NoteOut(Schema):
    id: int
    body: str
    author: UserRef | None
    created_at: datetime


class StatsOut(Schema):
    tickets: int
    open_tickets: int
    complaints: int = Field(description="tickets of the type complaint")
    csat_average: float | None = Field(description="average rating 1-5, null without ratings")
    ratings: int
    last_contact: datetime | None = Field(description="the latest public message they wrote")


class ContractOut(Schema):
    plan: str
    support_hours: int | None = Field(description="business calendar id")
    sla_policy: int | None
    post_warranty: bool
    expires_on: date | None
    expired: bool


class ContactOut(Schema):
    kind: str
    value: str
    verified: bool


class RecordOut(Schema):
    id: int
    name: str
    custom_fields: dict[str, Value]
    tags: list[str]
    stats: StatsOut
    contract: ContractOut | None
    notes: list[NoteOut]
    contacts: list[ContactOut] = Field(description="customers: every identity, by channel")


class RecordChange(StrictInput):
    custom_fields: dict[str, ValueIn] | None = None
    tags: list[str] | None = Field(None, max_length=30)


def note_out(note: Note) -> dict[str, Any]:
    author = note.author
    return {
        "id": note.pk,
        "body": note.body,
        "author": {"id": author.pk, "email": author.email, "name": author.name} if author else None,
        "created_at": note.created_at,
    }


def contract_out(contract: Contract | None) -> dict[str, Any] | None:
    if contract is None:
        return None
    return {
        "plan": contract.plan,
        "support_hours": contract.support_hours_id,
        "sla_policy": contract.sla_policy_id,
        "post_warranty": contract.post_warranty,
        "expires_on": contract.expires_on,
        "expired": contract.expires_on is not None and contract.expires_on < clock.now().date(),
    }


def _record(
    viewer: User, *, customer: User | None = None, org: Organization | None = None
) -> dict[str, Any]:
    from opora.accounts.identities import identities_of

    record: User | Organization = customer if customer is not None else org  # type: ignore[assignment]
    stats = selectors.lifetime(customer=customer, org=org)
    contacts = (
        [
            {"kind": i.kind, "value": i.value, "verified": bool(i.verified)}
            for i in identities_of(customer)
        ]
        if customer is not None
        else []
    )
    return {
        "id": record.pk,
        "name": customer.display_name if customer is not None else org.name,  # type: ignore[union-attr]
        "custom_fields": record.custom_fields or {},
        "tags": list(record.tags or []),
        "stats": stats.__dict__,
        "contract": contract_out(selectors.contract_of(customer=customer, org=org)),
        "notes": [note_out(n) for n in selectors.notes_of(viewer, customer=customer, org=org)],
        "contacts": contacts,
    }


def _change(
    viewer: User,
    payload: RecordChange,
    *,
    customer: User | None = None,
    org: Organization | None = None,
) -> None:
    from django.db import transaction

    with transaction.atomic():
        if payload.custom_fields is not None:
            if customer is not None:
                actions.set_customer_fields(customer, payload.custom_fields, by=viewer)
            elif org is not None:
                actions.set_organization_fields(org, payload.custom_fields, by=viewer)
        if payload.tags is not None:
            actions.set_record_tags(by=viewer, tags=payload.tags, customer=customer, org=org)


@records_router.get(
    "/customers/{user_id}/record",
    response={200: RecordOut, **ERRORS},
    summary="A customer's record: fields, tags, lifetime stats, contract, notes (agents)",
    operation_id="opora_api_crm_customer_record",
)
def customer_record(request: HttpRequest, user_id: int) -> dict[str, Any]:
    user = current_user(request)
    return _record(user, customer=selectors.access_customer(user, user_id))


@records_router.patch(
    "/customers/{user_id}/record",
    response={200: RecordOut, **ERRORS},
    summary="Change a customer's field values or tags (agents)",
    operation_id="opora_api_crm_customer_record_update",
)
def change_customer_record(
    request: HttpRequest, user_id: int, payload: RecordChange
) -> dict[str, Any]:
    user = current_user(request)
    customer = selectors.access_customer(user, user_id)
    _change(user, payload, customer=customer)
    return _record(user, customer=selectors.access_customer(user, user_id))


@records_router.get(
    "/organizations/{organization_id}/record",
    response={200: RecordOut, **ERRORS},
    summary="An organization's record (agents)",
    operation_id="opora_api_crm_organization_record",
)
def organization_record(request: HttpRequest, organization_id: int) -> dict[str, Any]:
    user = current_user(request)
    return _record(user, org=selectors.access_organization(user, organization_id))


@records_router.patch(
    "/organizations/{organization_id}/record",
    response={200: RecordOut, **ERRORS},
    summary="Change an organization's field values or tags (agents)",
    operation_id="opora_api_crm_organization_record_update",
)
def change_organization_record(
    request: HttpRequest, organization_id: int, payload: RecordChange
) -> dict[str, Any]:
    user = current_user(request)
    org = selectors.access_organization(user, organization_id)
    _change(user, payload, org=org)
    return _record(user, org=selectors.access_organization(user, organization_id))


@records_router.post(
    "/customers/{user_id}/notes",
    response={201: NoteOut, **ERRORS},
    summary="Add an internal note to a customer (agents)",
    operation_id="opora_api_crm_customer_note",
)
def add_customer_note(
    request: HttpRequest, user_id: int, payload: NoteIn
) -> Status[dict[str, Any]]:
    user = current_user(request)
    customer = selectors.access_customer(user, user_id)
    return Status(201, note_out(actions.add_note(by=user, body=payload.body, customer=customer)))


@records_router.post(
    "/organizations/{organization_id}/notes",
    response={201: NoteOut, **ERRORS},
    summary="Add an internal note to an organization (agents)",
    operation_id="opora_api_crm_organization_note",
)
def add_organization_note(
    request: HttpRequest, organization_id: int, payload: NoteIn
) -> Status[dict[str, Any]]:
    user = current_user(request)
    org = selectors.access_organization(user, organization_id)
    return Status(201, note_out(actions.add_note(by=user, body=payload.body, org=org)))


@records_router.delete(
    "/notes/{note_id}",
    response={204: None, **ERRORS},
    summary="Delete a note (its author or an administrator)",
    operation_id="opora_api_crm_note_delete",
)
def delete_note(request: HttpRequest, note_id: int) -> Status[None]:
    user = current_user(request)
    selectors.require_agent(user)
    note = Note.objects.filter(pk=note_id).first()
    if note is None:
        raise NotFound()
    actions.delete_note(note, by=user)
    return Status(204, None)


# Contracts --------------------------------------------------------------------------------


class ContractIn(StrictInput):
    plan: str = Field(max_length=120)
    support_hours: int | None = Field(None, description="business calendar id")
    sla_policy: int | None = Field(None, description="the SLA policy of new tickets")
    post_warranty: bool = False
    expires_on: date | None = Field(None, description="last day; then the default policy applies")


@router.put(
    "/organizations/{organization_id}/contract",
    response={200: ContractOut, **ERRORS},
    summary="Set an organization's contract (administrators)",
    operation_id="opora_api_crm_organization_contract",
)
def set_organization_contract(
    request: HttpRequest, organization_id: int, payload: ContractIn
) -> dict[str, Any] | None:
    user = current_user(request)
    org = selectors.access_organization(user, organization_id)
    return contract_out(actions.set_contract(by=user, org=org, **payload.model_dump()))


@router.put(
    "/customers/{user_id}/contract",
    response={200: ContractOut, **ERRORS},
    summary="Set the contract of a customer without an organization's (administrators)",
    operation_id="opora_api_crm_customer_contract",
)
def set_customer_contract(
    request: HttpRequest, user_id: int, payload: ContractIn
) -> dict[str, Any] | None:
    user = current_user(request)
    customer = selectors.access_customer(user, user_id)
    return contract_out(actions.set_contract(by=user, customer=customer, **payload.model_dump()))


@router.delete(
    "/organizations/{organization_id}/contract",
    response={204: None, **ERRORS},
    summary="End an organization's contract (administrators)",
    operation_id="opora_api_crm_organization_contract_delete",
)
def remove_organization_contract(request: HttpRequest, organization_id: int) -> Status[None]:
    user = current_user(request)
    selectors.require_admin(user)
    org = selectors.access_organization(user, organization_id)
    contract = selectors.contract_of(org=org)
    if contract is None:
        raise NotFound()
    actions.remove_contract(contract, by=user)
    return Status(204, None)


# Import and export -------------------------------------------------------------------------


class ProblemOut(Schema):
    line: int
    code: str
    reason: str


class ImportOut(Schema):
    id: int
    kind: Literal["customers", "organizations"]
    state: Literal["preview", "queued", "running", "done", "failed"]
    filename: str
    encoding: str
    delimiter: str
    header: list[str]
    mapping: dict[str, str] = Field(description="column index -> what it fills")
    preview: list[list[str]] = Field(description="the first rows as read")
    problems: list[ProblemOut] = Field(description="every bad row, with its line in the file")
    total: int
    done: int
    imported: int
    error: str


def import_out(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "kind": job.kind,
        "state": job.state,
        "filename": job.filename,
        "encoding": job.encoding,
        "delimiter": job.delimiter,
        "header": job.header,
        "mapping": job.mapping,
        "preview": [r for r in job.rows[: importing.PREVIEW_ROWS * 2] if r][
            : importing.PREVIEW_ROWS
        ],
        "problems": job.problems,
        "total": job.total,
        "done": job.done,
        "imported": job.imported,
        "error": job.error,
    }


@router.post(
    "/imports",
    response={201: ImportOut, **ERRORS},
    summary="Upload a CSV of customers or organizations: the preview (administrators)",
    description="UTF-8 (with or without BOM) or Windows-1251; `,`, `;` or tab between "
    "columns. Nothing is imported until POST /imports/{id}/start.",
    operation_id="opora_api_crm_imports_upload",
)
def upload_import(
    request: HttpRequest,
    kind: Form[Literal["customers", "organizations"]],
    file: File[UploadedFile],
) -> Status[dict[str, Any]]:
    user = current_user(request)
    selectors.require_admin(user)
    if (file.size or 0) > importing.MAX_BYTES:
        raise TooLarge(errors.FILE_TOO_LARGE, _("The file is larger than 20 MB."), field="file")
    job = importing.upload(by=user, kind=kind, filename=file.name or "", data=file.read())
    return Status(201, import_out(job))


@router.get(
    "/imports/{job_id}",
    response={200: ImportOut, **ERRORS},
    summary="An import: its preview, problems and progress",
    operation_id="opora_api_crm_imports_get",
)
def get_import(request: HttpRequest, job_id: int) -> dict[str, Any]:
    return import_out(selectors.access_import(current_user(request), job_id))


class MappingIn(StrictInput):
    mapping: dict[str, str] = Field(
        description='column index -> "email", "name", ... or "field:<key>"'
    )


@router.put(
    "/imports/{job_id}/mapping",
    response={200: ImportOut, **ERRORS},
    summary="Map the columns again; the rows are checked again",
    operation_id="opora_api_crm_imports_mapping",
)
def remap_import(request: HttpRequest, job_id: int, payload: MappingIn) -> dict[str, Any]:
    user = current_user(request)
    job = selectors.access_import(user, job_id)
    return import_out(importing.remap(job, by=user, mapping=payload.mapping))


@router.post(
    "/imports/{job_id}/start",
    response={202: ImportOut, **ERRORS},
    summary="Import a previewed file without bad rows, as a background job",
    operation_id="opora_api_crm_imports_start",
)
def start_import(request: HttpRequest, job_id: int) -> Status[dict[str, Any]]:
    user = current_user(request)
    job = selectors.access_import(user, job_id)
    importing.start(job, by=user)
    return Status(202, import_out(selectors.access_import(user, job_id)))


def csv_response(kind: str, user: User) -> StreamingHttpResponse:
    rows: Iterator[str] = importing.export_rows(kind, by=user)
    first = next(rows)  # the permission check runs before the answer starts
    response = StreamingHttpResponse(_chain(first, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    return response


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


@router.get(
    "/exports/{kind}.csv",
    response={200: None, **ERRORS},
    summary="Every customer or organization as CSV, streamed (administrators)",
    operation_id="opora_api_crm_export",
)
def export(
    request: HttpRequest, kind: Literal["customers", "organizations"]
) -> StreamingHttpResponse:
    return csv_response(kind, current_user(request))
