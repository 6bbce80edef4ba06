"""The SMTP/LMTP receiver an MTA delivers into: unknown recipients refused at RCPT.

As the final delivery it writes what it knows above the message, as MTAs do: the
envelope sender as Return-Path (a sender found when the headers name none, see
parse.recover_sender) and its own DKIM/DMARC check as Authentication-Results under
`AUTHSERV_ID` (dkim.py), which the pipeline trusts for mail received here."""

from __future__ import annotations

import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from opora.core.tasks import enqueue_after_commit
from opora.inbox.email import dkim
from opora.inbox.email.models import Mailbox, RawState
from opora.inbox.email.noise import redact
from opora.inbox.email.pipeline import receive
from opora.inbox.email.tokens import ticket_number_from_address

logger = logging.getLogger("opora.inbox.email")


def mailbox_for_recipient(address: str) -> Mailbox | None:
    """The mailbox an address delivers to: its own address or its +token form."""
    address = address.strip().strip("<>").lower()
    local, _, domain = address.partition("@")
    base = f"{local.split('+', 1)[0]}@{domain}"
    found = Mailbox.objects.filter(address__in={address, base}, active=True).first()
    if found is None and "+" in local and ticket_number_from_address(address) is not None:
        # A reply address on the reply domain belongs to the mailbox of that local part.
        found = Mailbox.objects.filter(address__startswith=f"{local.split('+', 1)[0]}@").first()
    return found


def _store(data: bytes, address: str) -> int:
    from opora.inbox.email.tasks import process_raw_message_task

    close_old_connections()
    mailbox = mailbox_for_recipient(address)
    row, created = receive(data, mailbox=mailbox, source="smtp")
    if created or row.state == RawState.RECEIVED:
        enqueue_after_commit(process_raw_message_task, row.pk)
    return row.pk


def _known(address: str) -> bool:
    close_old_connections()
    return mailbox_for_recipient(address) is not None


def stamp(data: bytes, *, mail_from: str, dnsfunc: dkim.DnsFunc = dkim.system_dnsfunc) -> bytes:
    """The message with our Return-Path and Authentication-Results above it."""
    try:
        results = dkim.results_header(dkim.check(data, dnsfunc=dnsfunc), settings.AUTHSERV_ID)
    except Exception:  # a message dkimpy cannot read: checked as nothing, kept as it is
        logger.warning("DKIM check failed", exc_info=True)
        results = f"Authentication-Results: {settings.AUTHSERV_ID}; none\r\n".encode()
    sender = "".join(ch for ch in mail_from if ch.isprintable() and ch not in "<>\r\n")
    return f"Return-Path: <{sender[:254]}>\r\n".encode("utf-8", "replace") + results + data


class InboxHandler:
    def __init__(self, dnsfunc: dkim.DnsFunc = dkim.system_dnsfunc) -> None:
        self.dnsfunc = dnsfunc

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if not await sync_to_async(_known, thread_sensitive=True)(address):
            logger.info("refused recipient %s", redact(address))
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or envelope.content
        if not isinstance(data, bytes):
            data = str(data).encode("utf-8", "surrogateescape")
        limit = settings.EMAIL_MAX_MESSAGE_MB * 1024 * 1024
        if len(data) > limit * 2:
            return "552 5.3.4 Message too big"
        data = await sync_to_async(stamp, thread_sensitive=False)(
            data, mail_from=envelope.mail_from or "", dnsfunc=self.dnsfunc
        )
        try:
            # One stored copy serves every recipient: threading reads the headers.
            await sync_to_async(_store, thread_sensitive=True)(data, envelope.rcpt_tos[0])
        except Exception:
            logger.exception("could not store incoming message")
            return "451 4.3.0 Temporary failure, try again later"
        return "250 Message accepted for delivery"


class LMTPController(Controller):
    def factory(self) -> SMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


def make_controller(
    *, host: str, port: int, lmtp: bool = False, dnsfunc: dkim.DnsFunc = dkim.system_dnsfunc
) -> Controller:
    """The receiver; `dnsfunc` answers the DKIM/DMARC lookups (tests pass their own)."""
    cls = LMTPController if lmtp else Controller
    limit = settings.EMAIL_MAX_MESSAGE_MB * 1024 * 1024 * 2
    handler = InboxHandler(dnsfunc)
    return cls(handler, hostname=host, port=port, data_size_limit=limit, decode_data=False)
