"""Every sender understood: each rule of `parse.recover_sender`, in order, on mail as
real clients write it (fixtures in tests/inbox/senders/), lenient address parsing,
mail without headers or with broken structure, the review ticket that keeps the text,
the same Message-ID with other bytes, and the charset fallback chain."""

from __future__ import annotations

import pytest

from opora.accounts.models import User
from opora.inbox.email.models import RawState
from opora.inbox.email.parse import addresses, decode_bytes, decode_words, parse_message
from opora.inbox.email.pipeline import NEEDS_REVIEW, UNKNOWN_SENDER
from opora.tickets.models import Message, Ticket
from tests.inbox.senders import fixture, running_smtpd


def ticket_of(raw) -> Ticket:
    assert raw.ticket_id is not None, raw.error
    return Ticket.objects.get(pk=raw.ticket_id)


# --- sender recovery, rule by rule ---------------------------------------------------

RULES = [
    ("01-from-thunderbird-ru.eml", "olga@zavod.test", "Ольга Петрова", "from"),
    ("02-bare-name-old-client.eml", "bb@bug.test", "Big Bug", "from"),
    ("03-encoded-word-outlook-cp1251.eml", "ivan@torg.test", "Иван Сидоров", "from"),
    ("04-utf8-address-rfc6532.eml", "дмитрий@почта.рф", "Дмитрий", "from"),
    ("05-underscore-domain.eml", "hans@mail_srv.firma.test", "Hans Müller", "from"),
    ("06-trailing-dot-domain.eml", "marie@societe.test", "Marie Dupont", "from"),
    ("07-two-froms-with-sender.eml", "secretaria@empresa.test", "Secretaria", "sender"),
    ("08-two-froms-reply-to-one-of-them.eml", "luis@empresa.test", "Luis Perez", "reply-to"),
    ("09-missing-from-reply-to.eml", "sveta@shop.test", "Светлана", "reply-to"),
    ("10-obfuscated-from-sender.eml", "pat@example.test", "Pat Lee", "sender"),
    ("11-empty-from-return-path.eml", "kenji@kaisha.test", "", "return-path"),
    ("12-envelope-x-envelope-from.eml", "tomas@firma.test", "", "envelope"),
    ("13-envelope-received.eml", "eva@firma.test", "", "envelope"),
]


@pytest.mark.parametrize(("name", "address", "person", "rule"), RULES, ids=[r[0] for r in RULES])
def test_each_sender_rule_finds_the_customer(deliver, name, address, person, rule):
    raw = deliver(fixture(f"recovery/{name}"))
    assert raw.state == RawState.PARSED, raw.error
    ticket = ticket_of(raw)
    assert ticket.requester.email == address
    assert ticket.requester.name == person
    assert NEEDS_REVIEW not in set(ticket.tags.values_list("name", flat=True))
    assert parse_message(fixture(f"recovery/{name}")).from_all or rule != "from"
    from opora.inbox.email.parse import recover_sender

    assert recover_sender(parse_message(fixture(f"recovery/{name}")))[2] == rule


def test_the_ticket_text_of_a_recovered_sender_is_readable(deliver):
    ticket = ticket_of(deliver(fixture("recovery/03-encoded-word-outlook-cp1251.eml")))
    assert ticket.subject == "Счёт на оплату"
    assert "счёт на оплату за март" in ticket.messages.get().body
    japanese = ticket_of(deliver(fixture("recovery/11-empty-from-return-path.eml")))
    assert japanese.subject == "ご連絡のお願い"
    assert "ご連絡ください" in japanese.messages.get().body


def test_without_any_address_the_review_ticket_keeps_the_text(deliver):
    raw = deliver(fixture("recovery/14-no-address-at-all.eml"))
    assert raw.state == RawState.FAILED
    ticket = ticket_of(raw)
    assert ticket.requester.email == UNKNOWN_SENDER
    assert NEEDS_REVIEW in set(ticket.tags.values_list("name", flat=True))
    assert ticket.subject == "Помогите"
    body = ticket.messages.get().body
    assert "no sender address" in body
    assert "Не могу войти в личный кабинет" in body
    assert ticket.messages.get().attachments.count() == 1  # the original


@pytest.mark.django_db(transaction=True)
def test_the_sender_of_smtp_mail_without_an_address_is_the_envelope(support):
    """Our own SMTP receiver writes the envelope sender as Return-Path."""
    from opora.inbox.email.models import Mailbox

    Mailbox.objects.create(address="support@desk.test", team=support)
    with running_smtpd() as send:
        send(fixture("recovery/14-no-address-at-all.eml"), mail_from="someone@sender.test")
    ticket = Ticket.objects.get()
    assert ticket.requester.email == "someone@sender.test"


# --- lenient address parsing --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Big Bug bb@bug.com", [("Big Bug", "bb@bug.com")]),
        ("=?utf-8?B?0JTQsNC90LA=?= <dana@acme.test>", [("Дана", "dana@acme.test")]),
        ('"=?utf-8?Q?J=C3=BCrgen?=" <j@firma.de>', [("Jürgen", "j@firma.de")]),
        ("a@example.com.", [("", "a@example.com")]),
        ("x@mail_srv.example.com", [("", "x@mail_srv.example.com")]),
        ("Мария <мария@пример.рф>", [("Мария", "мария@пример.рф")]),
        (
            "Dana <dana@acme.test>, Bob <bob@acme.test>",
            [("Dana", "dana@acme.test"), ("Bob", "bob@acme.test")],
        ),
        ("dana at acme dot test", []),
        ("<>", []),
        ("x@y", []),
    ],
)
def test_addresses_are_read_leniently_but_safely(value, expected):
    assert addresses([value]) == expected


# --- no headers, broken structure ---------------------------------------------------


def test_a_message_without_headers_is_still_shown_as_text(deliver):
    raw = deliver(fixture("broken/no-headers.txt"))
    ticket = ticket_of(raw)
    assert NEEDS_REVIEW in set(ticket.tags.values_list("name", flat=True))
    assert "Заказ 4471 не пришёл" in ticket.messages.get().body


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("multipart-without-boundary.eml", "charged twice"),
        ("multipart-unclosed.eml", "missing the VAT number"),
    ],
)
def test_broken_structure_still_shows_the_text(deliver, name, text):
    raw = deliver(fixture(f"broken/{name}"))
    assert raw.state == RawState.PARSED
    assert text in ticket_of(raw).messages.get().body


# --- the same Message-ID, other bytes ------------------------------------------------


def test_the_same_message_again_with_other_bytes_joins_the_first_ticket(deliver):
    first = fixture("recovery/01-from-thunderbird-ru.eml")
    again = b"Received: from relay.zavod.test by mx.desk.test; Tue, 10 Mar 2026 09:20:00\n" + first
    one = deliver(first)
    two = deliver(again)
    assert two.pk != one.pk  # other bytes: stored again
    assert two.state == RawState.IGNORED and two.error == "duplicate Message-ID"
    assert two.ticket_id == one.ticket_id
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1


def test_the_same_message_id_with_other_text_is_added_to_the_first_ticket(deliver):
    first = fixture("recovery/02-bare-name-old-client.eml")
    edited = first.replace(b"every time I start it", b"every time I open a file")
    one = deliver(first)
    two = deliver(edited)
    assert two.ticket_id == one.ticket_id and Ticket.objects.count() == 1
    assert Message.objects.filter(ticket_id=one.ticket_id).count() == 2


def test_the_same_message_id_twice_in_one_batch_opens_one_ticket(mailbox):
    from opora.inbox.email.pipeline import receive_and_process_many

    first = fixture("recovery/01-from-thunderbird-ru.eml")
    rows = receive_and_process_many([first, b"X-Copy: 2\n" + first], mailbox=mailbox)
    assert Ticket.objects.count() == 1
    assert {r.ticket_id for r in rows} == {Ticket.objects.get().pk}


# --- charsets -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("koi8-declared-as-cp1251.eml", "Добрый день, пароль не подходит."),
        ("cp1251-undeclared.eml", "Добрый день, пароль не подходит."),
        ("latin1-declared-utf8.eml", "Buenos días, la contraseña no funciona, señor."),
        ("unknown-charset-utf8-bytes.eml", "Straße, café, naïve."),
    ],
)
def test_undecodable_bytes_fall_back_through_the_charsets(name, text):
    assert parse_message(fixture(f"charsets/{name}")).text.strip() == text


def test_a_subject_with_an_undecodable_encoded_word_keeps_its_readable_text():
    subject = parse_message(fixture("charsets/broken-encoded-subject.eml")).subject
    # (no space between adjacent encoded words: RFC 2047 drops it)
    assert subject == "Re: ЗаказNº 15 urgent"


def test_the_fallback_chain_ends_without_replacement_characters():
    assert decode_bytes(b"caf\xe9 \x81") == "caf\xe9 \x81"  # Latin-1: every byte a letter
    assert decode_bytes("Привет".encode("koi8-r"), "utf-8") == "Привет"
    # A few broken bytes in UTF-8 text: the rest stays right.
    damaged = "Здравствуйте, заказ готов".encode()[:-1] + b" ok"
    assert decode_bytes(damaged).startswith("Здравствуйте, заказ гото")
    assert decode_words("=?utf-8?B?0J8=?= =?utf-8?B?0YA=?=") == "Пр"


def test_a_utf8_sender_becomes_a_customer_in_the_api(deliver, api, ada):
    deliver(fixture("recovery/04-utf8-address-rfc6532.eml"))
    person = User.objects.get(email="дмитрий@почта.рф")
    answer = api(ada).get(f"/users/{person.pk}")
    assert answer.status_code == 200 and answer.json()["email"] == "дмитрий@почта.рф"
