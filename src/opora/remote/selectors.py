"""Who may manage remote tools (administrators) and work with a ticket's sessions
(agents who may open the ticket), and what the ticket page lists."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import Forbidden, NotFound
from opora.remote import errors
from opora.remote.models import RemoteSession, RemoteTool
from opora.tickets.models import Ticket
from opora.tickets.selectors import access_ticket


def require_remote_admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden(errors.ADMINS_ONLY, _("Only administrators may manage remote tools."))


def visible_tools(user: User) -> QuerySet[RemoteTool]:
    require_remote_admin(user)
    return RemoteTool.objects.order_by("name", "id")


def access_tool(user: User, tool_id: int) -> RemoteTool:
    found = visible_tools(user).filter(pk=tool_id).first()
    if found is None:
        raise NotFound(_("remote tool"))
    return found


def active_tools() -> QuerySet[RemoteTool]:
    """The tools an agent may invite with."""
    return RemoteTool.objects.filter(active=True).order_by("name", "id")


def access_session_ticket(user: User, number: int) -> Ticket:
    """A ticket whose remote sessions the user may see and start: agents only (a
    customer gets 404 even for their own ticket, as for the time log)."""
    ticket = access_ticket(user, number)
    if not user.is_agent:
        raise NotFound(_("ticket"))
    return ticket


def ticket_sessions(ticket: Ticket) -> QuerySet[RemoteSession]:
    return (
        RemoteSession.objects.filter(ticket=ticket)
        .select_related("tool", "agent")
        .order_by("invited_at", "id")
    )


def access_session(user: User, number: int, session_id: int) -> RemoteSession:
    ticket = access_session_ticket(user, number)
    found = ticket_sessions(ticket).filter(pk=session_id).first()
    if found is None:
        raise NotFound(_("remote session"))
    return found
