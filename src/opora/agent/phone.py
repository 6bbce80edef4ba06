"""Phone calls in the workspace: "Log a call" on a ticket, "Called back", and the
"Call back" list of missed calls waiting for the desk, soonest due first.

Thin views: parse → `access_call_ticket` → one action → back to the ticket; the API
(`api/phone.py`) calls the same actions.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from opora.core import clock
from opora.core.errors import NotFound, OporaError
from opora.pages import PageForm, agent_required, current_user, not_found_as_404
from opora.telephony import actions
from opora.telephony.models import Call, Direction, Outcome
from opora.telephony.selectors import access_call_ticket, open_callbacks
from opora.tickets.selectors import visible_tickets

MAX_LISTED = 200


class LogCallForm(PageForm):
    direction = forms.ChoiceField(label=gettext_lazy("Direction"), choices=Direction.choices)
    number = forms.CharField(label=gettext_lazy("Number"), max_length=40)
    minutes = forms.IntegerField(
        label=gettext_lazy("Duration, minutes"), min_value=0, max_value=1440
    )
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Outcome.choices)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=2000, required=False)


@require_POST
@agent_required
def log_call(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    try:
        ticket = access_call_ticket(user, number)
    except NotFound as exc:
        raise not_found_as_404(exc) from None
    form = LogCallForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("agent:ticket", ticket.number)
    data = form.cleaned_data
    try:
        actions.log_call(
            ticket,
            by=user,
            values=actions.LoggedCall(
                direction=data["direction"],
                number=data["number"],
                duration=data["minutes"] * 60,
                outcome=data["outcome"],
                note=data["note"],
            ),
        )
    except OporaError as exc:
        messages.error(request, exc.message)
        return redirect("agent:ticket", ticket.number)
    messages.success(request, _("Call logged."))
    return redirect("agent:ticket", ticket.number)


def _visible_call(request: HttpRequest, call_id: int) -> Call:
    user = current_user(request)
    found = (
        Call.objects.select_related("ticket")
        .filter(pk=call_id, ticket__in=visible_tickets(user))
        .first()
    )
    if found is None:
        raise not_found_as_404(NotFound(_("call")))
    return found


@require_POST
@agent_required
def callback_done(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _visible_call(request, call_id)
    try:
        actions.callback_done(call, by=current_user(request))
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Marked as called back."))
    if request.POST.get("next") == "list" or call.ticket is None:
        return redirect("agent:phone_callbacks")
    return redirect("agent:ticket", call.ticket.number)


@require_GET
@agent_required
def callbacks(request: HttpRequest) -> HttpResponse:
    found = list(open_callbacks(current_user(request))[:MAX_LISTED])
    return render(
        request,
        "agent/phone_callbacks.html",
        {"calls": found, "now": clock.now(), "nav": "queue"},
    )
