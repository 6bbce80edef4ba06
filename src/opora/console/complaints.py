"""The complaints screens of the console: the report (team leads and admins) and the
rules (admins): deadline, reminders, complaints team, repeat complainers, detection
threshold, the root-cause list and VIP organizations. Every change is audited by the
actions (`core/audit.record_change`)."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from opora.accounts.models import Organization, Team
from opora.complaints import actions, errors, report
from opora.complaints.models import OrganizationCare
from opora.complaints.selectors import (
    access_report,
    access_settings,
    complaint_settings,
    root_causes,
)
from opora.console.access import forbidden, section_required
from opora.console.context import console_context
from opora.core import clock
from opora.core.errors import Forbidden, OporaError, ValidationFailed
from opora.core.numbers import parse_id, parse_int
from opora.pages import current_user

complaints_section = section_required("complaints")
DEFAULT_DAYS = 90
MAX_DAYS = 731
MAX_ORGANIZATIONS = 200


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_http_methods(["GET"])
@complaints_section
def report_page(request: HttpRequest) -> HttpResponse:
    try:
        access_report(current_user(request))
    except Forbidden:
        return forbidden(request)
    today = clock.now().astimezone(UTC).date()
    end = _day(request.GET.get("end", "")) or today
    start = _day(request.GET.get("start", "")) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    start = max(start, end - timedelta(days=MAX_DAYS))
    found = report.build(start, end, language=translation.get_language() or "en")
    peak = max([w.opened for w in found.weeks] + [1])
    biggest = max([c.count for c in found.by_root_cause] + [1])
    context = console_context(
        request,
        "complaints_report",
        report=found,
        weeks=[(w, round(100 * w.opened / peak)) for w in found.weeks],
        causes=[(c, round(100 * c.count / biggest)) for c in found.by_root_cause],
        start=start.isoformat(),
        end=end.isoformat(),
    )
    return render(request, "console/complaints_report.html", context)


def _hours(text: str) -> list[int]:
    hours = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        value = parse_int(part)
        if value is None:
            raise ValidationFailed(
                errors.OUT_OF_RANGE,
                _("Hours are whole numbers, separated by commas."),
                field="reminder_hours",
            )
        hours.append(value)
    return hours


def _number(request: HttpRequest, name: str) -> int | None:
    raw = request.POST.get(name, "").strip()
    if not raw:
        return None
    value = parse_int(raw)
    if value is None:
        raise ValidationFailed(errors.OUT_OF_RANGE, _("Enter a whole number."), field=name)
    return value


def _float(request: HttpRequest, name: str) -> float | None:
    raw = request.POST.get(name, "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        return float(raw[:10])
    except ValueError:
        raise ValidationFailed(errors.OUT_OF_RANGE, _("Enter a number."), field=name) from None


def _save(request: HttpRequest) -> str:
    """Apply the form the admin sent; returns the anchor to go back to."""
    user = current_user(request)
    what = request.POST.get("form", "")
    if what == "settings":
        team = parse_id(request.POST.get("team", ""))
        actions.configure(
            actions.SettingsChanges(
                deadline_days=_number(request, "deadline_days"),
                reminder_hours=_hours(request.POST.get("reminder_hours", "")),
                team=team,
                clear_team=team is None,
                repeat_threshold=_number(request, "repeat_threshold"),
                repeat_days=_number(request, "repeat_days"),
                detection_threshold=_float(request, "detection_threshold"),
            ),
            by=user,
        )
        return "settings"
    if what == "add_cause":
        actions.add_root_cause(
            request.POST.get("key", "")[:40],
            actions.RootCauseInput(
                name_en=request.POST.get("name_en", "")[:200],
                name_ru=request.POST.get("name_ru", "")[:200],
                about_agent=request.POST.get("about_agent") == "on",
            ),
            by=user,
        )
        return "causes"
    if what == "cause":
        actions.change_root_cause(
            request.POST.get("key", "")[:40],
            actions.RootCauseInput(
                name_en=request.POST.get("name_en", "")[:200],
                name_ru=request.POST.get("name_ru", "")[:200],
                about_agent=request.POST.get("about_agent") == "on",
                active=request.POST.get("active") == "on",
                position=_number(request, "position"),
            ),
            by=user,
        )
        return "causes"
    if what == "vip":
        organization = parse_id(request.POST.get("organization", ""))
        if organization is None:
            raise ValidationFailed(
                errors.REQUIRED, _("Choose an organization."), field="organization"
            )
        actions.set_vip(organization, request.POST.get("vip") == "on", by=user)
        return "vip"
    raise ValidationFailed(errors.REQUIRED, _("Unknown form."), field="form")


@require_http_methods(["GET", "POST"])
@complaints_section
def settings_page(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    try:
        access_settings(user)
    except Forbidden:
        return forbidden(request)
    status = 200
    error = ""
    error_form = ""
    if request.method == "POST":
        try:
            anchor = _save(request)
        except OporaError as exc:
            error, status = exc.message, 422
            error_form = request.POST.get("form", "")
        else:
            messages.success(request, _("Saved."))
            return redirect(f"{request.path}#{anchor}")
    rules = complaint_settings()
    vip_ids = set(
        OrganizationCare.objects.filter(vip=True).values_list("organization_id", flat=True)
    )
    organizations = list(Organization.objects.order_by("name")[:MAX_ORGANIZATIONS])
    context: dict[str, Any] = console_context(
        request,
        "complaints_settings",
        rules=rules,
        reminder_text=", ".join(str(h) for h in rules.reminder_hours),
        teams=list(Team.objects.order_by("name")),
        causes=root_causes(active_only=False),
        organizations=[(o, o.pk in vip_ids) for o in organizations],
        error=error,
        error_form=error_form,
        posted=request.POST if status != 200 else {},
    )
    return render(request, "console/complaints_settings.html", context, status=status)
