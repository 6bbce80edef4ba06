"""The desk's remote-assistance tools and the sessions agents invite customers to."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opora.tickets.models import Message, Ticket, TimeEntry

RUSTDESK_TEMPLATE = "rustdesk://connection/new/{id}?password={password}"


class ToolKind(models.TextChoices):
    RUSTDESK = "rustdesk", _("RustDesk")
    LINK = "link", _("Link template")


class RemoteTool(models.Model):
    """A tool agents invite customers with: its link template (placeholders `{id}`,
    `{password}`, `{ticket}`) and what the customer is told, in English and Russian.

    `secret` signs the tool's own reports of a session's start and end (a self-hosted
    server's hook); it is stored, never shown or returned, and empty means no reports.
    """

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(
        _("kind"), max_length=16, choices=ToolKind.choices, default=ToolKind.RUSTDESK
    )
    template = models.CharField(_("link template"), max_length=1000)
    instructions_en = models.TextField(_("instructions (English)"), blank=True)
    instructions_ru = models.TextField(_("instructions (Russian)"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    secret = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class RemoteSession(models.Model):
    """One invitation to a remote session on a ticket, and what became of it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="remote_sessions")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="remote_sessions"
    )
    tool = models.ForeignKey(RemoteTool, on_delete=models.PROTECT, related_name="sessions")
    # The session's id in the tool (a RustDesk or AnyDesk id), if the agent gave one.
    code = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=8)
    # The public reply that carried the invitation.
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    # The agent's logged time for it (the time-tracking entry of the ticket).
    time_entry = models.ForeignKey(
        TimeEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["invited_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "invited_at"], name="remotesession_ticket"),
            models.Index(fields=["tool", "code"], name="remotesession_tool_code"),
        ]

    def __str__(self) -> str:
        return f"remote session {self.pk} on ticket {self.ticket_id}"

    @property
    def state(self) -> str:
        if self.ended_at is not None:
            return "ended"
        return "started" if self.started_at is not None else "invited"

    @property
    def minutes(self) -> int | None:
        if self.duration_seconds is None:
            return None
        # As logged: at least a minute.
        return max(1, round(self.duration_seconds / 60))
