# ruff: noqa: RUF001
"""A new suggestion finds the idea it speaks of, in Russian and English, through word
forms and the desk's synonyms, and not an unrelated one."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from opora.core.tasks import run_queued_tasks
from opora.ideas.models import Idea, IdeaMatch
from opora.ideas.selectors import similar_ideas
from opora.tickets.models import Ticket

IDEAS = (
    ("Тёмная тема", "Тёмное оформление интерфейса для работы ночью."),
    ("Dark mode", "A dark interface for late shifts."),
    ("Выгрузка отчётов в Excel", "Выгрузка любого отчёта в XLSX, а не только в PDF."),
    ("Export tickets to Jira", "Send a ticket to a Jira project with one click."),
    ("Уведомления в Telegram", "Статусы заказов в общий чат склада."),
    ("Pay by bank card", "Card payments for invoices."),
)


@pytest.fixture
def board(make_idea: Callable[..., Idea]) -> dict[str, Idea]:
    return {title: make_idea(title, description) for title, description in IDEAS}


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("Тёмный режим интерфейса", "Глаза устают вечером от белого экрана.", "Тёмная тема"),
        ("Please add a dark theme", "The bright screen is tiring at night.", "Dark mode"),
        ("Dark mode please", "", "Dark mode"),
        (
            "Можно выгружать отчёты в эксель?",
            "Нужна выгрузка отчета в Excel.",
            "Выгрузка отчётов в Excel",
        ),
        (
            "Хотим уведомления в телеграм",
            "Было бы здорово получать статусы в Telegram.",
            "Уведомления в Telegram",
        ),
    ],
)
def test_a_suggestion_finds_its_idea_first(
    board: dict[str, Idea],
    suggestion: Callable[..., Ticket],
    dana: object,
    subject: str,
    body: str,
    expected: str,
) -> None:
    ticket = suggestion(dana, subject, body)
    found = similar_ideas(ticket)
    assert found, "no idea found"
    assert found[0].idea.title == expected


@pytest.mark.parametrize(
    ("title", "subject"),
    [("Тёмная тема", "Нужен ночной режим"), ("Dark theme", "Night mode, please")],
)
def test_a_night_mode_meets_the_dark_theme_through_the_desks_synonyms(
    make_idea: Callable[..., Idea],
    suggestion: Callable[..., Ticket],
    dana: object,
    title: str,
    subject: str,
) -> None:
    """No word in common: the shipped synonym group ("тёмная тема | ночной режим",
    "dark theme | night mode") names them as one thing."""
    theme = make_idea(title, "")
    make_idea("Выгрузка отчётов в Excel", "")
    make_idea("Mobile app for phones", "")
    found = similar_ideas(suggestion(dana, subject, ""))
    assert [s.idea for s in found][:1] == [theme]


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Please add two-factor sign-in with SMS codes", ""),
        ("Добавьте возможность печатать накладные", "Хотелось бы печатать накладные сразу."),
    ],
)
def test_an_unrelated_suggestion_finds_nothing(
    board: dict[str, Idea], suggestion: Callable[..., Ticket], dana: object, subject: str, body: str
) -> None:
    """Words every suggestion uses ("please add", "хотелось бы") match no idea."""
    assert similar_ideas(suggestion(dana, subject, body)) == []


def test_matches_are_kept_when_the_suggestion_arrives(
    board: dict[str, Idea],
    suggestion: Callable[..., Ticket],
    dana: object,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        ticket = suggestion(dana, "Dark theme for the web app", "")
    run_queued_tasks()
    kept = list(IdeaMatch.objects.filter(ticket=ticket).order_by("-score"))
    assert kept and kept[0].idea == board["Dark mode"]


def test_other_tickets_are_not_compared(
    board: dict[str, Idea],
    make_ticket: Callable[..., Ticket],
    dana: object,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        make_ticket(dana, subject="Dark mode is broken", body="It crashes.", type="question")
    run_queued_tasks()
    assert not IdeaMatch.objects.exists()
