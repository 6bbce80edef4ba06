"""The answer bot: replies with articles, "yes" solves, anything else goes to a person."""

from __future__ import annotations

import pytest
from django.core import mail as djmail

from opora.automation.bot import bot_user, configure_bot
from opora.automation.models import BotConversation
from opora.core.tasks import run_queued_tasks
from opora.kb import actions as kb
from opora.tickets import actions
from opora.tickets.models import Event, EventKind


@pytest.fixture
def articles(alice):
    return {
        "printer": kb.create_article(
            by=alice,
            title="Printer does not print",
            body="Check the print queue and restart the spooler.",
            status="published",
        ),
        "secret": kb.create_article(
            by=alice,
            title="Printer admin password",
            body="The printer admin password is kept in the vault.",
            status="internal",
        ),
    }


@pytest.fixture
def bot_on(db):
    return configure_bot(team_id=None, enabled=True, threshold=0.5)


def open_request(requester, subject="My printer does not print", body="Nothing comes out."):
    return actions.create_ticket(
        requester=requester, subject=subject, body=body, by=requester, channel="web"
    )


def bot_reply(ticket):
    return ticket.messages.filter(author=bot_user()).first()


def test_the_bot_answers_a_new_request_with_published_articles_only(
    django_capture_on_commit_callbacks, dana, articles, bot_on
):
    # when a customer opens a request and the queued job runs
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_request(dana, body="Nothing comes out, where is the printer password?")
    run_queued_tasks()
    # then the bot replied with the public article and the question
    reply = bot_reply(ticket)
    assert reply is not None and not reply.internal
    assert "Printer does not print" in reply.body
    assert f"/help/articles/{articles['printer'].pk}/" in reply.body
    assert "Did this solve your question?" in reply.body
    # never the internal one
    assert "admin password" not in reply.body
    assert f"/help/articles/{articles['secret'].pk}/" not in reply.body
    # an automated reply is not the desk's first response and keeps the ticket new
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.status == "new"
    assert Event.objects.get(ticket=ticket, kind=EventKind.REPLY, actor=bot_user()).data[
        "automated"
    ]


def test_the_bot_stays_silent_below_its_confidence_threshold(
    django_capture_on_commit_callbacks, dana, articles, bot_on
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_request(dana, subject="Contract renewal", body="Please call me tomorrow.")
    run_queued_tasks()
    assert bot_reply(ticket) is None
    assert BotConversation.objects.get(ticket=ticket).state == "no_match"


def test_the_bot_is_off_unless_turned_on(django_capture_on_commit_callbacks, dana, articles):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_request(dana)
    run_queued_tasks()
    assert bot_reply(ticket) is None


def test_the_bot_is_per_team(django_capture_on_commit_callbacks, dana, articles, support, ada):
    # given the bot is on for requests without a team but off for Support
    configure_bot(team_id=None, enabled=True, threshold=0.5)
    configure_bot(team_id=support.pk, enabled=False, threshold=0.5)
    # when a request arrives straight into Support
    with django_capture_on_commit_callbacks(execute=True):
        ticket = actions.create_ticket(
            requester=dana, subject="Printer does not print", body="x", by=ada, team=support
        )
    run_queued_tasks()
    assert bot_reply(ticket) is None


@pytest.fixture
def answered(django_capture_on_commit_callbacks, dana, articles, bot_on):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_request(dana)
    run_queued_tasks()
    assert bot_reply(ticket) is not None
    return ticket


def test_yes_solves_the_ticket_as_solved_by_the_bot(api, dana, answered):
    # when the customer answers "yes"
    result = api(dana).post(f"/bot/tickets/{answered.number}/feedback", {"solved": True})
    # then
    assert result.status_code == 204
    answered.refresh_from_db()
    assert answered.status == "solved"
    assert "solved-by-bot" in [t.name for t in answered.tags.all()]
    status_event = Event.objects.get(ticket=answered, kind=EventKind.STATUS)
    assert (status_event.new, status_event.actor) == ("solved", bot_user())
    stats = api(dana).get("/bot/stats")
    assert stats.status_code == 403  # customers do not see the desk's figures


def test_yes_by_e_mail_solves_too(django_capture_on_commit_callbacks, dana, answered):
    # The bot reads the reply once it is committed.
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(answered, by=dana, body="Yes, thank you!", channel="email")
    answered.refresh_from_db()
    assert answered.status == "solved"
    assert BotConversation.objects.get(ticket=answered).state == "solved"


def test_no_hands_the_ticket_to_a_person_at_once(api, dana, alice, answered):
    api(dana).post(f"/bot/tickets/{answered.number}/feedback", {"solved": False})
    answered.refresh_from_db()
    assert answered.status == "open"
    assert answered.assignee is None
    assert "bot-handoff" in [t.name for t in answered.tags.all()]
    assert BotConversation.objects.get(ticket=answered).state == "handed_off"
    assert Event.objects.get(ticket=answered, kind=EventKind.BOT_HANDOFF).new == "declined"
    # and the desk sees it in the queue, tagged
    queue = api(alice).get("/tickets", {"tag": "bot-handoff"}).json()["items"]
    assert [t["number"] for t in queue] == [answered.number]


def test_any_other_reply_hands_off_too(django_capture_on_commit_callbacks, dana, answered):
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(answered, by=dana, body="It still does not work, the light blinks red.")
    answered.refresh_from_db()
    assert answered.status == "open"
    assert BotConversation.objects.get(ticket=answered).state == "handed_off"
    assert Event.objects.get(ticket=answered, kind=EventKind.BOT_HANDOFF).new == "replied"
    # later replies are ordinary replies
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(answered, by=dana, body="yes")
    answered.refresh_from_db()
    assert answered.status == "open"


def test_only_the_requester_answers_the_bot(api, dave, answered):
    # Dave shares Acme's tickets and can see it, but the question was Dana's.
    answer = api(dave).post(f"/bot/tickets/{answered.number}/feedback", {"solved": True})
    assert answer.status_code == 403


def test_the_resolution_rate_is_reported(
    api, django_capture_on_commit_callbacks, dana, dave, lena, articles, bot_on
):
    # given three answered requests: one solved, one handed off, one waiting
    tickets = []
    for who in (dana, dave, dana):
        with django_capture_on_commit_callbacks(execute=True):
            tickets.append(open_request(who))
    run_queued_tasks()
    api(dana).post(f"/bot/tickets/{tickets[0].number}/feedback", {"solved": True})
    api(dave).post(f"/bot/tickets/{tickets[1].number}/feedback", {"solved": False})
    # when
    stats = api(lena).get("/bot/stats").json()
    # then
    assert (stats["offered"], stats["solved"], stats["handed_off"], stats["awaiting"]) == (
        3,
        1,
        1,
        1,
    )
    assert stats["resolution_rate"] == pytest.approx(1 / 3, abs=0.001)


def test_team_leads_and_admins_configure_the_bot(api, alice, lena, support):
    body = {"team": support.pk, "enabled": True, "threshold": 0.7}
    assert api(alice).post("/bot/settings", body).status_code == 403
    saved = api(lena).post("/bot/settings", body).json()
    assert saved == {
        "team": support.pk,
        "enabled": True,
        "threshold": 0.7,
        "languages": [],
        "articles": [],
        "skip_complaints": True,
        "skip_urgent": True,
        "skip_vip": True,
    }


def test_an_e_mail_customer_receives_the_bots_answer_by_e_mail(
    django_capture_on_commit_callbacks, dana, articles, bot_on
):
    djmail.outbox.clear()
    # when a customer writes by e-mail and the bot finds an article
    with django_capture_on_commit_callbacks(execute=True):
        ticket = actions.create_ticket(
            requester=dana,
            subject="My printer does not print",
            body="Nothing comes out.",
            by=dana,
            channel="email",
        )
    for _ in range(3):  # the bot's job, then the delivery it queued
        with django_capture_on_commit_callbacks(execute=True):
            run_queued_tasks()
    # then the answer reaches her mailbox, in the ticket's thread
    answers = [m for m in djmail.outbox if "Printer does not print" in m.body]
    assert len(answers) == 1
    assert answers[0].to == [dana.email]
    assert f"[#{ticket.number}]" in answers[0].subject
    # and it is still no first response
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
