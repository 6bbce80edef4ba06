"""The console's Monitoring section: the monitors with their state and 24-hour
uptime, a form per monitor (the fields of its kind; errors beside the fields), and a
monitor's page with its response-time and uptime charts (24 h / 7 d / 90 d), monthly
uptime for SLA reports, maintenance windows and incidents with their problem tickets.

Admins see every monitor, team leads those of their teams. Thin views: parse →
`access_monitor` → one action → render; the API (`api/monitoring.py`) calls the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opora.accounts.models import Team
from opora.console.access import section_required
from opora.console.context import console_context
from opora.core.errors import NotFound, OporaError
from opora.monitoring import actions, linking, updates
from opora.monitoring.checks import ping_available
from opora.monitoring.models import Incident, Kind, MaintenanceWindow, Monitor, UpdateStatus
from opora.monitoring.selectors import (
    access_incident,
    access_monitor,
    lead_team_ids,
    monthly_uptime,
    push_url,
    series,
    uptime_24h,
    visible_incidents,
    visible_monitors,
    windows_of,
)
from opora.pages import PageForm, add_action_error, current_user, not_found_as_404
from opora.reports.charts import line_chart

section = section_required("monitoring")
PAGE = "monitors"
SPANS = ("24h", "7d", "90d")


class MonitorForm(PageForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    kind = forms.ChoiceField(label=gettext_lazy("Kind of check"))
    target = forms.CharField(
        label=gettext_lazy("Target"),
        max_length=2000,
        required=False,
        help_text=gettext_lazy(
            "HTTP: the address (https://…); TLS and TCP: host:port; DNS and ping: a host "
            "name; heartbeat: empty."
        ),
    )
    team = forms.TypedChoiceField(
        label=gettext_lazy("Team"), required=False, coerce=int, empty_value=None
    )
    interval_seconds = forms.IntegerField(label=gettext_lazy("Interval, seconds"))
    timeout_seconds = forms.IntegerField(label=gettext_lazy("Timeout, seconds"))
    down_after = forms.IntegerField(label=gettext_lazy("Failures before down"))
    up_after = forms.IntegerField(label=gettext_lazy("Successes before up"))
    expected_status = forms.CharField(
        label=gettext_lazy("Expected HTTP status"), max_length=60, required=False
    )
    keyword = forms.CharField(
        label=gettext_lazy("Expected keyword"), max_length=200, required=False
    )
    json_path = forms.CharField(label=gettext_lazy("JSON path"), max_length=200, required=False)
    json_value = forms.CharField(
        label=gettext_lazy("Expected JSON value"), max_length=200, required=False
    )
    max_response_ms = forms.IntegerField(label=gettext_lazy("Slow above, ms"), required=False)
    verify_tls = forms.BooleanField(label=gettext_lazy("Verify the certificate"), required=False)
    cert_warn_days = forms.IntegerField(label=gettext_lazy("Warn days before expiry"))
    dns_expected = forms.CharField(
        label=gettext_lazy("Expected address"), max_length=200, required=False
    )
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False)
    public = forms.BooleanField(
        label=gettext_lazy("Show on the public status page"), required=False
    )
    public_name = forms.CharField(
        label=gettext_lazy("Public name"),
        max_length=120,
        required=False,
        help_text=gettext_lazy("What customers see; empty: the name above."),
    )
    public_group = forms.CharField(
        label=gettext_lazy("Component group"), max_length=120, required=False
    )

    # Which fields belong to which kinds (the page hides the others).
    KIND_FIELDS = {
        "expected_status": "http",
        "keyword": "http",
        "json_path": "http",
        "json_value": "http",
        "max_response_ms": "http",
        "verify_tls": "http tls",
        "cert_warn_days": "tls",
        "dns_expected": "dns",
    }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [c for c in Kind.choices if c[0] != Kind.PING or ping_available()]
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = kinds
        teams = Team.objects.order_by("name", "id")
        if user is not None and not user.is_admin:
            teams = teams.filter(pk__in=lead_team_ids(user))
        team = self.fields["team"]
        assert isinstance(team, forms.TypedChoiceField)
        team.choices = [("", _("No team")), *list(teams.values_list("pk", "name"))]
        for name, kinds_of in self.KIND_FIELDS.items():
            self.fields[name].widget.attrs["data-kinds"] = kinds_of


def _initial(monitor: Monitor) -> dict[str, Any]:
    values = {f: getattr(monitor, f) for f in actions.FIELDS if f != "team"}
    return values | {"team": monitor.team_id or ""}


def _monitor(request: HttpRequest, monitor_id: int) -> Monitor:
    try:
        return access_monitor(current_user(request), monitor_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_GET
@section
def monitor_list(request: HttpRequest) -> HttpResponse:
    found = list(visible_monitors(current_user(request))[:2000])
    uptime = uptime_24h([m.pk for m in found])
    rows = [(m, uptime.get(m.pk)) for m in found]
    open_incidents = visible_incidents(current_user(request)).filter(resolved_at__isnull=True)
    context = console_context(request, PAGE, rows=rows, open_incidents=list(open_incidents[:20]))
    return render(request, "console/monitoring_list.html", context)


@require_http_methods(["GET", "POST"])
@section
def monitor_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method == "GET":
        initial = actions.DEFAULTS | {"kind": Kind.HTTP, "team": ""}
        return _form_page(request, MonitorForm(initial=initial, user=user), None)
    form = MonitorForm(request.POST, user=user)
    if not form.is_valid():
        return _form_page(request, form, None, status=400)
    try:
        monitor = actions.create_monitor(by=user, values=form.cleaned_data)
    except OporaError as exc:
        add_action_error(form, exc)
        return _form_page(request, form, None, status=400)
    messages.success(request, _("Monitor added. Its first check runs within seconds."))
    return redirect("console:monitor", monitor.pk)


@require_http_methods(["GET", "POST"])
@section
def monitor_edit(request: HttpRequest, monitor_id: int) -> HttpResponse:
    user = current_user(request)
    monitor = _monitor(request, monitor_id)
    if request.method == "GET":
        return _form_page(request, MonitorForm(initial=_initial(monitor), user=user), monitor)
    form = MonitorForm(request.POST, user=user)
    if not form.is_valid():
        return _form_page(request, form, monitor, status=400)
    try:
        actions.update_monitor(monitor, by=user, changes=form.cleaned_data)
    except OporaError as exc:
        add_action_error(form, exc)
        return _form_page(request, form, monitor, status=400)
    messages.success(request, _("Saved."))
    return redirect("console:monitor", monitor.pk)


def _form_page(
    request: HttpRequest, form: MonitorForm, monitor: Monitor | None, *, status: int = 200
) -> HttpResponse:
    context = console_context(request, PAGE, form=form, monitor=monitor)
    return render(request, "console/monitoring_form.html", context, status=status)


@require_POST
@section
def monitor_delete(request: HttpRequest, monitor_id: int) -> HttpResponse:
    monitor = _monitor(request, monitor_id)
    actions.delete_monitor(monitor, by=current_user(request))
    messages.success(request, _("Monitor %(name)s deleted.") % {"name": monitor.name})
    return redirect("console:monitoring")


def _charts(monitor: Monitor, span: str) -> tuple[Any, Any]:
    points = series(monitor, span)
    fmt = "%H:%M" if span == "24h" else "%d.%m"
    labels = [timezone.localtime(p.start).strftime(fmt) for p in points]
    speed = line_chart(
        labels,
        {"ms": (_("Response time, ms"), [round(p.avg_ms or 0) for p in points])},
        title=_("Response time, ms"),
    )
    uptime = line_chart(
        labels,
        {"uptime": (_("Uptime, %"), [p.uptime or 0 for p in points])},
        title=_("Uptime, %"),
    )
    return speed, uptime


@require_GET
@section
def monitor_page(request: HttpRequest, monitor_id: int) -> HttpResponse:
    monitor = _monitor(request, monitor_id)
    span = request.GET.get("span", "24h")
    span = span if span in SPANS else "24h"
    speed, uptime = _charts(monitor, span)
    context = console_context(
        request,
        PAGE,
        monitor=monitor,
        span=span,
        spans=SPANS,
        speed_chart=speed,
        uptime_chart=uptime,
        uptime_24h=uptime_24h([monitor.pk])[monitor.pk],
        months=monthly_uptime(monitor),
        incidents=list(monitor.incidents.select_related("ticket")[:50]),
        windows=list(windows_of(monitor)),
        push_url=push_url(monitor),
        now=timezone.now(),
    )
    return render(request, "console/monitoring_monitor.html", context)


def _moment(value: str) -> datetime | None:
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    return timezone.make_aware(found) if timezone.is_naive(found) else found


@require_POST
@section
def window_new(request: HttpRequest, monitor_id: int) -> HttpResponse:
    monitor = _monitor(request, monitor_id)
    starts = _moment(request.POST.get("starts_at", ""))
    ends = _moment(request.POST.get("ends_at", ""))
    if starts is None or ends is None:
        messages.error(request, _("Enter the start and the end of the window."))
        return redirect("console:monitor", monitor.pk)
    try:
        actions.create_window(
            by=current_user(request),
            monitor=monitor,
            starts_at=starts,
            ends_at=ends,
            note=request.POST.get("note", "")[:200],
        )
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Maintenance window planned."))
    return redirect("console:monitor", monitor.pk)


@require_POST
@section
def window_delete(request: HttpRequest, monitor_id: int, window_id: int) -> HttpResponse:
    monitor = _monitor(request, monitor_id)
    window = MaintenanceWindow.objects.filter(pk=window_id, monitor=monitor).first()
    if window is not None:
        actions.delete_window(window, by=current_user(request))
    return redirect("console:monitor", monitor.pk)


# --- An incident: public updates, linked customer tickets, resolution ----------------


def _incident(request: HttpRequest, incident_id: int) -> Incident:
    try:
        return access_incident(current_user(request), incident_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_GET
@section
def incident_page(request: HttpRequest, incident_id: int) -> HttpResponse:
    user = current_user(request)
    incident = _incident(request, incident_id)
    context = console_context(
        request,
        PAGE,
        incident=incident,
        updates=list(incident.updates.select_related("author")),
        statuses=UpdateStatus.choices,
        suggestions=linking.suggestions(user, incident),
        linked=list(linking.linked_tickets(incident)[:500]),
        keywords=linking.keywords(incident),
    )
    return render(request, "console/monitoring_incident.html", context)


@require_POST
@section
def incident_update(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident(request, incident_id)
    try:
        updates.post_update(
            incident,
            by=current_user(request),
            status_=request.POST.get("status", ""),
            body=request.POST.get("body", ""),
            public=request.POST.get("public") == "on",
        )
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Update posted."))
    return redirect("console:incident", incident.pk)


@require_POST
@section
def incident_resolve(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident(request, incident_id)
    updates.resolve_by_hand(incident, by=current_user(request), note=request.POST.get("note", ""))
    messages.success(request, _("Incident resolved. The linked customers will be told."))
    return redirect("console:incident", incident.pk)


@require_POST
@section
def incident_settings(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident(request, incident_id)
    try:
        updates.change_incident(
            incident,
            by=current_user(request),
            public_title=request.POST.get("public_title", ""),
            keywords=request.POST.get("keywords", ""),
        )
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("console:incident", incident.pk)


@require_POST
@section
def incident_link(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident(request, incident_id)
    numbers = [int(n) for n in request.POST.getlist("ticket") if n.isdigit() and len(n) < 16]
    try:
        linked = linking.link_tickets(incident, numbers, by=current_user(request))
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Tickets linked: %(n)s.") % {"n": len(linked)})
    return redirect("console:incident", incident.pk)


@require_POST
@section
def incident_answer(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident(request, incident_id)
    try:
        count = linking.answer_all(
            incident,
            by=current_user(request),
            bodies={"en": request.POST.get("body_en", ""), "ru": request.POST.get("body_ru", "")},
        )
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Answer sent to %(n)s customers.") % {"n": count})
    return redirect("console:incident", incident.pk)
