"""Every kind of mail sent about a ticket (by the e-mail channel, and to portal
customers) has its template triplet in Russian and English, and renders as a full
text + HTML mail in the ticket's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from opora.inbox.email import outbound
from opora.inbox.models import Delivery
from opora.tickets import actions

pytestmark = pytest.mark.django_db

TEMPLATES = Path(outbound.__file__).resolve().parents[1] / "templates" / "emails"
PARTS = ("subject.txt", "body.txt", "body.html")
# A phrase of each template's text, per language: the mail really is in that language.
PHRASES = {
    ("reply", "en"): "reply to this e-mail to continue the conversation",
    ("reply", "ru"): "чтобы продолжить переписку, ответьте на это письмо",
    ("ticket_created", "en"): "Your request is registered as ticket",
    ("ticket_created", "ru"): "Она зарегистрирована под номером",
    ("portal_reply", "en"): "has an answer",
    ("portal_reply", "ru"): "ответили",
    ("portal_ticket_created", "en"): "Your request is registered as #",
    ("portal_ticket_created", "ru"): "Она зарегистрирована под номером",
}


def test_every_kind_has_its_triplet_in_every_language_and_nothing_else():
    expected = {
        f"{language}/{name}-{part}"
        for name in outbound.TEMPLATES
        for language in outbound.LANGUAGES
        for part in PARTS
    }
    found = {str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*") if p.is_file()}
    assert found == expected
    assert set(PHRASES) == {(t, lang) for t in outbound.TEMPLATES for lang in outbound.LANGUAGES}


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("kind", ["reply", "ticket_created"])
@pytest.mark.parametrize("templates", ["", "portal_"])
def test_each_kind_renders_in_the_tickets_language(kind, language, templates, mailbox, dana, alice):
    # given an e-mail ticket in this language, answered by Alice
    ticket = actions.create_ticket(
        requester=dana,
        subject="Принтер не печатает" if language == "ru" else "Printer does not print",
        body="...",
        by=alice,
        channel="email",
        language=language,
        team=mailbox.team,
    )
    answer = actions.add_message(ticket, by=alice, body="Перезапустите очередь печати.")
    mail = Delivery.objects.create(
        ticket=ticket,
        ticket_message=answer if kind == "reply" else None,
        channel="web" if templates else "email",
        kind=kind,
        external_id=f"{kind}-{language}@desk.test",
        address=dana.email,
    )

    # when the mail is built
    built = outbound.build_mail(mail, templates=templates)

    # then it has a subject with the ticket tag, a text and an HTML part, in the language
    assert ticket.subject in built.subject and f"[#{ticket.number}]" in built.subject
    html, html_type = built.alternatives[0]
    assert html_type == "text/html" and f'<html lang="{language}">' in str(html)
    phrase = PHRASES[(templates + kind, language)]
    assert phrase in str(built.body) and phrase in str(html)
    if kind == "reply":
        assert "Перезапустите очередь печати." in str(built.body)
        assert "Перезапустите очередь печати." in str(html)
    else:
        assert "Dana" in str(built.body)
    link = f"/portal/requests/{ticket.number}"
    # the portal's mails link back to the request page
    assert (link in str(built.body) and link in str(html)) == bool(templates)


def test_the_text_part_and_subject_are_plain_text(mailbox, dana, alice):
    # given an e-mail ticket whose subject and answer hold characters HTML would escape
    ticket = actions.create_ticket(
        requester=dana,
        subject='Can\'t print "A & B" <reports>',
        body="...",
        by=alice,
        channel="email",
        team=mailbox.team,
    )
    answer = actions.add_message(ticket, by=alice, body="Don't worry: A & B <b>works</b> now.")
    mail = Delivery.objects.create(
        ticket=ticket,
        ticket_message=answer,
        channel="email",
        kind="reply",
        external_id="plain@desk.test",
        address=dana.email,
    )
    # when the mail is built
    built = outbound.build_mail(mail)
    # then the subject and the text part say it as written; only the HTML part escapes
    assert 'Can\'t print "A & B" <reports>' in built.subject
    assert "Don't worry: A & B <b>works</b> now." in str(built.body)
    assert "&amp;" not in str(built.body) and "&#x27;" not in str(built.body)
    html, _ = built.alternatives[0]
    assert "A &amp; B" in str(html) and "<b>works</b>" not in str(html)
