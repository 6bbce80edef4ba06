"""Customer records in the console (administrators): custom fields, ticket forms per
type, contracts of organizations and customers, CSV import with a preview and a
progress bar, and CSV export.

Thin views: parse → `access_*` → one action → redirect or render; an action's error is
shown on the page, nothing written.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from opora.accounts.models import User
from opora.console.access import forbidden, section_required
from opora.console.context import console_context
from opora.core.errors import NotFound, OporaError, ValidationFailed
from opora.core.numbers import parse_id
from opora.crm import actions, errors, importing, selectors
from opora.crm.models import FieldKind, ImportKind, Target
from opora.pages import current_user, not_found_as_404
from opora.sla.models import BusinessCalendar, SlaPolicy
from opora.tickets.models import TicketType

records_section = section_required("records")
MAX_UPLOAD = importing.MAX_BYTES


def _admin(request: HttpRequest) -> User | None:
    user = current_user(request)
    return user if user.is_active and user.is_admin else None


def _options(text: str) -> list[dict[str, str]]:
    """Dropdown options typed one a line: `value | English | Русский`."""
    found = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if parts and parts[0]:
            found.append(
                {
                    "value": parts[0],
                    "en": parts[1] if len(parts) > 1 else "",
                    "ru": parts[2] if len(parts) > 2 else "",
                }
            )
    return found


def _number(raw: str) -> float | None:
    raw = (raw or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        return None


def _field_values(post: Any) -> dict[str, Any]:
    return {
        "label_en": post.get("label_en", ""),
        "label_ru": post.get("label_ru", ""),
        "kind": post.get("kind", FieldKind.TEXT),
        "options": _options(post.get("options", "")),
        "required": post.get("required") == "on",
        "min_value": _number(post.get("min_value", "")),
        "max_value": _number(post.get("max_value", "")),
        "position": parse_id(post.get("position", "")) or 100,
        "is_active": post.get("is_active", "on") == "on",
    }


def _fields_page(
    request: HttpRequest, user: User, *, error: str = "", posted: Any = None, status: int = 200
) -> HttpResponse:
    context = console_context(
        request,
        "fields",
        fields=selectors.all_definitions(user),
        targets=Target.choices,
        kinds=FieldKind.choices,
        error=error,
        posted=posted or {},
    )
    return render(request, "console/records_fields.html", context, status=status)


@require_http_methods(["GET", "POST"])
@records_section
def fields(request: HttpRequest) -> HttpResponse:
    """Every field, and the form that defines a new one."""
    user = _admin(request)
    if user is None:
        return forbidden(request)
    if request.method == "GET":
        return _fields_page(request, user)
    try:
        actions.create_field(
            by=user,
            target=request.POST.get("target", ""),
            key=request.POST.get("key", ""),
            **_field_values(request.POST),
        )
    except OporaError as exc:
        return _fields_page(request, user, error=exc.message, posted=request.POST, status=400)
    messages.success(request, _("The field was added."))
    return redirect("console:records_fields")


@require_http_methods(["GET", "POST"])
@records_section
def field_edit(request: HttpRequest, field_id: int) -> HttpResponse:
    user = _admin(request)
    if user is None:
        return forbidden(request)
    try:
        definition = selectors.access_definition(user, field_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None
    error = ""
    if request.method == "POST":
        if request.POST.get("delete") == "1":
            actions.delete_field(definition, by=user)
            messages.success(request, _("The field was deleted."))
            return redirect("console:records_fields")
        try:
            actions.update_field(definition, by=user, **_field_values(request.POST))
        except OporaError as exc:
            error = exc.message
        else:
            messages.success(request, _("Saved."))
            return redirect("console:records_fields")
    options = "\n".join(f"{o['value']} | {o['en']} | {o['ru']}" for o in definition.options)
    context = console_context(
        request,
        "fields",
        field=definition,
        options_text=options,
        kinds=FieldKind.choices,
        error=error,
    )
    return render(request, "console/records_field.html", context, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
@records_section
def forms(request: HttpRequest) -> HttpResponse:
    """Per ticket type: which ticket fields its form asks for, and which are required."""
    user = _admin(request)
    if user is None:
        return forbidden(request)
    error = ""
    if request.method == "POST":
        ticket_type = request.POST.get("ticket_type", "")
        keys = request.POST.getlist("fields")
        required = set(request.POST.getlist("required"))
        try:
            actions.set_ticket_form(
                by=user,
                ticket_type=ticket_type,
                items=[(k, k in required) for k in keys],
                is_active=True,
            )
        except OporaError as exc:
            error = exc.message
        else:
            messages.success(request, _("Saved."))
            return redirect("console:records_forms")
    specs = selectors.ticket_forms()
    ticket_fields = selectors.definitions(Target.TICKET)
    rows = [
        {
            "type": value,
            "label": label,
            "fields": [
                {
                    "def": d,
                    "on": d in specs[value].fields,
                    "required": d.key in specs[value].required,
                }
                for d in ticket_fields
            ],
        }
        for value, label in TicketType.choices
    ]
    context = console_context(
        request, "forms", rows=rows, error=error, has_fields=bool(ticket_fields)
    )
    return render(request, "console/records_forms.html", context, status=400 if error else 200)


# Contracts ----------------------------------------------------------------------------------


def _contract_page(
    request: HttpRequest, *, customer: User | None = None, org: Any = None
) -> HttpResponse:
    user = _admin(request)
    if user is None:
        return forbidden(request)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("remove") == "1":
                found = selectors.contract_of(customer=customer, org=org)
                if found is not None:
                    actions.remove_contract(found, by=user)
            else:
                raw_date = request.POST.get("expires_on", "").strip()
                try:
                    expires = date.fromisoformat(raw_date) if raw_date else None
                except ValueError:
                    raise ValidationFailed(
                        errors.BAD_DATE, _("Expected a date as YYYY-MM-DD."), field="expires_on"
                    ) from None
                actions.set_contract(
                    by=user,
                    customer=customer,
                    org=org,
                    plan=request.POST.get("plan", ""),
                    support_hours=parse_id(request.POST.get("support_hours", "")),
                    sla_policy=parse_id(request.POST.get("sla_policy", "")),
                    post_warranty=request.POST.get("post_warranty") == "on",
                    expires_on=expires,
                )
        except OporaError as exc:
            error = exc.message
        else:
            messages.success(request, _("Saved."))
            if customer is not None:
                return redirect("agent:customer", user_id=customer.pk)
            return redirect("agent:organization", organization_id=org.pk)
    context = console_context(
        request,
        "contracts",
        holder=customer.display_name if customer is not None else org.name,
        contract=selectors.contract_of(customer=customer, org=org),
        calendars=list(BusinessCalendar.objects.order_by("name")),
        policies=list(SlaPolicy.objects.filter(is_active=True).order_by("position", "id")),
        error=error,
    )
    return render(request, "console/records_contract.html", context, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
@section_required("people")
def organization_contract(request: HttpRequest, organization_id: int) -> HttpResponse:
    user = current_user(request)
    try:
        org = selectors.access_organization(user, organization_id)
    except (NotFound, OporaError):
        return forbidden(request)
    return _contract_page(request, org=org)


@require_http_methods(["GET", "POST"])
@section_required("people")
def customer_contract(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = current_user(request)
    try:
        customer = selectors.access_customer(user, customer_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None
    except OporaError:
        return forbidden(request)
    return _contract_page(request, customer=customer)


# Import and export ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@records_section
def imports(request: HttpRequest) -> HttpResponse:
    """Upload a CSV file (then its preview), the recent imports, the export links."""
    user = _admin(request)
    if user is None:
        return forbidden(request)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        kind = request.POST.get("kind", ImportKind.CUSTOMERS)
        if upload is None:
            error = _("Choose a CSV file.")
        elif (upload.size or 0) > MAX_UPLOAD:
            error = _("The file is larger than 20 MB.")
        else:
            try:
                job = importing.upload(
                    by=user, kind=kind, filename=upload.name or "", data=upload.read()
                )
            except OporaError as exc:
                error = exc.message
            else:
                return redirect("console:records_import", job_id=job.pk)
    context = console_context(
        request,
        "import",
        jobs=selectors.recent_imports(user),
        kinds=ImportKind.choices,
        error=error,
    )
    return render(request, "console/records_imports.html", context, status=400 if error else 200)


def _job(user: User, job_id: int) -> Any:
    try:
        return selectors.access_import(user, job_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_http_methods(["GET", "POST"])
@records_section
def import_page(request: HttpRequest, job_id: int) -> HttpResponse:
    """The preview: first rows, the column mapping, every bad row; then the progress."""
    user = _admin(request)
    if user is None:
        return forbidden(request)
    job = _job(user, job_id)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("start") == "1":
                importing.start(job, by=user)
            else:
                mapping = {
                    str(n): request.POST.get(f"column_{n}", "") for n in range(len(job.header))
                }
                importing.remap(job, by=user, mapping=mapping)
        except OporaError as exc:
            error = exc.message
        else:
            return redirect("console:records_import", job_id=job.pk)
        job = _job(user, job_id)
    targets = list(importing.COLUMNS[ImportKind(job.kind)]) + [
        f"field:{d.key}"
        for d in selectors.definitions(
            Target.CUSTOMER if job.kind == ImportKind.CUSTOMERS else Target.ORGANIZATION
        )
    ]
    columns = [
        {"index": n, "title": title, "target": job.mapping.get(str(n), "")}
        for n, title in enumerate(job.header)
    ]
    preview = [r for r in job.rows[: importing.PREVIEW_ROWS * 2] if r][: importing.PREVIEW_ROWS]
    context = console_context(
        request,
        "import",
        job=job,
        columns=columns,
        targets=targets,
        preview=preview,
        error=error,
        percent=int(100 * job.done / job.total) if job.total else 0,
    )
    return render(request, "console/records_import.html", context, status=400 if error else 200)


@require_GET
@records_section
def export(request: HttpRequest, kind: str) -> HttpResponse:
    user = _admin(request)
    if user is None or kind not in ImportKind.values:
        return forbidden(request)
    response = StreamingHttpResponse(
        importing.export_rows(kind, by=user), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    return response  # type: ignore[return-value]  # streamed, answered like any page
