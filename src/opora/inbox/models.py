"""Channels in: the models of the e-mail channel live in inbox/email/models.py."""

from __future__ import annotations

from opora.inbox.email.models import Mailbox, OutboundMail, RawMessage, RawState

__all__ = ["Mailbox", "OutboundMail", "RawMessage", "RawState"]
