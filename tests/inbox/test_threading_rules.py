"""Which ticket an incoming mail continues, rule by rule: the reply address first, then
Message-IDs (ours before the customers'), then a "[#123]" subject tag from someone
already on the ticket; merged tickets forward, closed ones get a follow-up.

Each test delivers mail through the intake pipeline, one by one or in a batch.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import pytest

from opora.accounts.models import User
from opora.inbox.email.models import Mailbox, RawMessage
from opora.inbox.email.pipeline import receive_and_process_many
from opora.inbox.email.tokens import reply_address
from opora.inbox.models import Delivery
from opora.tickets import actions
from opora.tickets.models import Event, Message, Ticket
from tests.inbox.conftest import build_mail

pytestmark = pytest.mark.django_db

Deliver = Callable[..., RawMessage]
SUPPORT = "support@desk.test"


def _opened(deliver: Deliver, subject: str, message_id: str | None = None) -> Ticket:
    """A ticket opened by Dana's mail."""
    raw = deliver(build_mail(subject=subject, message_id=message_id))
    assert raw.ticket is not None
    return raw.ticket


def _our_reply(ticket: Ticket, agent: User, body: str = "What do you see?") -> str:
    """The Message-ID of an agent's reply as mailed to the customer."""
    actions.add_message(ticket, by=agent, body=body)
    return Delivery.objects.filter(ticket=ticket, kind="reply").latest("id").external_id


def _landed(raw: RawMessage) -> Ticket:
    assert raw.state == "parsed", (raw.state, raw.error)
    assert raw.ticket is not None
    return raw.ticket


def _bodies(ticket: Ticket) -> list[str]:
    return list(Message.objects.filter(ticket=ticket).order_by("id").values_list("body", flat=True))


def _reply(
    *,
    sender: str = "Dana <dana@acme.test>",
    to: str = SUPPORT,
    subject: str = "Re: your question",
    body: str = "Still broken.",
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    extra = dict(headers or {})
    if in_reply_to is not None:
        extra["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        extra["References"] = " ".join(f"<{r}>" for r in references)
    return build_mail(
        sender=sender, to=to, subject=subject, body=body, headers=extra, message_id=message_id
    )


# --- the reply address ---


@pytest.mark.parametrize("header", ["Cc", "Delivered-To", "X-Original-To"])
def test_a_reply_address_among_the_other_recipients_joins_its_ticket(
    deliver: Deliver, dana: User, header: str
) -> None:
    # given a ticket, and a reply whose To is not the support mailbox
    ticket = _opened(deliver, "Printer")
    address = reply_address(SUPPORT, ticket.number)
    # when the reply address is only in another recipient header
    raw = deliver(
        _reply(to="Office <office@acme.test>", subject="Other words", headers={header: address})
    )
    # then the mail continues the ticket
    assert _landed(raw) == ticket
    assert _bodies(ticket)[-1] == "Still broken."


def test_the_reply_address_wins_over_message_ids_and_the_subject_tag(
    deliver: Deliver, dana: User, alice: User
) -> None:
    # given two tickets of Dana's, the second with a reply of ours
    first = _opened(deliver, "Printer")
    second = _opened(deliver, "Scanner")
    ours = _our_reply(second, alice)
    # when a mail to the first one's reply address answers our mail on the second and
    # carries the second one's tag
    raw = deliver(
        _reply(
            to=reply_address(SUPPORT, first.number),
            subject=f"Re: [#{second.number}] Scanner",
            in_reply_to=ours,
            references=[ours],
        )
    )
    # then the reply address decides
    assert _landed(raw) == first


def test_a_reply_address_of_no_ticket_leaves_the_choice_to_the_message_ids(
    deliver: Deliver, dana: User, alice: User
) -> None:
    ticket = _opened(deliver, "Printer")
    ours = _our_reply(ticket, alice)
    # a valid address (signed with our key) of a number no ticket has
    raw = deliver(_reply(to=reply_address(SUPPORT, 999_999), in_reply_to=ours))
    assert _landed(raw) == ticket
    assert Ticket.objects.count() == 1


# --- Message-IDs ---


def test_a_conversation_spanning_two_tickets_continues_the_newer(
    deliver: Deliver, dana: User, alice: User
) -> None:
    # given our replies on an older ticket and then on a newer one of the same thread
    older = _opened(deliver, "Printer")
    older_reply = _our_reply(older, alice)
    newer = _opened(deliver, "Printer again")
    newer_reply = _our_reply(newer, alice)
    # when the customer answers with both in References (the older one first)
    raw = deliver(_reply(in_reply_to=older_reply, references=[older_reply, newer_reply]))
    # then the mail joins the ticket of the latest mail we sent
    assert _landed(raw) == newer


def test_our_mail_in_references_wins_over_the_customers_own(
    deliver: Deliver, dana: User, alice: User
) -> None:
    # given a ticket opened by Dana's mail, and another with a reply of ours
    hers = _opened(deliver, "Printer", message_id="<printer@acme.test>")
    other = _opened(deliver, "Scanner")
    ours = _our_reply(other, alice)
    # when a mail refers to her own mail and to ours
    raw = deliver(_reply(in_reply_to="printer@acme.test", references=["printer@acme.test", ours]))
    # then the mail we sent decides
    assert _landed(raw) == other
    assert _bodies(hers) == ["Hello, the printer on floor 3 is on fire."]


def test_a_reply_to_the_customers_mail_joins_its_ticket(
    deliver: Deliver, dana: User, dave: User
) -> None:
    # given Dana's mail that opened a ticket
    ticket = _opened(deliver, "Printer", message_id="<printer@acme.test>")
    # when her colleague answers all on it, before we wrote anything
    raw = deliver(
        _reply(
            sender="Dave <dave@acme.test>",
            body="Same here.",
            in_reply_to="printer@acme.test",
            references=["printer@acme.test"],
        )
    )
    # then it continues her ticket, as his message
    assert _landed(raw) == ticket
    assert Message.objects.filter(ticket=ticket).latest("id").author == dave


def test_of_two_stored_mails_with_one_message_id_the_later_decides(
    deliver: Deliver, dana: User
) -> None:
    # given a Message-ID that a careless client used on two messages, on two tickets
    first = _opened(deliver, "Printer")
    second = _opened(deliver, "Scanner")
    for ticket in (first, second):
        actions.add_message(ticket, by=dana, body="More details", external_id="same@acme.test")
    # when a reply refers to it
    raw = deliver(_reply(in_reply_to="same@acme.test"))
    # then it joins the ticket of the later message
    assert _landed(raw) == second


@pytest.mark.parametrize(("unknown", "joins"), [(48, True), (49, False)])
def test_only_the_latest_fifty_message_ids_are_followed(
    deliver: Deliver, dana: User, alice: User, unknown: int, joins: bool
) -> None:
    # given a ticket with a reply of ours
    ticket = _opened(deliver, "Printer")
    ours = _our_reply(ticket, alice)
    # when a mail's In-Reply-To is unknown and our Message-ID is the oldest reference,
    # behind `unknown` newer ones
    newer = [f"elsewhere-{i}@acme.test" for i in range(unknown)]
    raw = deliver(_reply(in_reply_to="unknown@acme.test", references=[ours, *newer]))
    # then it is followed only while it is among the first fifty looked at
    assert (_landed(raw) == ticket) is joins
    assert Ticket.objects.count() == (1 if joins else 2)


# --- the subject tag ---


def test_the_subject_tag_joins_for_the_requester_followers_and_agents(
    deliver: Deliver, dana: User, charlie: User, alice: User
) -> None:
    # given Dana's ticket that Charlie follows
    ticket = _opened(deliver, "Printer")
    actions.add_followers(ticket, [charlie], by=alice)
    tag = f"Re: [#{ticket.number}] Printer"
    # when Dana, Charlie and Alice write with its tag in the subject
    for sender in ("Dana <dana@acme.test>", "charlie@outside.test", "Alice <alice@desk.test>"):
        assert _landed(deliver(_reply(sender=sender, subject=tag, body=f"From {sender}"))) == ticket
    # then each mail is a message on the ticket
    assert Ticket.objects.count() == 1
    assert len(_bodies(ticket)) == 4


def test_a_follower_of_another_ticket_cannot_use_the_tag(
    deliver: Deliver, dana: User, charlie: User, alice: User
) -> None:
    # given Charlie follows one of Dana's tickets but not the other
    followed = _opened(deliver, "Printer")
    other = _opened(deliver, "Scanner")
    actions.add_followers(followed, [charlie], by=alice)
    # when he writes with the other one's tag
    raw = deliver(_reply(sender="charlie@outside.test", subject=f"[#{other.number}] hi"))
    # then his mail opens a ticket of his own
    assert _landed(raw) not in (followed, other)
    assert _landed(raw).requester == charlie


@pytest.mark.parametrize("subject", ["Re: #{n} Printer", "Re: [{n}] Printer", "Re: [#9{n}]"])
def test_a_subject_without_a_known_ticket_tag_opens_a_new_ticket(
    deliver: Deliver, dana: User, subject: str
) -> None:
    ticket = _opened(deliver, "Printer")
    raw = deliver(_reply(subject=subject.format(n=ticket.number)))
    assert _landed(raw) != ticket
    assert Ticket.objects.count() == 2


def test_an_auto_reply_is_recorded_on_a_ticket_by_message_id_never_by_subject_tag(
    deliver: Deliver, dana: User, alice: User
) -> None:
    # given a ticket with a reply of ours
    ticket = _opened(deliver, "Printer")
    ours = _our_reply(ticket, alice)
    auto = {"Auto-Submitted": "auto-replied"}
    # when an out-of-office answer carries only the ticket's tag
    tagged = deliver(
        _reply(subject=f"Out of office: [#{ticket.number}] Printer", headers=auto, body="Away")
    )
    # then it is ignored without being put on the ticket
    assert (tagged.state, tagged.ticket) == ("ignored", None)
    # when one refers to our mail, it is recorded on the ticket
    threaded = deliver(_reply(subject="Out of office", headers=auto, in_reply_to=ours))
    assert (threaded.state, threaded.ticket) == ("ignored", ticket)
    assert Event.objects.filter(ticket=ticket, kind="mail_ignored").count() == 1
    assert len(_bodies(ticket)) == 2


# --- merged and closed tickets ---


def test_a_reply_to_a_merged_ticket_goes_where_it_was_merged(
    deliver: Deliver, dana: User, alice: User
) -> None:
    # given three tickets merged one into the next: first -> second -> third
    first = _opened(deliver, "Printer")
    ours = _our_reply(first, alice)
    second = _opened(deliver, "Printer 2")
    third = _opened(deliver, "Printer 3")
    actions.merge_tickets(first, second, by=alice)
    actions.merge_tickets(second, third, by=alice)
    # when the customer answers our mail on the first, by Message-ID, by reply address
    # and by subject tag
    by_id = deliver(_reply(in_reply_to=ours, body="One"))
    by_address = deliver(_reply(to=reply_address(SUPPORT, first.number), body="Two"))
    by_tag = deliver(_reply(subject=f"Re: [#{first.number}]", body="Three"))
    # then each mail lands on the ticket that holds the conversation now
    assert [_landed(r) for r in (by_id, by_address, by_tag)] == [third] * 3


def test_a_reply_follows_a_chain_of_ten_merges(deliver: Deliver, dana: User, alice: User) -> None:
    # given a ticket merged into another, that one into a third, ... ten times over
    chain = [_opened(deliver, f"Printer {i}") for i in range(11)]
    ours = _our_reply(chain[0], alice)
    for source, target in pairwise(chain):
        actions.merge_tickets(source, target, by=alice)
    # when the customer answers our mail on the first
    raw = deliver(_reply(in_reply_to=ours, body="Any news?"))
    # then the mail lands on the last ticket of the chain
    assert _landed(raw) == chain[-1]


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(
    deliver: Deliver, dana: User, alice: User
) -> None:
    # given a ticket that was solved and closed
    closed = _opened(deliver, "Printer")
    ours = _our_reply(closed, alice)
    actions.update_ticket(closed, actions.TicketChanges(status="solved"), by=alice)
    actions.update_ticket(closed, actions.TicketChanges(status="closed"), by=alice)
    # when Dana answers our old mail
    raw = deliver(_reply(in_reply_to=ours, body="It broke again."))
    # then a new ticket holds her mail and the closed one is left as it was
    follow_up = _landed(raw)
    assert follow_up != closed
    assert _bodies(follow_up) == ["It broke again."]
    assert "It broke again." not in _bodies(closed)
    assert Ticket.objects.get(pk=closed.pk).status == "closed"


# --- a batch ---


def test_in_a_batch_replies_follow_earlier_messages_of_the_same_batch(
    mailbox: Mailbox,
    dana: User,
    dave: User,
    alice: User,
    deliver: Deliver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a stored ticket opened by Dave's mail, and one with a reply of ours
    daves = deliver(
        build_mail(sender="Dave <dave@acme.test>", subject="Scanner", message_id="<dave@acme.test>")
    )
    assert daves.ticket is not None
    ours_on = _opened(deliver, "Fax")
    ours = _our_reply(ours_on, alice)
    # when one fetch brings a new mail, a reply to it, a reply to that reply which also
    # refers to Dave's stored mail, and a reply to our mail that also names the new one
    rows = receive_and_process_many(
        [
            build_mail(subject="VPN is down", message_id="<vpn@acme.test>"),
            _reply(message_id="<vpn-2@acme.test>", in_reply_to="vpn@acme.test"),
            _reply(
                message_id="<vpn-3@acme.test>",
                in_reply_to="vpn-2@acme.test",
                references=["dave@acme.test", "vpn@acme.test", "vpn-2@acme.test"],
            ),
            _reply(in_reply_to=ours, references=["vpn@acme.test", ours]),
        ],
        mailbox=mailbox,
    )
    # then the batch held (nothing was left to the one-by-one path after a failure)
    assert not [r for r in caplog.records if r.getMessage().startswith("batch of")]
    # and the three VPN mails are one ticket: messages of the batch are newer than
    # stored mail of customers
    vpn = Ticket.objects.get(subject="VPN is down")
    assert [r.ticket_id for r in rows] == [vpn.pk, vpn.pk, vpn.pk, ours_on.pk]
    assert len(_bodies(vpn)) == 3
    # and a mail we sent still comes first
    assert _bodies(ours_on)[-1] == "Still broken."
