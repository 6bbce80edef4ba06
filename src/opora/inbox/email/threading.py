"""Which ticket a message belongs to: reply token, then Message-IDs, then "[#123]"."""

from __future__ import annotations

import re

from opora.accounts.models import User
from opora.inbox.email.models import OutboundMail
from opora.inbox.email.parse import ParsedMail
from opora.inbox.email.tokens import ticket_number_from_address
from opora.tickets.models import Message, Ticket

_SUBJECT_TAG = re.compile(r"\[#(\d{1,18})\]")
MAX_REFERENCES = 50


def _final(ticket: Ticket | None) -> Ticket | None:
    # A merged ticket forwards its replies to the ticket it was merged into.
    hops = 0
    while ticket is not None and ticket.merged_into_id is not None and hops < 10:
        ticket = Ticket.objects.filter(pk=ticket.merged_into_id).first()
        hops += 1
    return ticket


def find_ticket(
    mail: ParsedMail, *, sender: User | None, recipients: list[str]
) -> tuple[Ticket | None, str]:
    """The ticket this message continues and how it was found ("token", "references",
    "subject"), or (None, "")."""
    for address in [*recipients, *mail.to, *mail.cc, *mail.delivered_to]:
        number = ticket_number_from_address(address)
        if number is not None:
            found = Ticket.objects.filter(number=number).first()
            if found is not None:
                return _final(found), "token"
    refs = list(dict.fromkeys([*mail.in_reply_to, *reversed(mail.references)]))[:MAX_REFERENCES]
    if refs:
        ticket_id = (
            OutboundMail.objects.filter(message_id__in=refs)
            .order_by("-id")
            .values_list("ticket_id", flat=True)
            .first()
        )
        if ticket_id is None:
            ticket_id = (
                Message.objects.filter(external_id__in=refs)
                .order_by("-id")
                .values_list("ticket_id", flat=True)
                .first()
            )
        if ticket_id is not None:
            return _final(Ticket.objects.filter(pk=ticket_id).first()), "references"
    match = _SUBJECT_TAG.search(mail.subject)
    if match and sender is not None:
        found = Ticket.objects.filter(number=int(match.group(1))).first()
        # A subject tag is easy to type: only people already on the ticket may use it.
        if found is not None and (
            sender.is_agent
            or found.requester_id == sender.pk
            or found.followers.filter(pk=sender.pk).exists()
        ):
            return _final(found), "subject"
    return None, ""
