"""The ticket page's complaint card: solve a complaint with its root cause and verdict.
Thin view: parse → access → one action → the ticket page again (a refusal shows next to
the form, with what the agent chose)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from opora.agent.ticket import _access, _done, _render
from opora.complaints import actions
from opora.complaints.selectors import access_complaint
from opora.core.errors import OporaError
from opora.core.numbers import parse_id
from opora.pages import agent_required, current_user

_JUSTIFIED = {"yes": True, "no": False}


@require_POST
@agent_required
def resolve(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    ticket = _access(user, number)
    values = {k: request.POST.get(k, "")[:40] for k in ("root_cause", "justified", "about_agent")}
    try:
        access_complaint(user, ticket)
        actions.resolve(
            ticket,
            actions.Resolution(
                root_cause=values["root_cause"],
                justified=_JUSTIFIED.get(values["justified"]),
                about_agent=parse_id(values["about_agent"]),
            ),
            by=user,
        )
    except OporaError as exc:
        card = {"error": exc.message, "field": exc.field or "", "values": values}
        return _render(request, ticket, extra={"complaint_card": card}, status=422)
    return _done(request, ticket)
