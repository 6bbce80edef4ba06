"""The answer bot's figures for a period and a team, its settings in the console and
the API (languages, allowed articles), and who may see and change them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from opora.automation.bot import answer_ticket, bot_stats, configure_bot
from opora.automation.models import BotConversation, BotSettings
from opora.core.models import AdminChange
from opora.kb import actions as kb
from opora.tickets import actions
from tests.writes import nothing_written


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 12, tzinfo=UTC)


@pytest.fixture
def articles(alice):
    return [
        kb.create_article(
            by=alice, title=title, body=f"{title}: restart it and wait.", status="published"
        )
        for title in ("Printer does not print", "VPN drops", "Reset a password")
    ]


@pytest.fixture
def history(make_ticket, dana, support, billing, articles):
    """Eight requests the bot saw in March: in Support 2 solved, 2 handed off, 1 still
    waiting, 2 without an article (one subject twice); in Billing 1 solved; and one
    Support request in February, outside the period."""
    printer, vpn, password = (a.pk for a in articles)
    rows = [
        (support, "solved", [printer, vpn], "Printer jam", 2),
        (support, "solved", [printer], "Printer offline", 3),
        (support, "handed_off", [vpn, printer], "VPN", 4),
        (support, "handed_off", [password], "Password", 5),
        (support, "awaiting", [printer], "Printer again", 6),
        (support, "no_match", [], "Invoice missing", 7),
        (support, "no_match", [], "Invoice missing", 8),
        (billing, "solved", [password], "Password reset", 9),
    ]
    for team, state, offered, subject, day in rows:
        ticket = make_ticket(dana, team=team, subject=subject)
        BotConversation.objects.create(
            ticket=ticket, state=state, articles=offered, created_at=at(day)
        )
    old = make_ticket(dana, team=support, subject="Old")
    BotConversation.objects.create(
        ticket=old, state="solved", articles=[vpn], created_at=datetime(2026, 2, 1, tzinfo=UTC)
    )
    return articles


def test_figures_of_a_team_for_a_period(history, support):
    printer, vpn, password = history
    stats = bot_stats(team_id=support.pk, start=at(1), end=at(31))
    assert (stats.questions, stats.offered, stats.solved, stats.handed_off) == (7, 5, 2, 2)
    assert (stats.awaiting, stats.no_match) == (1, 2)
    assert stats.handoff_rate == pytest.approx(0.4)
    assert stats.resolution_rate == pytest.approx(0.4)
    assert [(a.id, a.count) for a in stats.top_articles] == [
        (printer.pk, 4),
        (vpn.pk, 2),
        (password.pk, 1),
    ]
    assert stats.top_articles[0].title == "Printer does not print"
    assert [(q.subject, q.count) for q in stats.top_unanswered] == [("Invoice missing", 2)]


def test_figures_of_the_whole_desk_and_an_empty_period(history):
    everything = bot_stats(start=at(1), end=at(31))
    assert (everything.questions, everything.solved) == (8, 3)
    nothing = bot_stats(
        start=datetime(2025, 1, 1, tzinfo=UTC), end=datetime(2025, 2, 1, tzinfo=UTC)
    )
    assert (nothing.questions, nothing.handoff_rate, nothing.top_articles) == (0, 0.0, ())


def test_the_stats_api_takes_a_team_and_days(history, api, lena, alice, billing, support):
    answer = api(lena).get(
        "/bot/stats", {"team": support.pk, "start": "2026-03-01", "end": "2026-03-31"}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["questions"], body["solved"], body["handed_off"]) == (7, 2, 2)
    assert body["top_unanswered"] == [{"subject": "Invoice missing", "count": 2}]
    # the last day counts whole
    one_day = api(lena).get(
        "/bot/stats", {"team": support.pk, "start": "2026-03-08", "end": "2026-03-08"}
    )
    assert one_day.json()["no_match"] == 1
    # a lead sees her own teams' figures only; an agent the desk's (as before)
    assert api(lena).get("/bot/stats", {"team": billing.pk}).status_code == 403
    assert api(alice).get("/bot/stats").status_code == 200
    bad = api(lena).get("/bot/stats", {"start": "2026-03-09", "end": "2026-03-01"})
    assert bad.status_code == 422


def test_languages_and_allowed_articles_limit_what_the_bot_offers(
    articles, dana, ada, django_capture_on_commit_callbacks
):
    printer, vpn, _ = articles
    configure_bot(team_id=None, enabled=True, threshold=0.1, languages=["ru"], by=ada)
    english = actions.create_ticket(
        requester=dana, subject="Printer does not print", body="Help", by=dana, channel="web"
    )
    assert answer_ticket(english.pk) is None  # not a language this bot answers
    configure_bot(
        team_id=None, enabled=True, threshold=0.1, languages=[], articles=[vpn.pk], by=ada
    )
    other = actions.create_ticket(
        requester=dana, subject="Printer does not print", body="Help", by=dana, channel="web"
    )
    conversation = answer_ticket(other.pk)
    assert conversation is not None
    assert printer.pk not in conversation.articles


def test_the_console_page_saves_settings_and_shows_figures(history, lena, support, alice):
    printer = history[0]
    client = Client()
    client.force_login(lena)
    page = client.get(
        "/admin/bot/", {"team": support.pk, "start": "2026-03-01", "end": "2026-03-31"}
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-figure="questions"><b>7</b>' in text and "Invoice missing" in text
    answer = client.post(
        f"/admin/bot/?team={support.pk}",
        {"enabled": "on", "threshold": "0.6", "languages": ["en"], "articles": [printer.pk]},
    )
    assert answer.status_code == 302
    saved = BotSettings.objects.get(team=support)
    assert (saved.enabled, saved.threshold, saved.languages, saved.articles) == (
        True,
        0.6,
        ["en"],
        [printer.pk],
    )
    change = AdminChange.objects.get(area="bot")
    assert change.actor == lena and change.changes["threshold"] == [None, 0.6]
    # an agent who is not a lead cannot open it, nor change anything
    agent = Client()
    agent.force_login(alice)
    with nothing_written(saved):
        assert agent.get("/admin/bot/").status_code == 403
        assert agent.post(f"/admin/bot/?team={support.pk}", {"threshold": "0.1"}).status_code == 403


def test_a_lead_cannot_open_another_teams_bot(lena, billing, history):
    client = Client()
    client.force_login(lena)
    assert client.get("/admin/bot/", {"team": billing.pk}).status_code == 403
