"""The outbox page of the console: every mail the desk sent or tried to send (replies,
acknowledgements, and its own mail such as sign-in links and notices), its state, and
"Send again" for a failed one; each stored message can be read in the app.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opora.console.access import section_required
from opora.console.context import console_context
from opora.core.errors import NotFound, OporaError
from opora.core.numbers import parse_id
from opora.inbox.actions import resend_from_outbox
from opora.inbox.email.transport import local_outbox_path, uses_local_outbox
from opora.inbox.models import Delivery, DeliveryState
from opora.inbox.selectors import access_outbox_delivery, outbox, readable
from opora.pages import current_user, not_found_as_404

PAGE_SIZE = 50
outbox_section = section_required("channels")


def _delivery(request: HttpRequest, delivery_id: int) -> Delivery:
    try:
        return access_outbox_delivery(current_user(request), delivery_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


def _banner() -> str:
    return local_outbox_path() if uses_local_outbox() else ""


@require_GET
@outbox_section
def outbox_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    before = parse_id(request.GET.get("before", ""))
    rows = list(
        outbox(current_user(request), state=state or None, before_id=before)[: PAGE_SIZE + 1]
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    context = console_context(
        request,
        "outbox",
        rows=rows,
        states=DeliveryState.choices,
        state=state if state in DeliveryState.values else "",
        next_before=rows[-1].pk if more and rows else None,
        local_outbox=_banner(),
    )
    return render(request, "console/outbox.html", context)


@require_GET
@outbox_section
def outbox_message(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _delivery(request, delivery_id)
    context = console_context(
        request, "outbox", row=delivery, mail=readable(delivery), local_outbox=_banner()
    )
    return render(request, "console/outbox_message.html", context)


@require_POST
@outbox_section
def outbox_retry(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _delivery(request, delivery_id)
    try:
        resend_from_outbox(delivery, by=current_user(request))
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Queued to be sent again."))
    return redirect("console:outbox_message", delivery.pk)
