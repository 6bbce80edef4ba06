"""The channel layer: one way in and one way out for every channel.

A channel is a plugin with one small interface (`Adapter`), registered at start-up
(`register`, from its AppConfig.ready()):

- **In.** The channel turns what arrived into an `Inbound` and calls `receive`. The
  person is found or created from what the channel knows (`accounts.identities`), the
  message joins the conversation it belongs to (the ticket the channel names, else the
  person's open ticket on the same channel and conversation key) or opens a new ticket
  through the same write path as e-mail: routing, language, SLA, events, search and the
  answer bot all follow from there.
- **Out.** Every public message of the desk on a ticket (an agent's reply, the bot's
  answer) is queued in the outbox (`Delivery`, in the reply's own transaction) for the
  adapter of the ticket's channel, and a job delivers it: retried with backoff, failures
  recorded on the ticket and counted in /metrics (`inbox/delivery.py`).

E-mail is one such adapter (`inbox/email/adapter.py`), the portal's notices by mail
another (`inbox/portal.py`), live chat a third (`opora.chat`). A new
messenger is one module: an `Adapter` and the code that turns its webhook into
`Inbound` objects.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from opora.accounts.actions import get_or_create_requesters, kept_person
from opora.accounts.identities import Contact, clean_phone, requester_for
from opora.accounts.models import UNREACHABLE_DOMAIN, Identity, IdentityKind, Team, User
from opora.core.bulk import insert_new, update_rows
from opora.core.errors import OporaError
from opora.core.text import guess_language
from opora.tickets.actions import PreparedTicket, add_messages, create_tickets, prepare_ticket
from opora.tickets.attachments import IncomingFile
from opora.tickets.models import ACTIVE_STATUSES, Message, Ticket, TicketStatus
from opora.tickets.replies import NewMessage

if TYPE_CHECKING:
    from opora.inbox.models import Delivery

logger = logging.getLogger("opora.inbox")


class DeliveryFailed(Exception):
    """An adapter could not deliver. `permanent`: trying again will not help (the
    recipient is gone, the provider refused the message for good)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Adapter(Protocol):
    """What a channel plugs into the desk."""

    # The tickets' channel this adapter speaks for (a tickets.Channel value).
    channel: str
    # Try each delivery at once after commit in the process that stored the message
    # (someone is waiting live), not only through a worker's job.
    immediate: bool

    def address_for(self, ticket: Ticket, message: Message | None) -> str | None:
        """Where the desk's public message on `ticket` goes (an e-mail address, a chat
        visitor, a messenger chat id); None: this ticket cannot be reached this way."""
        ...

    def deliver(self, delivery: Delivery) -> str:
        """Send one queued delivery; return the provider's id for it ("" if none: the
        id given by `prepare`, if any, is kept). Raise `DeliveryFailed` (or any
        exception: retried) when it did not go out."""
        ...

    # Optional: `prepare(self, delivery: Delivery) -> None`, called on each new row
    # before it is stored (in the message's transaction), for a channel that must name
    # what it will send before sending it: e-mail sets the Message-ID there, so the
    # customer's answer threads even while the mail still waits in the outbox.
    # `prepare_many(self, rows: Sequence[Delivery]) -> None` does the same for several
    # rows with its reads done once (a group of replies), and is used when given.
    #
    # Optional: `addresses_for(self, pairs) -> list[str | None]`, `address_for` of each
    # (ticket, message), read once for all of them.
    #
    # Optional: `schedule(self, rows: list[Delivery]) -> None`, called with the new
    # stored rows (in the message's transaction) instead of queueing a job for each: a
    # channel that sends many at once (a messenger's deliverer per account) queues its
    # own job after commit, which sends its rows through `inbox.delivery.deliver_many`.
    # Retries, the sweep and failures stay the outbox's.
    #
    # Optional: `batch(self, rows: Sequence[Delivery]) -> ContextManager`, the context
    # `deliver_many` sends a batch of this channel's rows in: the adapter loads there,
    # once, what `deliver` reads for each row, and keeps one session with the provider.


_adapters: dict[str, Adapter] = {}


def register(adapter: Adapter) -> None:
    """Make `adapter` the way out for its channel's tickets."""
    _adapters[adapter.channel] = adapter


def adapter_for(channel: str) -> Adapter | None:
    return _adapters.get(channel)


def registered() -> dict[str, Adapter]:
    return dict(_adapters)


@dataclass(frozen=True)
class Inbound:
    """One message that arrived on a channel."""

    channel: str  # a tickets.Channel value
    contact: Contact  # who wrote
    body: str
    subject: str = ""  # a new ticket's subject; empty: taken from the body
    body_html: str = ""
    attachments: Sequence[IncomingFile] = ()
    external_id: str = ""  # the provider's id of the message (for de-duplication)
    # The conversation the channel knows this message belongs to: a ticket it opened
    # before (a chat session's ticket, a messenger thread). None: the person's open
    # ticket on this channel, else a new one.
    ticket_id: int | None = None
    tags: Sequence[str] = field(default_factory=tuple)
    # The team a new ticket goes to (a chat widget's team); None: the usual routing.
    team_id: int | None = None
    # The channel keeps its conversations apart itself (a VK chat, a thread under a
    # post): without a `ticket_id`, or with one that is closed, a new ticket opens,
    # never the person's other open ticket on the channel.
    only_named: bool = False
    # The channel's name for the conversation (a messenger chat), for `receive_many`:
    # messages of one batch with the same one and no open ticket yet join the ticket
    # the first of them opens. Empty: the person's conversation on the channel.
    conversation: str = ""


def _subject_from(body: str) -> str:
    first = next((line.strip() for line in body.splitlines() if line.strip()), "")
    return (first[:77] + "…") if len(first) > 80 else first


def _open_conversation(inbound: Inbound, requester: User) -> Ticket | None:
    if inbound.ticket_id is not None:
        return Ticket.objects.filter(pk=inbound.ticket_id, requester=requester).first()
    if inbound.only_named:
        return None
    return (
        Ticket.objects.filter(
            requester=requester, channel=inbound.channel, status__in=ACTIVE_STATUSES
        )
        .order_by("-updated_at", "-id")
        .first()
    )


def receive(inbound: Inbound) -> tuple[Ticket, Message]:
    """Store `inbound`: a reply on its open conversation, or a new ticket."""
    with transaction.atomic():
        return _receive(inbound, requester_for(inbound.contact))


def _receive(inbound: Inbound, requester: User) -> tuple[Ticket, Message]:
    with transaction.atomic():
        if inbound.external_id:
            seen = (
                Message.objects.select_related("ticket")
                .filter(channel=inbound.channel, external_id=inbound.external_id)
                .first()
            )
            if seen is not None:
                return seen.ticket, seen  # delivered twice by the provider: kept once
        ticket = _open_conversation(inbound, requester)
        if ticket is not None and ticket.status != TicketStatus.CLOSED:
            [message] = add_messages(
                [
                    NewMessage(
                        ticket_id=ticket.pk,
                        by=requester,
                        body=inbound.body,
                        channel=inbound.channel,
                        body_html=inbound.body_html,
                        external_id=inbound.external_id,
                        attachments=inbound.attachments,
                    )
                ]
            )
            assert message is not None  # refusals raise
            return ticket, message
        new = _prepare(inbound, requester)
        if inbound.team_id is not None:
            new.route_to = Team.objects.filter(pk=inbound.team_id).first()
        [(ticket, first)] = create_tickets([new], savepoint=False)
        return ticket, first


def _prepare(inbound: Inbound, requester: User) -> PreparedTicket:
    """A new ticket for `inbound` (raises `OporaError` when it may not open one)."""
    return prepare_ticket(
        requester=requester,
        subject=inbound.subject or _subject_from(inbound.body) or inbound.channel,
        body=inbound.body,
        by=requester,
        channel=inbound.channel,
        tags=inbound.tags,
        language=guess_language(
            f"{inbound.subject} {inbound.body[:2000]}",
            inbound.contact.language or requester.language,
            minimum=3,
        ),
        body_html=inbound.body_html,
        external_id=inbound.external_id,
        attachments=inbound.attachments,
    )


# --- many at once ---------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """What `receive_many` made of one inbound message."""

    ticket: Ticket
    message: Message
    opened: bool  # it opened the ticket
    duplicate: bool = False  # stored before (or earlier in the batch): nothing added


def receive_many(inbounds: Sequence[Inbound]) -> list[Received | OporaError]:
    """Store many inbound messages at once, in their order, as `receive` stores each:
    the same people, conversations, tickets and events, with a few statements for the
    whole batch (people in one lookup, open conversations in one, new tickets through
    one `create_tickets`, follow-ups through one `add_messages`).

    Runs in one transaction (the caller's, if any). A message the desk refuses (a
    blocked person, an unacceptable body) is its `OporaError` in the answer and stops
    nothing else; any other error stops the whole batch (the caller may try each one
    alone)."""
    if not inbounds:
        return []
    with transaction.atomic():
        return _Batch(list(inbounds)).run()


def requesters_for(contacts: Sequence[Contact]) -> list[User]:
    """`requester_for` for many contacts: the people known by their channel identity in
    one lookup, the new ones created together; a contact with a phone number joins the
    person with that verified number (`_people_by_phone`). A contact with an e-mail
    address goes through `requester_for` (it may join someone else's account)."""
    people: dict[tuple[str, str], User] = {}
    phoned = {(c.kind, c.value): c for c in contacts if not c.email and clean_phone(c.phone)}
    plain = {(c.kind, c.value): c for c in contacts if not c.email and not c.phone}
    if phoned:
        people.update(_people_by_phone(phoned))
    if plain:
        known = list(
            Identity.objects.select_related("user", "user__organization").filter(
                _any_of(list(plain))
            )
        )
        if known:
            Identity.objects.filter(pk__in=[i.pk for i in known]).update(
                last_seen_at=timezone.now()
            )
        for identity in known:
            people[(identity.kind, identity.value)] = kept_person(identity.user)
        missing = [c for key, c in plain.items() if key not in people]
        if missing:
            people.update(_new_people(missing))
    for contact in contacts:
        key = (contact.kind, contact.value)
        if key not in people:
            people[key] = requester_for(contact)
    return [people[(c.kind, c.value)] for c in contacts]


def _people_by_phone(contacts: dict[tuple[str, str], Contact]) -> dict[tuple[str, str], User]:
    """`requester_for` for contacts with a phone number and no e-mail address, a few
    statements for all: known by their channel identity, else the person whose verified
    number it is (when the channel vouches for it), else a new person; each one's
    channel identity, phone identity and phone number recorded as `requester_for`
    records them."""
    now = timezone.now()
    known = {
        (i.kind, i.value): i
        for i in Identity.objects.select_related("user", "user__organization").filter(
            _any_of(list(contacts))
        )
    }
    if known:
        Identity.objects.filter(pk__in=[i.pk for i in known.values()]).update(last_seen_at=now)
    people = {key: kept_person(i.user) for key, i in known.items()}
    missing = [c for key, c in contacts.items() if key not in known]
    holders = _verified_holders({clean_phone(c.phone) for c in missing if c.phone_verified})
    joined = {
        (c.kind, c.value): holders[clean_phone(c.phone)]
        for c in missing
        if c.phone_verified and clean_phone(c.phone) in holders
    }
    fresh = [c for c in missing if (c.kind, c.value) not in joined]
    made = _new_people(fresh) if fresh else {}
    for contact in fresh:
        made[(contact.kind, contact.value)].phone = contact.phone[:40]
    update_rows(User, list({u.pk: u for u in made.values()}.values()), ("phone",))
    insert_new(
        Identity,
        list({(i.kind, i.value): i for i in _channel_identities(joined, contacts, now)}.values()),
        unique=("kind", "value"),
    )
    people.update(joined)
    people.update(made)
    insert_new(
        Identity,
        _phone_identities({key: (contacts[key], people[key]) for key in contacts}, now),
        unique=("kind", "value"),
    )
    return people


def _verified_holders(phones: set[str]) -> dict[str, User]:
    """The people whose verified phone identity each of `phones` is."""
    if not phones:
        return {}
    return {
        i.value: kept_person(i.user)
        for i in Identity.objects.select_related("user", "user__organization").filter(
            kind=IdentityKind.PHONE, value__in=phones, verified=True
        )
    }


def _any_of(keys: Sequence[tuple[str, str]]) -> Q:
    """Identities by (kind, value): one IN list per kind."""
    lookup = Q()
    for kind in {k for k, _v in keys}:
        lookup |= Q(kind=kind, value__in=[v for k, v in keys if k == kind])
    return lookup


def _channel_identities(
    people: dict[tuple[str, str], User], contacts: dict[tuple[str, str], Contact], now: datetime
) -> list[Identity]:
    return [
        Identity(
            user=user,
            kind=kind,
            value=value[:255],
            name=contacts[(kind, value)].name[:200],
            verified=True,
            last_seen_at=now,
        )
        for (kind, value), user in people.items()
    ]


def _phone_identities(
    people: dict[tuple[str, str], tuple[Contact, User]], now: datetime
) -> list[Identity]:
    """Each person's phone identity (one per number: a number someone holds stays
    theirs, as `requester_for` leaves it)."""
    rows: dict[str, Identity] = {}
    for contact, user in people.values():
        phone = clean_phone(contact.phone)
        rows.setdefault(
            phone,
            Identity(
                user=user,
                kind=IdentityKind.PHONE,
                value=phone[:255],
                name="",
                verified=contact.phone_verified,
                last_seen_at=now,
            ),
        )
    return list(rows.values())


def _new_people(contacts: Sequence[Contact]) -> dict[tuple[str, str], User]:
    """Accounts for people known only by a channel, and their identities."""
    address_of = {
        (c.kind, c.value): f"{c.kind}-{secrets.token_hex(8)}@{UNREACHABLE_DOMAIN}" for c in contacts
    }
    made = get_or_create_requesters(
        {address_of[(c.kind, c.value)]: (c.name, c.language or "") for c in contacts}
    )
    now = timezone.now()
    identities = {
        (c.kind, c.value[:255]): Identity(
            user=made[address_of[(c.kind, c.value)]],
            kind=c.kind,
            value=c.value[:255],
            name=c.name[:200],
            verified=True,
            last_seen_at=now,
        )
        for c in contacts
    }
    # One multi-row INSERT, no query object (`core/bulk.py`). The people whose identity
    # it stored are the accounts just made; an identity another process recorded a
    # moment ago stays, and its person is read.
    stored = insert_new(Identity, list(identities.values()), unique=("kind", "value"))
    people = {key: kept_person(identities[key].user) for key in identities if key in stored}
    taken = [key for key in identities if key not in stored]
    if taken:
        lookup = Q()
        for kind, value in taken:
            lookup |= Q(kind=kind, value=value)
        people.update(
            ((i.kind, i.value), kept_person(i.user))
            for i in Identity.objects.select_related("user", "user__organization").filter(lookup)
        )
    return people


@dataclass
class _Item:
    inbound: Inbound
    requester: User
    result: Received | OporaError | None = None
    ticket: Ticket | None = None  # an open ticket it joins
    opener: int | None = None  # the position of the batch's message whose ticket it joins
    same_as: int | None = None  # the position of an earlier copy of it in the batch
    prepared: PreparedTicket | None = None


class _Batch:
    def __init__(self, inbounds: list[Inbound]) -> None:
        people = requesters_for([i.contact for i in inbounds])
        self.items = [_Item(i, p) for i, p in zip(inbounds, people, strict=True)]

    def run(self) -> list[Received | OporaError]:
        self._seen()
        self._conversations()
        self._open()
        self._follow_up()
        for item in self.items:
            if item.same_as is not None:
                first = self.items[item.same_as].result
                item.result = (
                    Received(first.ticket, first.message, opened=False, duplicate=True)
                    if isinstance(first, Received)
                    else first
                )
        results = [item.result for item in self.items]
        assert all(r is not None for r in results)
        return [r for r in results if r is not None]

    def _seen(self) -> None:
        """Messages stored before are kept once; a copy within the batch follows the
        first."""
        wanted = [i.inbound for i in self.items if i.inbound.external_id]
        stored: dict[tuple[str, str], Message] = {}
        if wanted:
            lookup = Q()
            for channel in {i.channel for i in wanted}:
                ids = [i.external_id for i in wanted if i.channel == channel]
                lookup |= Q(channel=channel, external_id__in=ids)
            for message in Message.objects.select_related("ticket").filter(lookup):
                stored.setdefault((message.channel, message.external_id), message)
        first: dict[tuple[str, str], int] = {}
        for position, item in enumerate(self.items):
            key = (item.inbound.channel, item.inbound.external_id)
            if not item.inbound.external_id:
                continue
            if key in stored:
                message = stored[key]
                item.result = Received(message.ticket, message, opened=False, duplicate=True)
            elif key in first:
                item.same_as = first[key]
            else:
                first[key] = position

    def _live(self) -> list[_Item]:
        return [i for i in self.items if i.result is None and i.same_as is None]

    def _conversations(self) -> None:
        """Each message's conversation: its open ticket, else the one the batch's first
        message of the same conversation opens, else a new one."""
        live = self._live()
        named = {i.inbound.ticket_id for i in live if i.inbound.ticket_id is not None}
        by_id = {t.pk: t for t in Ticket.objects.filter(pk__in=named)} if named else {}
        latest: dict[tuple[int, str], Ticket] = {}
        unnamed = [i for i in live if i.inbound.ticket_id is None and not i.inbound.only_named]
        if unnamed:
            for active in Ticket.objects.filter(
                requester__in={i.requester.pk for i in unnamed},
                channel__in={i.inbound.channel for i in unnamed},
                status__in=ACTIVE_STATUSES,
            ).order_by("-updated_at", "-id"):
                latest.setdefault((active.requester_id, active.channel), active)
        teams = {i.inbound.team_id for i in live if i.inbound.team_id is not None}
        team_of = {t.pk: t for t in Team.objects.filter(pk__in=teams)} if teams else {}
        opening: dict[tuple[object, ...], int] = {}
        for position, item in enumerate(self.items):
            if item.result is not None or item.same_as is not None:
                continue
            inbound = item.inbound
            ticket: Ticket | None
            if inbound.ticket_id is not None:
                found = by_id.get(inbound.ticket_id)
                ticket = found if found and found.requester_id == item.requester.pk else None
            elif inbound.only_named:
                ticket = None
            else:
                ticket = latest.get((item.requester.pk, inbound.channel))
            if ticket is not None and ticket.status != TicketStatus.CLOSED:
                item.ticket = ticket
                continue
            key: tuple[object, ...] = (
                (inbound.channel, "conversation", inbound.conversation)
                if inbound.conversation
                else (inbound.channel, "person", item.requester.pk, inbound.ticket_id)
            )
            if key in opening:
                item.opener = opening[key]
                continue
            try:
                item.prepared = _prepare(inbound, item.requester)
            except OporaError as exc:
                item.result = exc  # the next message of the conversation tries again
                continue
            if inbound.team_id is not None:
                item.prepared.route_to = team_of.get(inbound.team_id)
            opening[key] = position

    def _open(self) -> None:
        opening = [i for i in self.items if i.prepared is not None]
        opened = create_tickets([i.prepared for i in opening if i.prepared], savepoint=False)
        for item, (ticket, first) in zip(opening, opened, strict=True):
            item.result = Received(ticket, first, opened=True)

    def _follow_up(self) -> None:
        following: list[tuple[_Item, Ticket]] = []
        for item in self._live():
            if item.opener is not None:
                opener = self.items[item.opener].result
                assert isinstance(opener, Received)
                following.append((item, opener.ticket))
            elif item.ticket is not None:
                following.append((item, item.ticket))
        added = add_messages(
            [
                NewMessage(
                    ticket_id=ticket.pk,
                    by=item.requester,
                    body=item.inbound.body,
                    channel=item.inbound.channel,
                    body_html=item.inbound.body_html,
                    external_id=item.inbound.external_id,
                    attachments=item.inbound.attachments,
                )
                for item, ticket in following
            ],
            refused="skip",
        )
        for (item, ticket), message in zip(following, added, strict=True):
            if message is not None:
                item.result = Received(ticket, message, opened=False)
                continue
            # Refused (the ticket closed meanwhile, or this message): as `receive` would.
            try:
                found, message = _receive(item.inbound, item.requester)
            except OporaError as exc:
                logger.info("an inbound %s message was refused: %s", item.inbound.channel, exc)
                item.result = exc
                continue
            opened = not Message.objects.filter(ticket=found, pk__lt=message.pk).exists()
            item.result = Received(found, message, opened=opened)
