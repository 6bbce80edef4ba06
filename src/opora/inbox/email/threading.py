"""Which ticket a message belongs to: reply token, then Message-IDs, then "[#123]".

The lookups for many messages are read together (`Lookups.load`: at most five
queries for a whole batch); `thread` then decides for one message in Python.
`find_ticket` is the one-message form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Q

from opora.accounts.models import User
from opora.inbox.email.parse import ParsedMail
from opora.inbox.email.tokens import ticket_number_from_address
from opora.inbox.models import MAIL_CHANNELS, Delivery
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


def _token_numbers(mail: ParsedMail, recipients: list[str]) -> list[int]:
    numbers = []
    for address in [*recipients, *mail.to, *mail.cc, *mail.delivered_to]:
        number = ticket_number_from_address(address)
        if number is not None:
            numbers.append(number)
    return numbers


def _references(mail: ParsedMail) -> list[str]:
    return list(dict.fromkeys([*mail.in_reply_to, *reversed(mail.references)]))[:MAX_REFERENCES]


def _subject_number(mail: ParsedMail) -> int | None:
    match = _SUBJECT_TAG.search(mail.subject)
    return int(match.group(1)) if match else None


def may_continue(mail: ParsedMail) -> bool:
    """Whether `thread` could find a ticket for this message at all: it carries a reply
    token, a Message-ID reference or a subject tag (the pipeline threads with the
    message's own Delivered-To as recipients, which `_token_numbers` reads anyway)."""
    return bool(_token_numbers(mail, []) or _references(mail) or _subject_number(mail) is not None)


@dataclass
class Lookups:
    """What threading needs to know about the database, for a set of messages."""

    by_number: dict[int, Ticket] = field(default_factory=dict)
    by_id: dict[int, Ticket] = field(default_factory=dict)
    # Message-ID → (row id, ticket id) of the latest mail sent / received with it.
    sent: dict[str, tuple[int, int]] = field(default_factory=dict)
    received: dict[str, tuple[int, int]] = field(default_factory=dict)
    followers: set[tuple[int, int]] = field(default_factory=set)

    @classmethod
    def load(cls, mails: Sequence[tuple[ParsedMail, list[str]]]) -> Lookups:
        """Read everything `thread` may need for these (mail, recipients) pairs."""
        found = cls()
        numbers: set[int] = set()
        tagged: set[int] = set()
        refs: set[str] = set()
        for mail, recipients in mails:
            numbers.update(_token_numbers(mail, recipients))
            refs.update(_references(mail))
            number = _subject_number(mail)
            if number is not None:
                tagged.add(number)
        ticket_ids: set[int] = set()
        if refs:
            # The mail we sent: the condition of Delivery's unique Message-ID index.
            sent = (
                Delivery.objects.filter(channel__in=MAIL_CHANNELS, external_id__in=sorted(refs))
                .exclude(external_id="")
                .values_list("external_id", "id", "ticket_id")
            )
            received = Message.objects.filter(external_id__in=sorted(refs)).values_list(
                "external_id", "id", "ticket_id"
            )
            for rows, into in ((sent, found.sent), (received, found.received)):
                for key, row_id, ticket_id in rows:
                    if key not in into or into[key][0] < row_id:
                        into[key] = (row_id, ticket_id)
                        ticket_ids.add(ticket_id)
        if numbers or tagged or ticket_ids:
            wanted = Q(number__in=sorted(numbers | tagged)) | Q(pk__in=sorted(ticket_ids))
            for ticket in Ticket.objects.filter(wanted):
                found.by_number[ticket.number] = ticket
                found.by_id[ticket.pk] = ticket
        tagged_ids = [t.pk for n, t in found.by_number.items() if n in tagged]
        if tagged_ids:
            found.followers = set(
                Ticket.followers.through.objects.filter(ticket_id__in=tagged_ids).values_list(
                    "ticket_id", "user_id"
                )
            )
        return found


def thread(
    mail: ParsedMail,
    *,
    sender: User | None,
    recipients: list[str],
    found: Lookups,
    earlier: dict[str, int] | None = None,
) -> tuple[Ticket | None, str, int | None]:
    """The ticket this message continues, how it was found ("token", "references",
    "subject", or ""), and — for a batch — the position of the earlier message in the
    same batch whose ticket it continues (then the ticket is None: not written yet).

    `earlier`: Message-IDs of messages before this one in the batch → their position;
    they are newer than anything stored, so they come before stored received mail.
    """
    for number in _token_numbers(mail, recipients):
        if number in found.by_number:
            return _final(found.by_number[number]), "token", None
    refs = _references(mail)
    if refs:
        sent = [found.sent[r] for r in refs if r in found.sent]
        if sent:
            return _final(found.by_id.get(max(sent)[1])), "references", None
        if earlier:
            positions = [earlier[r] for r in refs if r in earlier]
            if positions:
                return None, "references", max(positions)
        received = [found.received[r] for r in refs if r in found.received]
        if received:
            return _final(found.by_id.get(max(received)[1])), "references", None
    tag = _subject_number(mail)
    if tag is not None and sender is not None:
        tagged = found.by_number.get(tag)
        # A subject tag is easy to type: only people already on the ticket may use it.
        if tagged is not None and (
            sender.is_agent
            or tagged.requester_id == sender.pk
            or (tagged.pk, sender.pk) in found.followers
        ):
            return _final(tagged), "subject", None
    return None, "", None


def find_ticket(
    mail: ParsedMail, *, sender: User | None, recipients: list[str]
) -> tuple[Ticket | None, str]:
    """The ticket this message continues and how it was found ("token", "references",
    "subject"), or (None, "")."""
    found = Lookups.load([(mail, recipients)])
    ticket, how, _ = thread(mail, sender=sender, recipients=recipients, found=found)
    return ticket, how
