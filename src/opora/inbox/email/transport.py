"""The connection that really sends mail, behind the outbox (see inbox/mail_backend.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend

OUTBOX_BACKEND = "opora.inbox.mail_backend.OutboxBackend"


def transport_backend() -> str:
    """EMAIL_BACKEND, unless that is the outbox itself: then OUTBOX_TRANSPORT (SMTP when
    OPORA_SMTP_HOST is set, else the local outbox folder). Tests that swap EMAIL_BACKEND
    for another backend send through that one."""
    backend = str(settings.EMAIL_BACKEND)
    return str(settings.OUTBOX_TRANSPORT) if backend == OUTBOX_BACKEND else backend


def transport(**kwargs: Any) -> BaseEmailBackend:
    connection: BaseEmailBackend = get_connection(transport_backend(), **kwargs)
    return connection


def uses_local_outbox() -> bool:
    """True when mail is only written to files (no SMTP server configured)."""
    return transport_backend().endswith("filebased.EmailBackend")


def local_outbox_path() -> str:
    return str(getattr(settings, "EMAIL_FILE_PATH", "") or "")
