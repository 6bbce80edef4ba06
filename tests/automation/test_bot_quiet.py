# ruff: noqa: RUF001
"""The answer bot answers with the article's passage, and keeps quiet on complaints,
urgent or angry messages and VIP customers: those go straight to a person."""

from __future__ import annotations

import pytest

from opora.accounts.models import Organization
from opora.automation.bot import bot_stats, bot_user, configure_bot, passage
from opora.automation.models import BotConversation
from opora.core.tasks import run_queued_tasks
from opora.kb import actions as kb
from opora.tickets import actions

ARTICLE = (
    "Printers sometimes stop after an update. "
    "First, open the print queue on your computer. "
    "If a document is stuck in the print queue, cancel it and restart the spooler service. "
    "Then print a test page.\n\n"
    "Paper jams are a different matter: open the front cover and pull the sheet out."
)


@pytest.fixture
def article(alice):
    return kb.create_article(
        by=alice, title="Printer does not print", body=ARTICLE, status="published"
    )


@pytest.fixture
def bot_on(db):
    return configure_bot(team_id=None, enabled=True, threshold=0.3)


def ask(requester, captured, *, subject="My printer does not print", body="", **kw):
    with captured(execute=True):
        ticket = actions.create_ticket(
            requester=requester,
            subject=subject,
            body=body or "A document is stuck in the print queue.",
            by=requester,
            channel="web",
            **kw,
        )
    run_queued_tasks()
    return ticket


def bot_reply(ticket):
    return ticket.messages.filter(author=bot_user()).first()


def test_the_bot_answers_with_the_passage_around_the_best_match(
    django_capture_on_commit_callbacks, dana, article, bot_on
):
    ticket = ask(dana, django_capture_on_commit_callbacks)
    reply = bot_reply(ticket)
    assert reply is not None
    # the sentence that matches, with its neighbours, from the article's text
    assert "cancel it and restart the spooler service" in reply.body
    assert "First, open the print queue" in reply.body
    assert "Then print a test page." in reply.body
    assert "Paper jams" not in reply.body  # another paragraph
    assert f"/help/articles/{article.pk}/" in reply.body
    assert BotConversation.objects.get(ticket=ticket).state == "awaiting"


def test_a_passage_in_russian_matches_by_stems():
    body = (
        "Пароль можно сменить в профиле. "
        "Если вы забыли пароль, нажмите «Восстановить доступ» на странице входа. "
        "Ссылка придёт на почту.\n\nДвухфакторная защита настраивается отдельно."
    )
    found = passage(body, "Забыла пароль, не могу войти")
    assert "«Восстановить доступ»" in found
    assert "Двухфакторная" not in found


@pytest.mark.parametrize(
    ("reason", "kw"),
    [
        ("complaint", {"type": "complaint"}),
        ("complaint", {"body": "I want to file a complaint: the print queue is stuck."}),
        ("complaint", {"body": "Это претензия: очередь печати зависла."}),
        ("urgent", {"priority": 4}),
        ("urgent", {"body": "URGENT: a document is stuck in the print queue."}),
        ("urgent", {"body": "Срочно! Документ завис в очереди печати."}),
        ("angry", {"body": "A document is stuck in the print queue!!! Again!"}),
        ("angry", {"body": "A DOCUMENT IS STUCK IN THE PRINT QUEUE, HELP"}),
        # Dissatisfaction is a complaint (complaints/detection.py): quiet as one.
        ("complaint", {"body": "This is ridiculous, the print queue is stuck."}),
        ("complaint", {"body": "Ужасный сервис, очередь печати опять зависла."}),
    ],
)
def test_the_bot_leaves_complaints_urgent_and_angry_requests_to_people(
    django_capture_on_commit_callbacks, dana, article, bot_on, reason, kw
):
    ticket = ask(dana, django_capture_on_commit_callbacks, **kw)
    assert bot_reply(ticket) is None
    conversation = BotConversation.objects.get(ticket=ticket)
    assert (conversation.state, conversation.reason) == ("skipped", reason)


def test_the_bot_leaves_vip_organizations_to_people(
    django_capture_on_commit_callbacks, dana, acme, article, bot_on
):
    Organization.objects.filter(pk=acme.pk).update(vip=True)
    dana.organization = acme
    dana.save(update_fields=["organization"])
    ticket = ask(dana, django_capture_on_commit_callbacks)
    assert bot_reply(ticket) is None
    assert BotConversation.objects.get(ticket=ticket).reason == "vip"


def test_each_quiet_case_is_a_team_setting(
    django_capture_on_commit_callbacks, dana, article, api, ada
):
    saved = api(ada).post(
        "/bot/settings",
        {"enabled": True, "threshold": 0.3, "skip_complaints": False, "skip_urgent": True},
    )
    assert saved.json()["skip_complaints"] is False
    assert saved.json()["skip_vip"] is True
    # A complaint is never answered, whatever the switch (it is acknowledged with its
    # deadline instead); the switch still covers the urgent and VIP cases' siblings.
    complaint = ask(dana, django_capture_on_commit_callbacks, type="complaint")
    assert bot_reply(complaint) is None
    urgent = ask(dana, django_capture_on_commit_callbacks, priority=4)
    assert bot_reply(urgent) is None


def test_the_bots_figures_count_what_it_left_to_people_apart(
    django_capture_on_commit_callbacks, api, alice, dana, article, bot_on
):
    ask(dana, django_capture_on_commit_callbacks)
    ask(dana, django_capture_on_commit_callbacks, type="complaint")
    ask(dana, django_capture_on_commit_callbacks, priority=4)
    stats = bot_stats()
    assert (stats.offered, stats.skipped) == (1, 2)
    assert stats.skipped_by_reason == {"complaint": 1, "urgent": 1}
    answer = api(alice).get("/bot/stats").json()
    assert (answer["skipped"], answer["solved"]) == (2, 0)
