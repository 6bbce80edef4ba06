"""Administrators manage mailboxes here; raw messages are kept for inspection only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from opora.inbox.email.actions import EDITABLE
from opora.inbox.email.models import Mailbox, RawMessage
from opora.inbox.models import Delivery


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin[Mailbox]):
    list_display = ("address", "team", "language", "imap_host", "active")
    # The password is never a field: password_env names where it is kept.
    fields = EDITABLE


@admin.register(RawMessage)
class RawMessageAdmin(admin.ModelAdmin[RawMessage]):
    list_display = ("id", "message_id", "mailbox", "state", "size", "received_at", "ticket")
    list_filter = ("state", "source")
    exclude = ("raw",)
    readonly_fields = ("message_id", "sha256", "size", "source", "error", "ticket")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = ("id", "ticket", "channel", "kind", "state", "attempts", "created_at", "sent_at")
    list_filter = ("state", "channel", "kind")
