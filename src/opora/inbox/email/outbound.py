"""Mail going out: agent replies and notifications, threaded so replies come back.

Every mail carries a Message-ID Opora remembers, In-Reply-To and References pointing
at the conversation, a per-ticket reply address (support+<token>@domain) and the
"[#123]" subject tag: any one of them is enough to thread the customer's answer.
"""

from __future__ import annotations

from email.utils import formataddr, make_msgid
from typing import Literal, get_args

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import translation

from opora.core.tasks import enqueue_after_commit, enqueue_many_after_commit
from opora.core.text import render_text
from opora.inbox.email.models import Mailbox, OutboundMail, RawMessage
from opora.inbox.email.tokens import reply_address
from opora.tickets.domain_events import MessageAdded
from opora.tickets.models import Channel, Message, Ticket

MAX_REFERENCES = 20
# Every kind of mail this channel sends; each has the template triplet
# emails/<language>/<kind>-subject.txt, -body.txt, -body.html in every language.
OutboundKind = Literal["reply", "ticket_created"]
KINDS: tuple[OutboundKind, ...] = get_args(OutboundKind)
LANGUAGES = ("en", "ru")


def mailbox_for_ticket(ticket: Ticket) -> Mailbox | None:
    """The mailbox that speaks for this ticket: its team's, else the one it came in by."""
    if ticket.team_id is not None:
        found = Mailbox.objects.filter(team_id=ticket.team_id, active=True).order_by("id").first()
        if found is not None:
            return found
    raw = (
        RawMessage.objects.filter(ticket=ticket, mailbox__isnull=False)
        .select_related("mailbox")
        .order_by("id")
        .first()
    )
    return raw.mailbox if raw is not None else None


def _outbound(
    ticket: Ticket, *, kind: OutboundKind, message: Message | None, mailbox: Mailbox
) -> OutboundMail:
    domain = settings.EMAIL_REPLY_DOMAIN or mailbox.address.partition("@")[2] or "localhost"
    return OutboundMail(
        ticket=ticket,
        ticket_message=message,
        kind=kind,
        message_id=make_msgid(domain=domain).strip("<>"),
        recipient=ticket.requester.email,
    )


def _queue(
    ticket: Ticket, *, kind: OutboundKind, message: Message | None, mailbox: Mailbox
) -> None:
    from opora.inbox.email.tasks import send_mail_task

    outbound = _outbound(ticket, kind=kind, message=message, mailbox=mailbox)
    outbound.save(force_insert=True)
    enqueue_after_commit(send_mail_task, outbound.pk)


def queue_replies(events: list[MessageAdded]) -> None:
    """The desk's public replies on e-mail tickets go out by mail (in their transaction)."""
    for event in events:
        if event.from_desk and event.ticket.channel == Channel.EMAIL:
            schedule_reply(event.ticket, event.message)


def schedule_reply(ticket: Ticket, message: Message) -> None:
    """Queue an agent's public reply for the requester; nothing when no mailbox serves it."""
    mailbox = mailbox_for_ticket(ticket)
    if mailbox is not None:
        _queue(ticket, kind="reply", message=message, mailbox=mailbox)


def schedule_acknowledgement(ticket: Ticket, mailbox: Mailbox) -> None:
    _queue(ticket, kind="ticket_created", message=None, mailbox=mailbox)


def schedule_acknowledgements(tickets: list[Ticket], mailbox: Mailbox) -> None:
    """`schedule_acknowledgement` for many new tickets: one insert, one job insert."""
    from opora.inbox.email.tasks import send_mail_task

    rows = [_outbound(t, kind="ticket_created", message=None, mailbox=mailbox) for t in tickets]
    OutboundMail.objects.bulk_create(rows)
    enqueue_many_after_commit(send_mail_task, [(row.pk,) for row in rows])


def _thread_ids(ticket: Ticket, outbound: OutboundMail) -> tuple[list[str], str]:
    """(References, In-Reply-To): the conversation so far; the reply answers the
    customer's latest mail."""
    inbound = list(
        Message.objects.filter(ticket=ticket, channel="email")
        .exclude(external_id="")
        .order_by("id")
        .values_list("id", "external_id")
    )
    sent = list(
        OutboundMail.objects.filter(ticket=ticket, id__lt=outbound.pk)
        .order_by("id")
        .values_list("id", "message_id")
    )
    # Chronological order of both kinds; ids of different tables are close enough in
    # time order for References, which clients only use as a set.
    ids = [mid for _, mid in sorted(inbound + sent)]
    parent = inbound[-1][1] if inbound else (ids[-1] if ids else "")
    return ids[-MAX_REFERENCES:], parent


def build_mail(outbound: OutboundMail) -> EmailMultiAlternatives:
    ticket = outbound.ticket
    mailbox = mailbox_for_ticket(ticket)
    sender_address = mailbox.address if mailbox is not None else settings.DEFAULT_FROM_EMAIL
    team_name = ticket.team.name if ticket.team is not None else ""
    language = ticket.language if ticket.language in LANGUAGES else "en"
    message = outbound.ticket_message
    context = {
        "ticket": ticket,
        "number": ticket.number,
        "subject": ticket.subject,
        "requester": ticket.requester,
        "message": message,
        "author": message.author.display_name if message and message.author else team_name,
        "team": team_name,
        "base_url": settings.BASE_URL,
    }
    with translation.override(language):
        name = f"emails/{language}/{outbound.kind}"
        subject = " ".join(render_text(f"{name}-subject.txt", context).split())
        text = render_text(f"{name}-body.txt", context)
        html = render_to_string(f"{name}-body.html", context)
    if f"[#{ticket.number}]" not in subject:
        subject = f"{subject} [#{ticket.number}]"
    refs, parent = _thread_ids(ticket, outbound)
    headers = {
        "Message-ID": f"<{outbound.message_id}>",
        "Reply-To": reply_address(sender_address, ticket.number),
        # Our own mail coming back (a loop through an auto-responder) is recognised.
        "X-Opora-Ticket": str(ticket.number),
        "Auto-Submitted": "auto-replied" if outbound.kind != "reply" else "no",
    }
    if refs:
        headers["In-Reply-To"] = f"<{parent}>"
        headers["References"] = " ".join(f"<{r}>" for r in refs)
    mail = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=formataddr((team_name, sender_address)) if team_name else sender_address,
        to=[outbound.recipient],
        headers=headers,
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
    )
    mail.attach_alternative(html, "text/html")
    if message is not None:
        for attachment in message.attachments.all():
            with attachment.file.open("rb") as fh:
                mail.attach(attachment.filename, fh.read(), attachment.content_type)
    return mail
