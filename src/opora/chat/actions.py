"""Every write of the live chat: visitors, their messages, the bot, agents' work.

Each runs in its own transaction; what the sockets must hear is published after the
commit (`frames.send_after_commit`). Permissions are checked by the callers through
`selectors.access_*`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.actions import clean_email, get_or_create_requester
from opora.accounts.identities import Contact
from opora.accounts.models import Language, SupportLine, User
from opora.automation import bot
from opora.automation.models import BotConversation, BotState
from opora.chat import errors
from opora.chat.frames import (
    chat_frame,
    external_id,
    files_text,
    message_frame,
    send_after_commit,
)
from opora.chat.models import (
    AgentPresence,
    ChatSession,
    ChatWidget,
    PrechatMode,
    PresenceStatus,
    SessionState,
    agent_group,
)
from opora.chat.routing import (
    announce_waiting,
    presence_changed,
    presence_frame,
    requeue,
    route,
    route_waiting,
    state_frame,
    tell_team,
    withdraw_offers,
)
from opora.chat.selectors import Visitor, current_session, may_work_in, team_online
from opora.core import audit
from opora.core import clock as wall_clock
from opora.core.errors import Forbidden, NotFound, RateLimited, ValidationFailed
from opora.core.ratelimit import hit
from opora.feedback.actions import rate_ticket
from opora.feedback.models import Rating
from opora.inbox.channels import Inbound, receive
from opora.tickets.actions import (
    NewMessage,
    TicketChanges,
    add_message,
    add_messages,
    create_tickets,
    prepare_ticket,
    update_ticket,
)
from opora.tickets.attachments import IncomingFile, check_attachments, clean_filename
from opora.tickets.models import ACTIVE_STATUSES, Channel, Message, TicketStatus

OFFLINE_TAG = "chat-offline"


@dataclass(frozen=True)
class Profile:
    """What the visitor told the widget about themselves and where they are."""

    name: str = ""
    email: str = ""
    language: str = ""
    page_url: str = ""
    user_agent: str = ""


def new_visitor_id() -> str:
    return secrets.token_urlsafe(16)


def _language(value: str) -> str:
    value = (value or "").strip().lower()[:2]
    return value if value in Language.values else ""


def _apply(session: ChatSession, profile: Profile) -> list[str]:
    changed = []
    wanted = {
        "name": profile.name.strip()[:200],
        "email": profile.email.strip().lower()[:254],
        "language": _language(profile.language),
        "page_url": profile.page_url.strip()[:2000],
        "user_agent": profile.user_agent[:500],
    }
    for name, value in wanted.items():
        if value and getattr(session, name) != value:
            setattr(session, name, value)
            changed.append(name)
    return changed


def check_profile(widget: ChatWidget, profile: Profile) -> None:
    """The pre-chat fields the widget requires, and an address that is one."""
    if widget.prechat_name == PrechatMode.REQUIRED and not profile.name.strip():
        raise ValidationFailed(errors.NAME_REQUIRED, _("Please give your name."), field="name")
    if profile.email.strip():
        clean_email(profile.email)
    elif widget.prechat_email == PrechatMode.REQUIRED:
        raise ValidationFailed(
            errors.EMAIL_REQUIRED, _("Please give your e-mail address."), field="email"
        )


def open_session(visitor: Visitor, profile: Profile) -> ChatSession:
    """The visitor's current session, created if none is open; the profile kept on it."""
    with transaction.atomic():
        session = current_session(visitor, for_update=True)
        if session is None:
            session = ChatSession(
                widget=visitor.widget,
                visitor_id=visitor.visitor_id,
                language=_language(profile.language),
                created_at=wall_clock.now(),
            )
            _apply(session, profile)
            session.save()
            return session
        changed = _apply(session, profile)
        if changed:
            session.save(update_fields=changed)
        return session


def check_flood(visitor: Visitor, client_address: str) -> None:
    """Refuse a visitor writing faster than the limits, before anything is stored."""
    per_visitor = hit(
        "chat-visitor",
        f"{visitor.widget.pk}:{visitor.visitor_id}",
        limit=settings.CHAT_RATE_LIMIT_PER_MINUTE,
    )
    per_address = hit(
        "chat-address", client_address or "unknown", limit=settings.CHAT_IP_RATE_LIMIT_PER_MINUTE
    )
    if not (per_visitor and per_address):
        raise RateLimited(
            errors.RATE_LIMITED, _("You are sending messages too fast; wait a minute.")
        )


def check_text(text: object, *, files: bool) -> str:
    if not isinstance(text, str):
        raise ValidationFailed(errors.BAD_FRAME, _("The message must be text."), field="text")
    if len(text) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise ValidationFailed(
            errors.MESSAGE_TOO_LONG,
            _("The message is longer than %(limit)s characters.")
            % {"limit": settings.CHAT_MAX_MESSAGE_CHARS},
            field="text",
        )
    text = text.strip()
    if not text and not files:
        raise ValidationFailed(errors.MESSAGE_EMPTY, _("The message is empty."), field="text")
    return text


def _client_id(value: object) -> str:
    text = str(value or "").strip()[:64]
    return "".join(ch for ch in text if ch.isalnum() or ch in "-_") or secrets.token_hex(8)


def post_message(
    visitor: Visitor,
    text: str,
    client_id: object,
    *,
    attachments: Sequence[IncomingFile] = (),
    email: str = "",
    client_address: str = "",
) -> Message:
    """A visitor's message: a new chat's ticket, a reply on it, or (nobody online) an
    e-mail ticket. Sent twice with the same client_id, it is stored once."""
    text = check_text(text, files=bool(attachments))
    check_attachments(list(attachments), field="file")
    body = text or stored_text(attachments)
    check_flood(visitor, client_address)
    client = _client_id(client_id)
    with transaction.atomic():
        session = current_session(visitor, for_update=True)
        if session is None:
            session = ChatSession(
                widget=visitor.widget, visitor_id=visitor.visitor_id, created_at=wall_clock.now()
            )
            session.save()
        if email.strip() and email.strip().lower() != session.email:
            session.email = clean_email(email)
            session.save(update_fields=["email"])
        key = external_id(session.pk, client)
        seen = Message.objects.filter(external_id=key).select_related("author").first()
        if seen is not None:
            return seen  # resent after a reconnect: stored once
        starting = session.ticket_id is None
        if starting and not team_online(visitor.widget.team_id):
            message = _offline_message(session, body, key, attachments)
        elif session.state == SessionState.OFFLINE:
            assert session.ticket is not None and session.requester is not None
            message = add_message(
                session.ticket,
                by=session.requester,
                body=body,
                external_id=key,
                attachments=attachments,
            )
        else:
            ticket, message = receive(
                Inbound(
                    channel=Channel.CHAT,
                    contact=Contact(
                        kind="chat",
                        value=visitor.visitor_id,
                        name=session.name,
                        email=session.email,
                        language=session.language or None,
                    ),
                    body=body,
                    ticket_id=session.ticket_id,
                    external_id=key,
                    attachments=attachments,
                    team_id=visitor.widget.team_id,
                )
            )
            if session.ticket_id != ticket.pk:
                session.ticket = ticket
                session.requester_id = ticket.requester_id
                session.save(update_fields=["ticket", "requester"])
    if session.state == SessionState.OFFLINE:
        return message
    if starting:
        _start(session.pk)
    elif session.state == SessionState.BOT:
        _after_bot_reply(session.pk, text)
    return message


def stored_text(attachments: Sequence[IncomingFile]) -> str:
    """A message of files alone is stored with their names as its text (every ticket
    message has text); the chat shows it as the files only (`frames.files_text`)."""
    return files_text([clean_filename(f.name) for f in attachments])


def _offline_message(
    session: ChatSession, text: str, key: str, attachments: Sequence[IncomingFile]
) -> Message:
    """Nobody is online: the message opens an e-mail ticket, answered by mail."""
    if not session.email:
        raise ValidationFailed(
            errors.EMAIL_REQUIRED,
            _("Nobody is online now: leave your e-mail address and we will answer there."),
            field="email",
        )
    requester = get_or_create_requester(
        session.email, name=session.name, language=session.language or None
    )
    prepared = prepare_ticket(
        requester=requester,
        subject=_subject(text),
        body=text,
        by=requester,
        channel=Channel.EMAIL,
        language=session.language or None,
        external_id=key,
        attachments=attachments,
    )
    prepared.route_to = session.widget.team
    prepared.channel_tags = [OFFLINE_TAG]
    [(ticket, message)] = create_tickets([prepared], savepoint=False)
    session.ticket = ticket
    session.requester = requester
    session.state = SessionState.OFFLINE
    session.save(update_fields=["ticket", "requester", "state"])
    # No agent hears of it live: the widget's tabs see it stored.
    send_after_commit(
        [
            (
                session.visitor_group,
                {"type": "message", "message": message_frame(message, requester.pk)},
            )
        ]
    )
    return message


def _subject(text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return (first[:77] + "…") if len(first) > 80 else (first or _("Chat"))


def _start(session_id: int) -> None:
    """A new chat: the answer bot first, if its team has it on; else a person."""
    session = ChatSession.objects.select_related("widget", "ticket").get(pk=session_id)
    assert session.ticket is not None
    settings_ = bot.settings_for(session.ticket)
    answered = None
    if settings_ is not None and settings_.enabled:
        answered = bot.answer_ticket(session.ticket.pk)
    if answered is not None and answered.state == BotState.AWAITING:
        return  # the bot answered; the visitor says whether it helped
    _to_a_person(session_id)


def _after_bot_reply(session_id: int, text: str) -> None:
    """The visitor wrote while the bot waited: "yes" solves, anything else is a person's."""
    session = ChatSession.objects.select_related("ticket").get(pk=session_id)
    if session.ticket is None:
        return
    bot.read_reply(session.ticket.pk, text)  # nothing when the bot already heard it
    state = (
        BotConversation.objects.filter(ticket_id=session.ticket.pk)
        .values_list("state", flat=True)
        .first()
    )
    if state == BotState.SOLVED:
        _close_session(session_id)
    elif state != BotState.AWAITING:
        _to_a_person(session_id)


def _to_a_person(session_id: int) -> None:
    with transaction.atomic():
        session = (
            ChatSession.objects.select_for_update(of=("self",))
            .select_related("widget", "ticket", "agent")
            .filter(pk=session_id, state=SessionState.BOT)
            .first()
        )
        if session is None:
            return
        session.state = SessionState.WAITING
        session.waiting_since = wall_clock.now()
        session.save(update_fields=["state", "waiting_since"])
        send_after_commit([(session.visitor_group, state_frame(session))])
        announce_waiting(session)
    route(session_id)


def helpful(visitor: Visitor) -> None:
    """The bot's answer solved it: the ticket is solved by the bot, the chat ends."""
    session = _bot_session(visitor)
    assert session.ticket is not None
    bot.give_feedback(session.ticket, solved=True)
    _after_bot_reply(session.pk, "")


def handoff(visitor: Visitor) -> None:
    """ "Talk to a person": the bot steps aside, the chat is routed to an agent."""
    session = _bot_session(visitor)
    assert session.ticket is not None
    bot.give_feedback(session.ticket, solved=False)
    _to_a_person(session.pk)


def _bot_session(visitor: Visitor) -> ChatSession:
    session = current_session(visitor)
    if session is None or session.ticket_id is None:
        raise NotFound(_("chat"))
    if session.state != SessionState.BOT:
        raise ValidationFailed(
            errors.WRONG_STATE, _("The answer bot is no longer in this chat."), field="type"
        )
    return session


def _close_session(session_id: int) -> None:
    """The bot solved the chat: it ends, nobody to rate."""
    with transaction.atomic():
        session = (
            ChatSession.objects.select_for_update(of=("self",))
            .select_related("widget", "agent")
            .filter(pk=session_id)
            .first()
        )
        if session is None or session.state == SessionState.ENDED:
            return
        session.state = SessionState.ENDED
        session.ended_at = wall_clock.now()
        session.save(update_fields=["state", "ended_at"])
        send_after_commit([(session.visitor_group, state_frame(session))])


# --- agents -------------------------------------------------------------------------


def _locked(session_id: int) -> ChatSession:
    found = (
        ChatSession.objects.select_for_update(of=("self",))
        .select_related("widget", "ticket", "agent", "offered_to")
        .filter(pk=session_id)
        .first()
    )
    if found is None:
        raise NotFound(_("chat"))
    return found


def accept(agent: User, session_id: int) -> ChatSession:
    """The agent takes a chat offered to them or waiting in their team (one offered to
    a colleague too: the waiting list lets anyone of the team take it)."""
    with transaction.atomic():
        session = _locked(session_id)
        if not may_work_in(agent, session.widget.team_id):
            raise Forbidden(errors.NOT_IN_TEAM, _("This chat belongs to another team."))
        if session.state not in (SessionState.WAITING, SessionState.OFFERED):
            raise ValidationFailed(
                errors.WRONG_STATE, _("This chat cannot be accepted now."), field="chat_id"
            )
        assert session.ticket is not None
        changes = TicketChanges(assignee=agent.pk)
        if session.ticket.status in (TicketStatus.NEW, TicketStatus.PENDING):
            changes.status = TicketStatus.OPEN
        session.ticket = update_ticket(session.ticket, changes, by=agent)
        offered_to = session.offered_to_id
        session.state = SessionState.ACTIVE
        session.agent = agent
        session.offered_to = None
        session.offered_at = None
        session.accepted_at = wall_clock.now()
        session.save(
            update_fields=["state", "agent", "offered_to", "offered_at", "accepted_at", "ticket"]
        )
        _tell_both(session, also=[offered_to] if offered_to else [])
        tell_team(session, besides=[agent.pk, offered_to or 0])
        return session


def _tell_both(session: ChatSession, *, also: Sequence[int] = ()) -> None:
    chat = {"type": "chat", "chat": chat_frame(session)}
    groups = {pk for pk in (session.agent_id, session.offered_to_id, *also) if pk}
    send_after_commit(
        [(agent_group(pk), chat) for pk in sorted(groups)]
        + [(session.visitor_group, state_frame(session))]
    )


def pass_chat(agent: User, session_id: int) -> None:
    """The agent passes on an offer: it goes to the next agent."""
    with transaction.atomic():
        session = _locked(session_id)
        if session.state != SessionState.OFFERED or session.offered_to_id != agent.pk:
            raise ValidationFailed(
                errors.NOT_OFFERED, _("This chat is not offered to you."), field="chat_id"
            )
        requeue(session, passed=agent)
    route(session_id)


def transfer(
    by: User, session_id: int, *, agent_id: int | None = None, line: int | None = None
) -> ChatSession:
    """Hand a chat to another agent of the team, or to a support line's agents."""
    with transaction.atomic():
        session = _locked(session_id)
        if session.state not in (SessionState.ACTIVE, SessionState.OFFERED, SessionState.WAITING):
            raise ValidationFailed(
                errors.WRONG_STATE, _("This chat cannot be transferred now."), field="chat_id"
            )
        assert session.ticket is not None
        previous = session.agent_id
        was_waiting = session.state in (SessionState.WAITING, SessionState.OFFERED)
        if agent_id is not None:
            target = User.objects.filter(pk=agent_id, is_active=True).first()
            if target is None or not may_work_in(target, session.widget.team_id):
                raise ValidationFailed(
                    errors.UNKNOWN_AGENT,
                    _("Chats go only to active agents of the chat's team."),
                    field="agent_id",
                )
            session.ticket = update_ticket(session.ticket, TicketChanges(assignee=target.pk), by=by)
            session.state = SessionState.ACTIVE
            session.agent = target
            session.offered_to = None
            session.offered_at = None
            session.accepted_at = wall_clock.now()
            session.save(
                update_fields=["state", "agent", "offered_to", "offered_at", "accepted_at"]
            )
            _tell_both(session, also=[previous] if previous else [])
            if was_waiting:
                tell_team(session, besides=[target.pk, previous or 0])
            return session
        if line not in SupportLine.values:
            raise ValidationFailed(
                errors.INVALID_CHOICE, _("Choose an agent or a support line (1-3)."), field="line"
            )
        session.ticket = update_ticket(
            session.ticket, TicketChanges(line=line, unassign=True), by=by
        )
        session.state = SessionState.WAITING
        session.agent = None
        session.offered_to = None
        session.offered_at = None
        session.passed_by = [by.pk] if by.pk else []
        session.passed_at = wall_clock.now()
        session.waiting_since = wall_clock.now()
        session.save(
            update_fields=[
                "state",
                "agent",
                "offered_to",
                "offered_at",
                "passed_by",
                "passed_at",
                "waiting_since",
            ]
        )
        _tell_both(session, also=[previous] if previous else [])
        announce_waiting(session)
    route(session_id)
    return session


def end_by_agent(agent: User, session_id: int) -> ChatSession:
    """The agent ends the chat: its ticket is solved and the visitor asked to rate."""
    with transaction.atomic():
        session = _locked(session_id)
        _end(session, by=agent)
    if session.widget.team_id:
        route_waiting(session.widget.team_id)  # the agent has room for another
    return session


def end_by_visitor(visitor: Visitor) -> ChatSession:
    with transaction.atomic():
        found = current_session(visitor, for_update=True)
        if found is None:
            raise NotFound(_("chat"))
        session = _locked(found.pk)
        assert session.requester is not None or session.ticket is None
        _end(session, by=session.requester)
    return session


def _end(session: ChatSession, *, by: User | None) -> None:
    if session.state == SessionState.ENDED:
        return
    was_waiting = session.state in (SessionState.WAITING, SessionState.OFFERED)
    was_with_agent = session.agent_id is not None
    ticket = session.ticket
    # An agent does not solve an offline chat: its e-mail ticket is answered by mail.
    solving = (
        ticket is not None
        and by is not None
        and ticket.status in ACTIVE_STATUSES
        and not (by.is_agent and session.state == SessionState.OFFLINE)
    )
    if solving:
        assert ticket is not None and by is not None
        session.ticket = update_ticket(ticket, TicketChanges(status=TicketStatus.SOLVED), by=by)
    session.state = SessionState.ENDED
    session.ended_at = wall_clock.now()
    session.offered_to = None
    session.rating_asked = was_with_agent and session.ticket is not None
    session.save(update_fields=["state", "ended_at", "offered_to", "rating_asked", "ticket"])
    messages = [(session.visitor_group, state_frame(session))]
    if session.rating_asked:
        messages.append((session.visitor_group, {"type": "rating", "asked": True}))
    if session.agent_id:
        messages.append(
            (agent_group(session.agent_id), {"type": "chat", "chat": chat_frame(session)})
        )
    send_after_commit(messages)
    if was_waiting:
        tell_team(session, besides=[session.agent_id or 0])  # off the waiting lists


def rate(visitor: Visitor, score: object, comment: object) -> Rating:
    """The visitor rates the chat that just ended (CSAT on its ticket)."""
    session = (
        ChatSession.objects.filter(
            widget_id=visitor.widget.pk, visitor_id=visitor.visitor_id, ticket__isnull=False
        )
        .select_related("ticket", "requester")
        .order_by("-id")
        .first()
    )
    if session is None or session.ticket is None or session.requester is None:
        raise NotFound(_("chat"))
    if not isinstance(score, int) or isinstance(score, bool):
        score = -1
    return rate_ticket(
        session.ticket, by=session.requester, score=score, comment=str(comment or "")[:5000]
    )


def agent_message(
    agent: User,
    session: ChatSession,
    text: object,
    client_id: object,
    *,
    attachments: Sequence[IncomingFile] = (),
) -> Message:
    """An agent's reply from the chat socket or the chat API (with files, the text may
    be empty); it reaches the visitor through the chat adapter like a reply from the
    ticket page or the API. Sent twice with the same client_id, it is stored once."""
    text = check_text(text, files=bool(attachments))
    check_attachments(list(attachments))
    if session.ticket is None:
        raise NotFound(_("chat"))
    key = external_id(session.pk, _client_id(client_id), agent=True)
    with transaction.atomic():
        seen = Message.objects.filter(external_id=key).first()
        if seen is not None:
            return seen
        [message] = add_messages(
            [
                NewMessage(
                    ticket_id=session.ticket.pk,
                    by=agent,
                    body=text or stored_text(attachments),
                    external_id=key,
                    attachments=attachments,
                )
            ]
        )
        assert message is not None
        return message


def mark_read(session: ChatSession, *, by_agent: bool, up_to: object) -> int | None:
    """Move a side's read mark forward; the new mark, or None when it did not move."""
    if not isinstance(up_to, int) or isinstance(up_to, bool) or up_to <= 0:
        raise ValidationFailed(errors.BAD_FRAME, _("Say up to which message."), field="up_to")
    field = "agent_read_up_to" if by_agent else "visitor_read_up_to"
    moved = ChatSession.objects.filter(pk=session.pk, **{f"{field}__lt": up_to}).update(
        **{field: up_to}
    )
    return up_to if moved else None


# --- presence -----------------------------------------------------------------------


def set_presence(agent: User, status: str, *, via: str = "chat") -> AgentPresence:
    """Online (offered chats and routed tickets), away or offline: the agent's choice
    on any page (the navigation's switch, the chat page, the API: `via`), or the desk's
    (`idle`). One row for chats and tickets alike; every one of the agent's sockets
    hears it, so each open page shows the same. A change is kept on the account's
    trail; going online counts as being seen and routes what waits."""
    if status not in PresenceStatus.values:
        raise ValidationFailed(
            errors.INVALID_CHOICE, _("Presence is online, away or offline."), field="status"
        )
    with transaction.atomic():
        presence, _created = AgentPresence.objects.select_for_update().get_or_create(agent=agent)
        was = presence.status
        now = wall_clock.now()
        presence.status = status
        presence.last_seen_at = now
        if was != status:  # the moment routing counts "offline since" from
            presence.updated_at = now
        presence.save(update_fields=["status", "updated_at", "last_seen_at"])
        presence_changed(agent, was, status, via=via)
        if was == PresenceStatus.ONLINE and status != PresenceStatus.ONLINE:
            withdraw_offers(agent)
        send_after_commit([(agent_group(agent.pk), presence_frame(presence))])
    if status == PresenceStatus.ONLINE:
        route_waiting()
    return presence


def set_capacity(agent: User, capacity: int, *, by: User) -> AgentPresence:
    """How many chats the agent takes at once: an administrator's setting (checked by
    callers); the agent's inbox shows it."""
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 50:
        raise ValidationFailed(
            errors.INVALID_CHOICE, _("Capacity is from 1 to 50 chats."), field="capacity"
        )
    with transaction.atomic():
        presence, _created = AgentPresence.objects.select_for_update().get_or_create(agent=agent)
        grew = capacity > presence.capacity
        audit.record_change(
            actor=by,
            area="channels",
            action="changed",
            target=agent,
            target_type="chat_capacity",
            changes=audit.diff({"capacity": presence.capacity}, {"capacity": capacity}),
        )
        presence.capacity = capacity
        presence.save(update_fields=["capacity"])
        send_after_commit([(agent_group(agent.pk), presence_frame(presence))])
    if grew and presence.status == PresenceStatus.ONLINE:
        route_waiting()
    return presence


# Heard from less than this long ago: no need to write the moment again.
SEEN_RESOLUTION = timedelta(seconds=5)


def agent_seen(agent: User) -> None:
    """One of the agent's chat sockets opened, pinged or closed: the grace period
    (OPORA_CHAT_PRESENCE_GRACE_SECONDS) counts from now. Presence itself is unchanged:
    connecting never makes anyone online, closing never offline."""
    now = wall_clock.now()
    AgentPresence.objects.filter(agent=agent, last_seen_at__lt=now - SEEN_RESOLUTION).update(
        last_seen_at=now
    )


def presence_heartbeat(agent: User, *, idle_seconds: int) -> AgentPresence:
    """A workspace page says the agent is still here, and how long since they last
    typed, clicked or scrolled in any of their tabs: seen now (a throttled write, as a
    socket's ping), and an agent online but idle for OPORA_PRESENCE_IDLE_MINUTES goes
    away (back online only by their own choice)."""
    agent_seen(agent)
    presence = AgentPresence.objects.filter(agent=agent).first()
    if presence is None:
        return AgentPresence(agent=agent)
    idle_limit = settings.PRESENCE_IDLE_MINUTES * 60
    if presence.status == PresenceStatus.ONLINE and idle_limit and idle_seconds >= idle_limit:
        return set_presence(agent, PresenceStatus.AWAY, via="idle")
    return presence
