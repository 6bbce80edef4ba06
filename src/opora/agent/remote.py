"""The ticket page's remote-session card: invite the customer, then mark the session
started and ended. Thin views: parse → access → one action → the ticket page again
(its card shows a refusal next to the form, with what the agent entered)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from opora.agent.ticket import _access, _done, _render
from opora.core.errors import NotFound, OporaError
from opora.core.numbers import parse_id
from opora.pages import agent_required, current_user, not_found_as_404
from opora.remote import actions
from opora.remote.selectors import access_session
from opora.tickets.models import Ticket

STEPS = {"start": actions.start_session, "end": actions.end_session}


def _refused(request: HttpRequest, ticket: Ticket, exc: OporaError, **values: str) -> HttpResponse:
    card = {"error": exc.message, "field": exc.field or "", "values": values}
    return _render(request, ticket, extra={"remote_card": card}, status=400)


@require_POST
@agent_required
def invite(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    ticket = _access(user, number)
    tool = request.POST.get("tool", "")
    session_id = request.POST.get("session_id", "")
    try:
        actions.invite(
            ticket,
            by=user,
            tool_id=parse_id(tool),
            session_id=session_id,
            password=request.POST.get("password", ""),
        )
    except OporaError as exc:
        return _refused(request, ticket, exc, tool=tool, session_id=session_id)
    return _done(request, ticket)


@require_POST
@agent_required
def step(request: HttpRequest, number: int, session_id: int, step: str) -> HttpResponse:
    """ "start" or "end" the session."""
    user = current_user(request)
    ticket = _access(user, number)
    if step not in STEPS:
        raise Http404
    try:
        session = access_session(user, number, session_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None
    try:
        STEPS[step](session, by=user)
    except OporaError as exc:
        return _refused(request, ticket, exc)
    return _done(request, ticket)
