"""Live chat: widgets on customers' sites, visitors' sessions, agents' presence.

Every chat is a ticket on the `chat` channel (docs/chat.md): the session only keeps
what the conversation needs on top of it (who it is offered to, who has it, what each
side has read).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Team
from opora.tickets.models import Ticket


def new_public_key() -> str:
    return secrets.token_urlsafe(18)


def default_capacity() -> int:
    return int(settings.CHAT_CAPACITY)


class PrechatMode(models.TextChoices):
    OFF = "off", _("Not asked")
    OPTIONAL = "optional", _("Optional")
    REQUIRED = "required", _("Required")


class ChatWidget(models.Model):
    """One embeddable chat window: its public key goes into the site's script tag."""

    public_key = models.CharField(max_length=64, unique=True, default=new_public_key)
    name = models.CharField(_("name"), max_length=120)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="chat_widgets"
    )
    prechat_name = models.CharField(
        _("ask for the name"), max_length=8, choices=PrechatMode.choices, default=PrechatMode.OFF
    )
    prechat_email = models.CharField(
        _("ask for the e-mail"),
        max_length=8,
        choices=PrechatMode.choices,
        default=PrechatMode.OPTIONAL,
    )
    greeting_en = models.CharField(_("greeting (English)"), max_length=500, blank=True)
    greeting_ru = models.CharField(_("greeting (Russian)"), max_length=500, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class SessionState(models.TextChoices):
    BOT = "bot", _("With the answer bot")
    WAITING = "waiting", _("Waiting for an agent")
    OFFERED = "offered", _("Offered to an agent")
    ACTIVE = "active", _("With an agent")
    ENDED = "ended", _("Ended")
    OFFLINE = "offline", _("Answered by e-mail")


# A visitor's current session is the latest one in these states.
OPEN_STATES = (
    SessionState.BOT,
    SessionState.WAITING,
    SessionState.OFFERED,
    SessionState.ACTIVE,
    SessionState.OFFLINE,
)


class ChatSession(models.Model):
    """One conversation of a visitor through a widget."""

    widget = models.ForeignKey(ChatWidget, on_delete=models.CASCADE, related_name="sessions")
    visitor_id = models.CharField(max_length=64)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="chat_sessions"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(max_length=16, choices=SessionState.choices, default=SessionState.BOT)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    offered_at = models.DateTimeField(null=True, blank=True)
    # Ids of the agents who passed (or let the offer run out) in this round: not offered
    # again until everyone who could take it has passed (then a new round starts).
    passed_by = models.JSONField(default=list, blank=True)
    # The last pass or lapsed offer: a new round starts one offer period after it.
    passed_at = models.DateTimeField(null=True, blank=True)
    # Since when the visitor waits for a person (the handoff, or a transfer to a line).
    waiting_since = models.DateTimeField(null=True, blank=True)
    name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)  # given by the visitor, unverified
    language = models.CharField(max_length=8, blank=True)
    page_url = models.CharField(max_length=2000, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    visitor_read_up_to = models.BigIntegerField(default=0)
    agent_read_up_to = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    rating_asked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The visitor's current session, on every connect and message.
            models.Index(fields=["widget", "visitor_id", "-id"], name="chat_session_visitor"),
            # Routing: waiting and offered sessions, and each agent's load.
            models.Index(fields=["state", "offered_at"], name="chat_session_state"),
            models.Index(fields=["agent", "state"], name="chat_session_agent"),
        ]

    def __str__(self) -> str:
        return f"chat {self.pk} ({self.state})"

    @property
    def visitor_group(self) -> str:
        return visitor_group(self.widget_id, self.visitor_id)


def visitor_group(widget_id: int, visitor_id: str) -> str:
    """The channel-layer group of all a visitor's open sockets (their tabs)."""
    return f"chat.visitor.{widget_id}.{visitor_id}"


def agent_group(agent_id: int) -> str:
    """The channel-layer group of all an agent's open chat sockets."""
    return f"chat.agent.{agent_id}"


class PresenceStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class AgentPresence(models.Model):
    """Whether an agent takes chats now (their own choice), and how many at once (the
    administrators' setting)."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_presence"
    )
    status = models.CharField(
        max_length=8, choices=PresenceStatus.choices, default=PresenceStatus.OFFLINE
    )
    capacity = models.PositiveSmallIntegerField(default=default_capacity)
    updated_at = models.DateTimeField(default=timezone.now)
    # When one of the agent's chat sockets was last heard from (opened, a ping, closed).
    # An agent not heard from for OPORA_CHAT_PRESENCE_GRACE_SECONDS goes offline: a
    # moment, not a count of open sockets, so a process that dies with its sockets
    # cannot leave anyone online.
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status"], name="chat_presence_status")]

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.status}"
