"""Every write of remote sessions: the tools (administrators, audited), an invitation
(a public reply to the customer and the session's row), and a session's start and end
(history events; the end logs the session's length as the agent's time).

Ticket writes go through `tickets.actions`: the invitation is an agent's reply like any
other (delivered on the ticket's channel), the time a time entry like a manual one, so
cost and "% time logged" count it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core import audit, clock
from opora.core.errors import Forbidden, ValidationFailed
from opora.remote import errors, invitations, links
from opora.remote.models import RUSTDESK_TEMPLATE, RemoteSession, RemoteTool, ToolKind
from opora.remote.selectors import require_remote_admin
from opora.tickets import errors as ticket_errors
from opora.tickets.actions import add_message, log_time
from opora.tickets.events import remote_session_event
from opora.tickets.models import EventKind, Ticket, TicketStatus
from opora.tickets.time_tracking import MAX_ENTRY_MINUTES

EDITABLE = ("name", "kind", "template", "instructions_en", "instructions_ru", "active", "secret")
AUDITED = tuple(name for name in EDITABLE if name != "secret")
AUDIT_AREA = "channels"
INSTRUCTIONS_LIMIT = 4000
_SESSION_ID = re.compile(r"^[\w .:@-]{1,100}$")


def webhook_url(tool: RemoteTool) -> str:
    path = reverse("remote:events", args=[tool.pk])
    return f"{settings.BASE_URL.rstrip('/')}{path}"


# --- Tools --------------------------------------------------------------------------


def _text(value: Any, field: str, *, code: str, limit: int, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    bad = any(not ch.isprintable() and ch not in "\n\r\t" for ch in text)
    if (required and not text) or len(text) > limit or bad or not isinstance(value, str | None):
        raise ValidationFailed(code, _("Enter a valid value."), field=field)
    return text


def clean_template(value: Any, kind: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if kind == ToolKind.RUSTDESK and not text:
        text = RUSTDESK_TEMPLATE
    parts = urlsplit(text)
    wanted = ("rustdesk",) if kind == ToolKind.RUSTDESK else ("https", "http")
    unknown = links.unknown_placeholders(text)
    if (
        not text
        or len(text) > 1000
        or any(ch.isspace() or not ch.isprintable() for ch in text)
        or parts.scheme not in wanted
        or not (parts.netloc or parts.path)
        or unknown
    ):
        if unknown:
            message = _("Use only the placeholders {id}, {password} and {ticket}.")
        elif kind == ToolKind.RUSTDESK:
            message = _("A RustDesk link starts with rustdesk://, such as %(example)s.") % {
                "example": RUSTDESK_TEMPLATE
            }
        else:
            message = _("Enter a link that starts with https://.")
        raise ValidationFailed(errors.INVALID_TEMPLATE, message, field="template")
    return text


def _apply(tool: RemoteTool, values: Mapping[str, Any]) -> None:
    for field in values:
        if field not in EDITABLE:
            raise ValidationFailed(errors.UNKNOWN_FIELD, _("Unknown field."), field=field)
    if "kind" in values:
        if values["kind"] not in ToolKind.values:
            raise ValidationFailed(
                errors.INVALID_KIND, _("Choose “rustdesk” or “link”."), field="kind"
            )
        tool.kind = values["kind"]
    if "name" in values:
        tool.name = _text(values["name"], "name", code=errors.INVALID_NAME, limit=120)
    if "template" in values or "kind" in values:
        tool.template = clean_template(values.get("template", tool.template), tool.kind)
    for field in ("instructions_en", "instructions_ru"):
        if field in values:
            text = _text(
                values[field] or "",
                field,
                code=errors.INVALID_INSTRUCTIONS,
                limit=INSTRUCTIONS_LIMIT,
                required=False,
            )
            if links.unknown_placeholders(text):
                raise ValidationFailed(
                    errors.INVALID_INSTRUCTIONS,
                    _("Use only the placeholders {id}, {password} and {ticket}."),
                    field=field,
                )
            setattr(tool, field, text)
    if "active" in values:
        if not isinstance(values["active"], bool):
            raise ValidationFailed(errors.INVALID, _("Enter true or false."), field="active")
        tool.active = values["active"]
    if values.get("secret") not in (None, ""):
        secret = values["secret"]
        if not isinstance(secret, str) or not 16 <= len(secret) <= 200 or not secret.isprintable():
            raise ValidationFailed(
                errors.INVALID_SECRET,
                _("The secret must be 16 to 200 characters long."),
                field="secret",
            )
        tool.secret = secret


def _secret_change(before: str, after: str) -> dict[str, list[str]]:
    if before == after:
        return {}
    return {"secret": ["(set)" if before else "", "(set)" if after else ""]}


@transaction.atomic
def create_tool(*, by: User, values: Mapping[str, Any]) -> RemoteTool:
    """A new tool from `values` (keys of EDITABLE; `name` required, `template` too for
    a link tool: a RustDesk tool without one gets RustDesk's own)."""
    require_remote_admin(by)
    if not values.get("name"):
        raise ValidationFailed(errors.INVALID_NAME, _("Enter a valid value."), field="name")
    tool = RemoteTool()
    _apply(tool, {"template": "", **values})
    tool.created_at = tool.updated_at = clock.now()
    tool.save()
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="created",
        target=tool,
        target_type="remote_tool",
        label=tool.name,
        changes=audit.diff({}, audit.snapshot(tool, AUDITED)) | _secret_change("", tool.secret),
    )
    return tool


@transaction.atomic
def update_tool(tool: RemoteTool, *, by: User, changes: Mapping[str, Any]) -> RemoteTool:
    """Change some of EDITABLE; an empty secret keeps the saved one."""
    require_remote_admin(by)
    tool = RemoteTool.objects.select_for_update().get(pk=tool.pk)
    before = audit.snapshot(tool, AUDITED)
    secret = tool.secret
    _apply(tool, changes)
    tool.updated_at = clock.now()
    tool.save()
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="changed",
        target=tool,
        target_type="remote_tool",
        label=tool.name,
        changes=audit.diff(before, audit.snapshot(tool, AUDITED))
        | _secret_change(secret, tool.secret),
    )
    return tool


@transaction.atomic
def delete_tool(tool: RemoteTool, *, by: User) -> None:
    """Delete a tool no session used; one with sessions is switched off instead, as the
    tickets' history names it."""
    require_remote_admin(by)
    if RemoteSession.objects.filter(tool=tool).exists():
        raise ValidationFailed(
            errors.TOOL_IN_USE,
            _("Sessions were held with this tool: switch it off instead of deleting it."),
            field="tool",
        )
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="deleted",
        target=tool,
        target_type="remote_tool",
        label=tool.name,
    )
    tool.delete()


# --- Sessions -------------------------------------------------------------------------


def _require_agent(by: User) -> None:
    if not by.is_agent:
        raise Forbidden(ticket_errors.AGENTS_ONLY, _("Only agents may invite to a remote session."))


def _require_open(ticket: Ticket) -> None:
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationFailed(
            errors.TICKET_CLOSED, _("A closed ticket cannot be changed."), field="ticket"
        )


def clean_session_id(value: Any, *, required: bool) -> str:
    code = " ".join(value.split()) if isinstance(value, str) else ""
    if not code:
        if required:
            raise ValidationFailed(
                errors.SESSION_ID_REQUIRED,
                _("This tool's link needs the session ID."),
                field="session_id",
            )
        return ""
    if not _SESSION_ID.match(code):
        raise ValidationFailed(
            errors.INVALID_SESSION_ID,
            _("A session ID is up to 100 letters, digits, spaces and . : @ -"),
            field="session_id",
        )
    return code


def clean_password(value: Any) -> str:
    password = value.strip() if isinstance(value, str) else ""
    if len(password) > 100 or any(ch.isspace() or not ch.isprintable() for ch in password):
        raise ValidationFailed(
            errors.INVALID_PASSWORD,
            _("A password is up to 100 characters, without spaces."),
            field="password",
        )
    return password


@transaction.atomic
def invite(
    ticket: Ticket, *, by: User, tool_id: int | None, session_id: str = "", password: str = ""
) -> RemoteSession:
    """Send the customer an invitation (a public reply in their language, on the
    ticket's channel) and note the session."""
    _require_agent(by)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    _require_open(ticket)
    tool = RemoteTool.objects.filter(pk=tool_id or 0, active=True).first()
    if tool is None:
        raise ValidationFailed(errors.UNKNOWN_TOOL, _("Choose a remote tool."), field="tool")
    code = clean_session_id(session_id, required=links.uses(tool.template, "id"))
    secret = clean_password(password)
    language = invitations.language_of(ticket.language)
    link = links.make_link(tool.template, code=code, password=secret, ticket=ticket.number)
    body = invitations.invitation_text(
        tool,
        language=language,
        link=link,
        agent=by.display_name,
        code=code,
        password=secret,
        ticket=ticket.number,
    )
    message = add_message(ticket, by=by, body=body)
    now = clock.now()
    session = RemoteSession.objects.create(
        ticket=ticket,
        agent=by,
        tool=tool,
        code=code,
        language=language,
        message=message,
        invited_at=now,
    )
    remote_session_event(
        ticket=ticket, by=by, kind=EventKind.REMOTE_INVITED, tool=tool.name, session=session.pk
    )
    return session


def _locked(session: RemoteSession) -> RemoteSession:
    return (
        RemoteSession.objects.select_for_update()
        .select_related("ticket", "tool", "agent")
        .get(pk=session.pk)
    )


def _moment(at: datetime | None, *, not_before: datetime) -> datetime:
    """When it happened: now, or the moment a tool reported (never in the future nor
    before the step it follows)."""
    now = clock.now()
    if at is None:
        return max(now, not_before)
    if at.tzinfo is None or at > now or at < not_before:
        raise ValidationFailed(
            errors.INVALID_TIME,
            _("The time must be between the session's previous step and now."),
            field="at",
        )
    return at


@transaction.atomic
def start_session(
    session: RemoteSession, *, by: User | None, at: datetime | None = None
) -> RemoteSession:
    """The session began (an agent's button, the API, or the tool's own report: `by`
    None)."""
    if by is not None:
        _require_agent(by)
    session = _locked(session)
    _require_open(session.ticket)
    if session.ended_at is not None:
        raise ValidationFailed(
            errors.ALREADY_ENDED, _("This session has ended already."), field="session"
        )
    if session.started_at is not None:
        raise ValidationFailed(
            errors.ALREADY_STARTED, _("This session has started already."), field="session"
        )
    session.started_at = _moment(at, not_before=session.invited_at)
    session.save(update_fields=["started_at"])
    remote_session_event(
        ticket=session.ticket,
        by=by,
        kind=EventKind.REMOTE_STARTED,
        tool=session.tool.name,
        session=session.pk,
    )
    return session


@transaction.atomic
def end_session(
    session: RemoteSession, *, by: User | None, at: datetime | None = None
) -> RemoteSession:
    """The session is over: its length is logged as the inviting agent's time on the
    ticket (at least a minute, at most a day, as any time entry)."""
    if by is not None:
        _require_agent(by)
    session = _locked(session)
    _require_open(session.ticket)
    if session.ended_at is not None:
        raise ValidationFailed(
            errors.ALREADY_ENDED, _("This session has ended already."), field="session"
        )
    if session.started_at is None:
        raise ValidationFailed(
            errors.NOT_STARTED, _("Mark the session as started first."), field="session"
        )
    ended = _moment(at, not_before=session.started_at)
    seconds = int((ended - session.started_at).total_seconds())
    minutes = min(MAX_ENTRY_MINUTES, max(1, round(seconds / 60)))
    note = _("Remote session with %(tool)s") % {"tool": session.tool.name}
    entry = log_time(session.ticket, by=session.agent, minutes=minutes, note=note)
    session.ended_at = ended
    session.duration_seconds = seconds
    session.time_entry = entry
    session.save(update_fields=["ended_at", "duration_seconds", "time_entry"])
    remote_session_event(
        ticket=session.ticket,
        by=by,
        kind=EventKind.REMOTE_ENDED,
        tool=session.tool.name,
        session=session.pk,
        minutes=minutes,
    )
    return session
