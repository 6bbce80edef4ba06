"""The console's Triage screen: per target (team, type, priority, tags) suggestions on
or off, the confidence from which they apply without an agent, the last training's
figures and how often agents kept the suggestion; "Train now", which queues a training
for a background job and shows its state. Admins only."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from opora.console.access import section_required
from opora.console.context import console_context
from opora.core.errors import OporaError
from opora.pages import current_user
from opora.triage import actions
from opora.triage.models import Target
from opora.triage.selectors import latest_training, overview

triage_section = section_required("triage")


def _threshold(text: str) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if 0 <= value <= 1 else None


@require_http_methods(["GET", "POST"])
@triage_section
def triage_page(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        target = request.POST.get("target", "")
        threshold = _threshold(request.POST.get("threshold", ""))
        if target not in Target.values:
            errors["general"] = _("No such triage target.")
        elif threshold is None:
            errors[target] = _("A threshold from 0 to 1.")
        else:
            try:
                actions.configure_target(
                    by=user,
                    target=target,
                    enabled=request.POST.get("enabled") == "on",
                    threshold=threshold,
                )
            except OporaError as exc:
                errors[target] = exc.message
            else:
                messages.success(request, _("Saved."))
                return redirect("console:triage")
    targets = overview()
    for target_row in targets:
        target_row["error"] = errors.get(target_row["target"], "")
    context = console_context(
        request, "triage", targets=targets, errors=errors, run=latest_training()
    )
    return render(request, "console/triage.html", context, status=400 if errors else 200)


@require_POST
@triage_section
def triage_train(request: HttpRequest) -> HttpResponse:
    actions.request_training(by=current_user(request))
    messages.success(request, _("Training queued: this page shows when it is done."))
    return redirect("console:triage")
