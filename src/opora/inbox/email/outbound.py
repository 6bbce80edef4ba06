"""Mail going out: agent replies and notifications, threaded so replies come back.

Each mail is a `Delivery` of the channel layer (queued in the reply's transaction, sent
by `inbox/delivery.deliver` through the e-mail adapter, `inbox/email/adapter.py`).

Every mail carries a Message-ID Opora remembers, In-Reply-To and References pointing
at the conversation, a per-ticket reply address (support+<token>@domain) and the
"[#123]" subject tag: any one of them is enough to thread the customer's answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import formataddr, make_msgid
from typing import Any, Literal, get_args

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from opora.core.text import render_text
from opora.inbox.email.models import Mailbox, RawMessage
from opora.inbox.email.tokens import reply_address
from opora.inbox.email.transport import transport
from opora.inbox.models import MAIL_CHANNELS, Delivery
from opora.tickets.models import Channel, Message, Ticket

MAX_REFERENCES = 20
# Every kind of mail sent about a ticket (`Delivery.kind`).
OutboundKind = Literal["reply", "ticket_created"]
KINDS: tuple[OutboundKind, ...] = get_args(OutboundKind)
# Each template set has the triplet emails/<language>/<name>-subject.txt, -body.txt,
# -body.html in every language: the e-mail channel's own, and the portal's (which
# links back to the request page), one per kind.
TEMPLATE_SETS = ("", "portal_")
TEMPLATES = tuple(f"{prefix}{kind}" for prefix in TEMPLATE_SETS for kind in KINDS)
LANGUAGES = ("en", "ru")


def mailbox_for_ticket(ticket: Ticket) -> Mailbox | None:
    """The mailbox that speaks for this ticket: its team's, else the one it came in by."""
    return mailboxes_for_tickets([ticket]).get(ticket.pk)


def mailboxes_for_tickets(tickets: Sequence[Ticket]) -> dict[int, Mailbox | None]:
    """`mailbox_for_ticket` of each ticket, by id, read with at most three statements
    for all of them (a group of replies prepares its mail together)."""
    team_ids = {t.team_id for t in tickets if t.team_id is not None}
    by_team: dict[int, Mailbox] = {}
    if team_ids:
        # The lowest id of each team's active mailboxes wins: read last.
        for mailbox in Mailbox.objects.filter(team_id__in=team_ids, active=True).order_by("-id"):
            by_team[mailbox.team_id] = mailbox  # type: ignore[index]
    found: dict[int, Mailbox | None] = {
        t.pk: by_team.get(t.team_id) if t.team_id is not None else None for t in tickets
    }
    rest = [pk for pk, mailbox in found.items() if mailbox is None]
    if rest:
        # The first one it came by wins: read last.
        came_by: dict[int, int] = dict(
            RawMessage.objects.filter(ticket_id__in=rest, mailbox__isnull=False)
            .order_by("-id")
            .values_list("ticket_id", "mailbox_id")
        )
        mailboxes = Mailbox.objects.in_bulk(set(came_by.values())) if came_by else {}
        found.update({pk: mailboxes.get(mailbox_id) for pk, mailbox_id in came_by.items()})
    return found


def sender_address(mailbox: Mailbox | None) -> str:
    """The From address: the ticket's mailbox, else the desk's default sender (portal
    and chat requests of a team without a mailbox)."""
    return mailbox.address if mailbox is not None else settings.DEFAULT_FROM_EMAIL


def new_message_id(mailbox: Mailbox | None) -> str:
    """A fresh Message-ID (without angle brackets) in the domain replies come back to."""
    domain = settings.EMAIL_REPLY_DOMAIN or sender_address(mailbox).partition("@")[2] or "localhost"
    return make_msgid(domain=domain).strip("<>")


def schedule_acknowledgements(tickets: list[Ticket], mailbox: Mailbox) -> None:
    """Tell the senders of new e-mail tickets their request is registered: one insert,
    one job insert."""
    from opora.inbox.delivery import schedule

    rows = [
        Delivery(
            ticket=ticket,
            channel=Channel.EMAIL,
            kind="ticket_created",
            address=ticket.requester.email,
            external_id=new_message_id(mailbox),
        )
        for ticket in tickets
        # Automatic mail stops at an address that bounced (the card shows why).
        if ticket.requester.reachable_by_email and not ticket.requester.email_undeliverable
    ]
    if rows:
        schedule(rows)


def _thread_ids(ticket: Ticket, delivery: Delivery) -> tuple[list[str], str]:
    """(References, In-Reply-To): the conversation so far; the reply answers the
    customer's latest mail."""
    inbound = list(
        Message.objects.filter(ticket=ticket, channel="email")
        .exclude(external_id="")
        .order_by("id")
        .values_list("id", "external_id")
    )
    sent = list(
        Delivery.objects.filter(ticket=ticket, channel__in=MAIL_CHANNELS, id__lt=delivery.pk)
        .exclude(external_id="")
        .order_by("id")
        .values_list("id", "external_id")
    )
    # Chronological order of both kinds; ids of different tables are close enough in
    # time order for References, which clients only use as a set.
    ids = [mid for _, mid in sorted(inbound + sent)]
    parent = inbound[-1][1] if inbound else (ids[-1] if ids else "")
    return ids[-MAX_REFERENCES:], parent


UNSUBSCRIBE_SALT = "opora.unsubscribe"
# What an unsubscribe link turns off: the portal's notices (User.notify_by_email).
NOTICE_KINDS = ("portal",)


def unsubscribe_token(user_id: int, kind: str = "portal") -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, notice kind) of a signed unsubscribe link, None when it is not ours."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") not in NOTICE_KINDS:
        return None
    user_id = data.get("u")
    return (user_id, data["k"]) if isinstance(user_id, int) else None


def unsubscribe_url(user_id: int, kind: str = "portal") -> str:
    from django.urls import reverse

    path = reverse("notifications-unsubscribe", args=[unsubscribe_token(user_id, kind)])
    return f"{settings.BASE_URL.rstrip('/')}{path}"


def signing_key(sender: str) -> Mailbox | None:
    """The mailbox whose DKIM key signs mail from this address's domain."""
    domain = sender.rpartition("@")[2].lower()
    if not domain:
        return None
    return (
        Mailbox.objects.filter(address__iendswith=f"@{domain}")
        .exclude(dkim_private_key="")
        .order_by("id")
        .first()
    )


class SignedMail(EmailMultiAlternatives):
    """A mail that carries a DKIM signature of its domain's key, when there is one."""

    dkim_mailbox: Mailbox | None = None

    def message(self, *args: Any, **kwargs: Any) -> Any:  # Django's own type: Any
        msg = super().message(*args, **kwargs)
        box = self.dkim_mailbox
        if box is not None and box.dkim_private_key:
            from opora.inbox.email import dkim

            data = msg.as_bytes(linesep="\r\n")
            line = dkim.sign(
                data,
                domain=box.domain,
                selector=box.dkim_selector,
                private_pem=box.dkim_private_key,
            )
            name, _, value = line.decode("ascii").partition(":")
            # One line: relaxed canonicalization ignores how the header is folded.
            msg[name] = " ".join(value.split())
            # The signature goes first, as signers put it.
            items = msg._headers
            items.insert(0, items.pop())
        return msg


def build_mail(delivery: Delivery, *, templates: str = "") -> SignedMail:
    """The mail for one queued delivery (`delivery.external_id` is its Message-ID);
    `templates`: the template set's prefix ("" for the e-mail channel, "portal_")."""
    ticket = delivery.ticket
    mailbox = mailbox_for_ticket(ticket)
    sender = sender_address(mailbox)
    team_name = ticket.team.name if ticket.team is not None else ""
    language = ticket.language if ticket.language in LANGUAGES else "en"
    message = delivery.ticket_message
    context = {
        "ticket": ticket,
        "number": ticket.number,
        "subject": ticket.subject,
        "requester": ticket.requester,
        "message": message,
        "author": message.author.display_name if message and message.author else team_name,
        # The agent's own e-mail signature (their profile), under their reply.
        "signature": message.author.signature if message and message.author else "",
        "team": team_name,
        "base_url": settings.BASE_URL,
        "link": f"{settings.BASE_URL.rstrip('/')}/portal/requests/{ticket.number}",
    }
    with translation.override(language):
        name = f"emails/{language}/{templates}{delivery.kind}"
        subject = " ".join(render_text(f"{name}-subject.txt", context).split())
        text = render_text(f"{name}-body.txt", context)
        html = render_to_string(f"{name}-body.html", context)
    if f"[#{ticket.number}]" not in subject:
        subject = f"{subject} [#{ticket.number}]"
    refs, parent = _thread_ids(ticket, delivery)
    headers = {
        "Message-ID": f"<{delivery.external_id}>",
        "Reply-To": reply_address(sender, ticket.number),
        # Our own mail coming back (a loop through an auto-responder) is recognised.
        "X-Opora-Ticket": str(ticket.number),
        "Auto-Submitted": "auto-replied" if delivery.kind != "reply" else "no",
    }
    if refs:
        headers["In-Reply-To"] = f"<{parent}>"
        headers["References"] = " ".join(f"<{r}>" for r in refs)
    if templates == "portal_" and ticket.requester_id is not None:
        # A notice the customer may turn off in one click (RFC 2369, RFC 8058).
        headers["List-Unsubscribe"] = f"<{unsubscribe_url(ticket.requester_id)}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail = SignedMail(
        subject=subject,
        body=text,
        from_email=formataddr((team_name, sender)) if team_name else sender,
        to=[delivery.address],
        headers=headers,
        connection=transport(timeout=settings.EMAIL_TIMEOUT),
    )
    mail.dkim_mailbox = signing_key(sender)
    mail.attach_alternative(html, "text/html")
    if message is not None:
        for attachment in message.attachments.all():
            with attachment.file.open("rb") as fh:
                mail.attach(attachment.filename, fh.read(), attachment.content_type)
    return mail
