"""The console's Automation section, time rules and outbound webhooks.

Time rules: "a ticket in this status for N business or calendar hours → remind the
customer, solve or close", in the order the job runs them, with each rule's log.
Webhooks: the endpoints, the events each receives, its secret (shown once, when made or
regenerated: the page that answers the form shows it, nothing stores it for later),
"Send test", the delivery log with "Deliver again" for a failed delivery.

Admins only, as the API; every change through the same actions
(`automation.automations`, `automation.webhooks`), which check the input and audit it.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opora.automation import automations, webhooks
from opora.automation.models import (
    Automation,
    AutomationAction,
    AutomationRun,
    DeliveryState,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
)
from opora.console.automation import automation_section, log_page, placeholder_hints
from opora.console.context import console_context
from opora.core.errors import OporaError
from opora.pages import PageForm, add_action_error, current_user
from opora.tickets.models import TicketStatus


def _found(model: Any, pk: int) -> Any:
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# --- Time rules ----------------------------------------------------------------------


class RuleForm(PageForm):
    name = forms.CharField(label=gettext_lazy("Name"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("When a ticket is"))
    hours = forms.IntegerField(label=gettext_lazy("For (hours)"))
    business_hours = forms.TypedChoiceField(
        label=gettext_lazy("Counting"),
        coerce=lambda v: v == "business",
        choices=[
            ("calendar", gettext_lazy("calendar hours")),
            ("business", gettext_lazy("business hours")),
        ],
    )
    action = forms.ChoiceField(label=gettext_lazy("Then"), choices=AutomationAction.choices)
    message = forms.CharField(
        label=gettext_lazy("Reminder text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Sent to the customer as the desk's reply (remind only)."),
    )
    active = forms.BooleanField(label=gettext_lazy("On: the rule acts"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [
            (v, label) for v, label in TicketStatus.choices if v != TicketStatus.CLOSED
        ]


def _rule_values(rule: Automation) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in automations.AUTOMATION_FIELDS}


@require_GET
@automation_section
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = list(Automation.objects.order_by("position", "id"))
    context = console_context(
        request,
        "rules",
        rows=rules,
        statuses=dict(TicketStatus.choices),
        actions=dict(AutomationAction.choices),
    )
    return render(request, "console/automation/rules.html", context)


def _rule_page(
    request: HttpRequest, form: RuleForm, rule: Automation | None, status: int = 200
) -> HttpResponse:
    hints = placeholder_hints()
    context = console_context(request, "rules", form=form, rule=rule, placeholders=hints)
    return render(request, "console/automation/rule.html", context, status=status)


@require_http_methods(["GET", "POST"])
@automation_section
def rule_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {"active": True, "status": "pending", "hours": 72, "action": "remind"}
        return _rule_page(request, RuleForm(initial=initial | {"business_hours": "calendar"}), None)
    return _save_rule(request, None)


@require_http_methods(["GET", "POST"])
@automation_section
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _found(Automation, rule_id)
    if request.method == "GET":
        initial = _rule_values(rule)
        initial["business_hours"] = "business" if rule.business_hours else "calendar"
        return _rule_page(request, RuleForm(initial=initial), rule)
    return _save_rule(request, rule)


def _save_rule(request: HttpRequest, rule: Automation | None) -> HttpResponse:
    form = RuleForm(request.POST)
    if not form.is_valid():
        return _rule_page(request, form, rule, status=400)
    try:
        saved = automations.save_automation(
            by=current_user(request), automation=rule, **form.cleaned_data
        )
    except OporaError as exc:
        add_action_error(form, exc)
        return _rule_page(request, form, rule, status=400)
    messages.success(request, _("The rule “%(name)s” was saved.") % {"name": saved.name})
    return redirect("console:automation_rules")


def _back_to_rule(rule: Automation) -> HttpResponse:
    return redirect(reverse("console:automation_rules") + f"#rule-{rule.pk}")


@require_POST
@automation_section
def rule_move(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _found(Automation, rule_id)
    step = -1 if request.POST.get("direction") == "up" else 1
    automations.move_automation(rule, step, by=current_user(request))
    messages.success(request, _("The order was changed."))
    return _back_to_rule(rule)


@require_POST
@automation_section
def rule_toggle(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _found(Automation, rule_id)
    active = request.POST.get("active") == "1"
    values = _rule_values(rule) | {"active": active}
    try:
        automations.save_automation(by=current_user(request), automation=rule, **values)
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        done = _("The rule was turned on.") if active else _("The rule was turned off.")
        messages.success(request, done)
    return _back_to_rule(rule)


@require_POST
@automation_section
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _found(Automation, rule_id)
    automations.delete_automation(rule, by=current_user(request))
    messages.success(request, _("The rule “%(name)s” was deleted.") % {"name": rule.name})
    return redirect("console:automation_rules")


@require_GET
@automation_section
def rule_runs(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _found(Automation, rule_id)
    runs = AutomationRun.objects.filter(automation=rule).select_related("ticket")
    page = log_page(request, runs.order_by("-at", "-id"))
    context = console_context(request, "rules", rule=rule, runs=page)
    return render(request, "console/automation/rule_runs.html", context)


# --- Webhooks ------------------------------------------------------------------------


class WebhookForm(PageForm):
    name = forms.CharField(label=gettext_lazy("Name"), required=False)
    url = forms.CharField(
        label=gettext_lazy("URL"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "url", "placeholder": "https://"}),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events to send"),
        choices=WebhookEvent.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(label=gettext_lazy("On: the webhook is called"), required=False)


def _webhook_values(hook: Webhook) -> dict[str, Any]:
    return {name: getattr(hook, name) for name in webhooks.WEBHOOK_FIELDS}


@require_GET
@automation_section
def webhook_list(request: HttpRequest) -> HttpResponse:
    hooks = list(Webhook.objects.order_by("id"))
    latest = {}
    for hook in hooks:
        latest[hook.pk] = hook.deliveries.order_by("-created_at", "-id").first()
    rows = [(h, latest[h.pk]) for h in hooks]
    context = console_context(request, "webhooks", rows=rows, events=dict(WebhookEvent.choices))
    return render(request, "console/automation/webhooks.html", context)


def _webhook_page(
    request: HttpRequest,
    form: WebhookForm,
    hook: Webhook | None,
    *,
    secret: str = "",
    status: int = 200,
) -> HttpResponse:
    context = console_context(request, "webhooks", form=form, hook=hook, secret=secret)
    return render(request, "console/automation/webhook.html", context, status=status)


@require_http_methods(["GET", "POST"])
@automation_section
def webhook_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form = WebhookForm(initial={"active": True, "events": ["created"]})
        return _webhook_page(request, form, None)
    return _save_webhook(request, None)


@require_http_methods(["GET", "POST"])
@automation_section
def webhook_edit(request: HttpRequest, webhook_id: int) -> HttpResponse:
    hook = _found(Webhook, webhook_id)
    if request.method == "GET":
        return _webhook_page(request, WebhookForm(initial=_webhook_values(hook)), hook)
    return _save_webhook(request, hook)


def _save_webhook(request: HttpRequest, hook: Webhook | None) -> HttpResponse:
    form = WebhookForm(request.POST)
    if not form.is_valid():
        return _webhook_page(request, form, hook, status=400)
    data = form.cleaned_data
    try:
        saved = webhooks.save_webhook(
            by=current_user(request),
            webhook=hook,
            name=data["name"],
            url=data["url"].strip(),
            events=data["events"],
            active=data["active"],
        )
    except OporaError as exc:
        add_action_error(form, exc)
        return _webhook_page(request, form, hook, status=400)
    if hook is None:
        # The secret is shown in this answer only; the page after it never has it.
        made = WebhookForm(initial=_webhook_values(saved))
        return _webhook_page(request, made, saved, secret=saved.secret)
    messages.success(request, _("The webhook “%(name)s” was saved.") % {"name": saved.name})
    return redirect("console:automation_webhooks")


@require_POST
@automation_section
def webhook_secret(request: HttpRequest, webhook_id: int) -> HttpResponse:
    """A new secret, shown in this answer only; the old one stops verifying at once."""
    hook = _found(Webhook, webhook_id)
    saved = webhooks.save_webhook(
        by=current_user(request),
        webhook=hook,
        secret=secrets.token_urlsafe(32),
        **_webhook_values(hook),
    )
    form = WebhookForm(initial=_webhook_values(saved))
    return _webhook_page(request, form, saved, secret=saved.secret)


@require_POST
@automation_section
def webhook_toggle(request: HttpRequest, webhook_id: int) -> HttpResponse:
    hook = _found(Webhook, webhook_id)
    active = request.POST.get("active") == "1"
    try:
        webhooks.save_webhook(
            by=current_user(request), webhook=hook, **(_webhook_values(hook) | {"active": active})
        )
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        done = _("The webhook was turned on.") if active else _("The webhook was turned off.")
        messages.success(request, done)
    return redirect(reverse("console:automation_webhooks") + f"#webhook-{hook.pk}")


@require_POST
@automation_section
def webhook_delete(request: HttpRequest, webhook_id: int) -> HttpResponse:
    hook = _found(Webhook, webhook_id)
    webhooks.delete_webhook(hook, by=current_user(request))
    messages.success(request, _("The webhook “%(name)s” was deleted.") % {"name": hook.name})
    return redirect("console:automation_webhooks")


@require_POST
@automation_section
def webhook_test(request: HttpRequest, webhook_id: int) -> HttpResponse:
    """One signed test event now; the answer is on the delivery log's first row."""
    hook = _found(Webhook, webhook_id)
    row = webhooks.send_test(hook)
    if row.state == DeliveryState.DELIVERED:
        messages.success(
            request, _("The test was delivered: HTTP %(code)s.") % {"code": row.status_code}
        )
    else:
        reason = row.error or (f"HTTP {row.status_code}" if row.status_code else "")
        messages.error(request, _("The test failed: %(reason)s") % {"reason": reason})
    return redirect("console:automation_webhook_deliveries", hook.pk)


@require_GET
@automation_section
def webhook_deliveries(request: HttpRequest, webhook_id: int) -> HttpResponse:
    hook = _found(Webhook, webhook_id)
    page = log_page(request, hook.deliveries.order_by("-created_at", "-id"))
    rows = list(page.object_list)
    tries = webhooks.next_tries(rows)
    context = console_context(
        request,
        "webhooks",
        hook=hook,
        deliveries=page,
        rows=[(d, tries.get(d.pk)) for d in rows],
    )
    return render(request, "console/automation/deliveries.html", context)


@require_POST
@automation_section
def delivery_again(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _found(WebhookDelivery, delivery_id)
    try:
        webhooks.deliver_again(delivery, by=current_user(request))
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Queued to be delivered again."))
    return redirect("console:automation_webhook_deliveries", delivery.webhook_id)
