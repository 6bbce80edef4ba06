"""The agent's Related articles card in a real browser: insert a link and the text, send."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from opora.kb import actions as kb

pytestmark = pytest.mark.e2e


def test_the_agent_answers_with_a_related_article(open_session, alice, dana, make_ticket):
    # given a printer article, an internal note on printers and Dana's printer ticket
    article = kb.create_article(
        by=alice,
        title="Printer does not print",
        body="Check the **print queue**, then restart the spooler.",
        status="published",
    )
    kb.create_article(
        by=alice,
        title="Printer admin password",
        body="The printer admin password is in the vault.",
        status="internal",
    )
    ticket = make_ticket(dana, subject="My printer does not print")
    url = f"{settings.BASE_URL}/help/articles/{article.pk}/"
    agent = open_session("en-US")
    agent.sign_in(alice.email)

    # when Alice opens the ticket, the card shows the printer article
    agent.go(f"/agent/tickets/{ticket.number}")
    page = agent.page
    card = page.locator("[data-related]")
    item = card.locator(f".related-article[data-article='{article.pk}']")
    expect(item).to_contain_text("Printer does not print")
    expect(card.locator(".related-article", has_text="Printer admin password")).to_contain_text(
        "Internal"
    )
    # and she inserts its link and its text into the reply
    page.fill("#composer-body", "Hello Dana,")
    item.locator("[data-insert-link]").click()
    item.locator("[data-insert-text]").click()
    text = "Check the print queue, then restart the spooler."
    expect(page.locator("#composer-body")).to_have_value(
        f"Hello Dana,\n\nPrinter does not print — {url}\n\n{text}"
    )
    agent.screenshot("agent-related-articles")
    # the card's search finds other articles too
    card.locator("input[name=q]").fill("admin password")
    expect(card.locator(".related-article").first).to_contain_text("Printer admin password")
    page.locator("#composer [data-submit]").click()
    expect(page.locator(".msg-agent .msg-body", has_text=text)).to_be_visible()

    # then Dana sees the link in the portal
    customer = open_session("en-US")
    customer.sign_in(dana.email)
    customer.go(f"/portal/requests/{ticket.number}")
    link = customer.page.locator(f".msg-body a[href='{url}']")
    expect(link).to_have_text(url)
    expect(customer.page.locator(".msg-body", has_text=text)).to_be_visible()


def test_the_agent_turns_a_solved_ticket_into_a_draft_article(
    open_session, alice, dana, make_ticket
):
    # given a ticket Alice has answered
    ticket = make_ticket(dana, subject="Scanner saves blank pages")
    agent = open_session("en-US")
    agent.sign_in(alice.email)
    agent.go(f"/agent/tickets/{ticket.number}")
    page = agent.page
    expect(page.locator("[data-to-article]")).to_have_count(0)
    answer = "Clean the scanner glass and turn off blank page removal."
    page.fill("#composer-body", answer)
    page.select_option("#composer select[name=status]", "solved")
    page.locator("#composer [data-submit]").click()
    expect(page.locator(".ticket-meta .badge")).to_have_text("Solved")

    # when she turns it into an article
    page.locator("[data-to-article]").click()

    # then the article editor opens on a draft made of her answer
    expect(page.locator("input[name=title]")).to_have_value("Scanner saves blank pages")
    expect(page.locator("textarea[name=body]")).to_have_value(answer)
    agent.screenshot("agent-ticket-to-article")
