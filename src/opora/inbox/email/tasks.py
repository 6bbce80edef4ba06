"""Background jobs of the e-mail channel."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from opora.inbox.email.models import Mailbox, OutboundMail, OutboundState
from opora.inbox.email.noise import redact
from opora.tickets import events as ticket_events

logger = logging.getLogger("opora.inbox.email")
BACKOFF_SECONDS = 30


@task()
def process_raw_message_task(raw_id: int) -> str:
    from opora.inbox.email.pipeline import process

    return process(raw_id).state


@task()
def process_raw_messages_task(raw_ids: list[int]) -> int:
    """Process stored messages in one batch (see pipeline.process_many)."""
    from opora.inbox.email.pipeline import process_many

    return len(process_many(raw_ids))


def _permanent(exc: Exception) -> bool:
    # 5xx answers and refused recipients will not get better by trying again.
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return False


@task()
def send_mail_task(outbound_id: int) -> str:
    from opora.inbox.email.outbound import build_mail

    outbound = (
        OutboundMail.objects.select_related(
            "ticket", "ticket__team", "ticket__requester", "ticket_message"
        )
        .filter(pk=outbound_id)
        .first()
    )
    if outbound is None or outbound.state != OutboundState.QUEUED:
        return "skipped"
    try:
        build_mail(outbound).send()
    except Exception as exc:
        outbound.attempts += 1
        outbound.error = f"{type(exc).__name__}: {exc}"[:2000]
        if _permanent(exc) or outbound.attempts >= settings.EMAIL_SEND_ATTEMPTS:
            with transaction.atomic():
                outbound.state = OutboundState.FAILED
                outbound.save(update_fields=["attempts", "error", "state"])
                ticket_events.mail_failed_event(
                    ticket=outbound.ticket,
                    outbound=outbound.pk,
                    recipient=redact(outbound.recipient),
                    error=outbound.error,
                )
            logger.warning("mail %s to %s failed for good", outbound.pk, redact(outbound.recipient))
            return "failed"
        outbound.save(update_fields=["attempts", "error"])
        delay = timedelta(seconds=BACKOFF_SECONDS * 2 ** (outbound.attempts - 1))
        send_mail_task.using(run_after=timezone.now() + delay).enqueue(outbound.pk)
        return "retry"
    outbound.attempts += 1
    outbound.state = OutboundState.SENT
    outbound.sent_at = timezone.now()
    outbound.error = ""
    outbound.save(update_fields=["attempts", "state", "sent_at", "error"])
    return "sent"


@task()
def fetch_mailboxes_task() -> int:
    """Poll every active IMAP mailbox; one failing mailbox does not stop the others."""
    from opora.inbox.email.fetch import fetch_mailbox, process_pending

    total = 0
    for mailbox in Mailbox.objects.filter(active=True).exclude(imap_host=""):
        try:
            total += fetch_mailbox(mailbox, process_now=True)[0]
        except Exception:
            logger.exception("fetching mailbox %s failed", mailbox.pk)
    process_pending()
    return total
