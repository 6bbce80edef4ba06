"""The ideas board and the desk's merge in a real browser, 390 px wide, in English and
Russian: a customer votes and leaves a comment that waits for moderation; an agent
merges a suggestion into the similar idea the ticket page offers, with one click."""

# ruff: noqa: RUF001

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from opora.ideas import actions
from opora.ideas.models import IdeaComment, IdeaTicket, Vote

pytestmark = pytest.mark.e2e

TEXTS = {
    "en": {
        "title": "Dark mode",
        "comment": "Please follow the system theme.",
        "voted": "You voted for this idea.",
        "held": "Awaiting moderation",
        "subject": "Please add a dark theme",
        "merged": "Merged into",
    },
    "ru": {
        "title": "Тёмная тема",
        "comment": "Хорошо бы переключаться вместе с системой.",
        "voted": "Вы проголосовали за эту идею.",
        "held": "На модерации",
        "subject": "Сделайте тёмный режим интерфейса",
        "merged": "Объединено с",
    },
}


def _fits(page) -> bool:
    right = page.evaluate(
        "Math.max(document.documentElement.scrollWidth, ...Array.from("
        "document.querySelectorAll('main, main *')).map(e => e.getBoundingClientRect().right))"
    )
    return int(right) <= 390


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_customer_votes_and_comments_on_the_board(open_session, ada, dana, language):
    texts = TEXTS[language]
    dana.language = language
    dana.save(update_fields=["language"])
    idea = actions.create_idea(by=ada, title=texts["title"], description="…")
    actions.create_idea(by=ada, title="Export to Excel")
    customer = open_session("ru-RU" if language == "ru" else "en-US")
    customer.page.set_viewport_size({"width": 390, "height": 844})
    customer.sign_in(dana.email)
    page = customer.page

    customer.go("/ideas/")
    expect(page.locator(f"[data-idea='{idea.pk}']")).to_contain_text(texts["title"])
    assert _fits(page)
    customer.screenshot(f"ideas-board-{language}")
    page.locator(f"[data-idea='{idea.pk}'] h2 a").click()
    page.locator("[data-vote]").click()
    expect(page.locator("[data-voted]")).to_have_text(f"✓ {texts['voted']}")
    expect(page.locator("[data-votes]").first).to_have_attribute("data-votes", "1")
    page.locator("textarea[name=body]").fill(texts["comment"])
    page.locator("[data-comment-send]").click()
    held = page.locator("[data-pending-comment]")
    expect(held).to_contain_text(texts["held"])
    expect(held).to_contain_text(texts["comment"])
    assert _fits(page)
    customer.screenshot(f"ideas-idea-voted-{language}")
    assert Vote.objects.filter(idea=idea, customer=dana).count() == 1
    assert IdeaComment.objects.get().state == "pending"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_agent_merges_a_suggestion_from_its_ticket(
    open_session, ada, alice, dana, make_ticket, language
):
    texts = TEXTS[language]
    alice.language = language
    alice.save(update_fields=["language"])
    idea = actions.create_idea(by=ada, title=texts["title"])
    actions.create_idea(by=ada, title="Export to Excel")
    ticket = make_ticket(dana, subject=texts["subject"], body=texts["subject"], type="suggestion")
    agent = open_session("ru-RU" if language == "ru" else "en-US")
    agent.page.set_viewport_size({"width": 390, "height": 844})
    agent.sign_in(alice.email)
    page = agent.page

    agent.go(f"/agent/tickets/{ticket.number}")
    card = page.locator("[data-ideas-card]")
    expect(card.locator(f"[data-similar-idea='{idea.pk}']")).to_contain_text(texts["title"])
    card.scroll_into_view_if_needed()
    agent.screenshot(f"ideas-ticket-similar-{language}")
    card.locator(f"[data-merge-idea='{idea.pk}']").click()
    page.wait_for_load_state()
    expect(page.locator(f"[data-merged-idea='{idea.pk}']")).to_contain_text(texts["merged"])
    page.locator("[data-ideas-card]").scroll_into_view_if_needed()
    agent.screenshot(f"ideas-ticket-merged-{language}")
    assert IdeaTicket.objects.get().idea == idea
    assert Vote.objects.get(idea=idea).customer == dana
