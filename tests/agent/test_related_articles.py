"""The ticket page's Related articles card: matching articles, search, insert link or text."""

from __future__ import annotations

import pytest
from django.conf import settings

from opora.kb import actions as kb
from opora.kb.markdown import markdown_to_text
from opora.kb.models import Article
from tests.writes import nothing_written


@pytest.fixture
def printer_articles(alice):
    return {
        "public": kb.create_article(
            by=alice,
            title="Printer does not print",
            body="Check the **print queue**.\n\n1. Open the spooler\n2. Restart it",
            status="published",
        ),
        "internal": kb.create_article(
            by=alice,
            title="Printer admin password",
            body="The printer admin password is in the vault.",
            status="internal",
        ),
        "draft": kb.create_article(
            by=alice, title="Printer toner order", body="Printer toner draft.", status="draft"
        ),
        "vpn": kb.create_article(
            by=alice, title="VPN drops", body="Reconnect the VPN.", status="published"
        ),
    }


def test_the_ticket_page_loads_the_card_after_the_page(client, alice, dana, make_ticket):
    ticket = make_ticket(dana)
    client.force_login(alice)
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert "Related articles" in page
    assert f'hx-get="/agent/tickets/{ticket.number}/articles"' in page


def test_the_card_lists_articles_about_the_ticket_internal_ones_marked(
    client, alice, dana, make_ticket, printer_articles
):
    # given a ticket about a printer
    ticket = make_ticket(dana, subject="My printer does not print")
    client.force_login(alice)
    # when the card loads
    html = client.get(f"/agent/tickets/{ticket.number}/articles").content.decode()
    # then the printer articles are there, the internal one marked and without a link
    # button (customers could not open it); drafts and unrelated articles are not
    public, internal = printer_articles["public"], printer_articles["internal"]
    assert "Printer does not print" in html and "Printer admin password" in html
    assert "Printer toner order" not in html and "VPN drops" not in html
    assert (
        f'data-insert="Printer does not print — {settings.BASE_URL}/help/articles/{public.pk}/"'
        in html
    )
    internal_item = html[html.index(f'data-article="{internal.pk}"') :]
    internal_item = internal_item[: internal_item.index("</li>")]
    assert "data-internal" in internal_item and "data-insert-link" not in internal_item
    assert "data-insert-text" in internal_item


def test_insert_text_offers_the_article_as_plain_text(
    client, alice, dana, make_ticket, printer_articles
):
    ticket = make_ticket(dana, subject="My printer does not print")
    client.force_login(alice)
    html = client.get(f"/agent/tickets/{ticket.number}/articles").content.decode()
    # the Markdown is gone, the paragraphs and list items stay
    assert 'data-insert="Check the print queue.\n\n- Open the spooler\n- Restart it"' in html


def test_the_card_search_finds_other_articles(client, alice, dana, make_ticket, printer_articles):
    ticket = make_ticket(dana, subject="My printer does not print")
    client.force_login(alice)
    html = client.get(
        f"/agent/tickets/{ticket.number}/articles", {"q": "vpn"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "VPN drops" in html and "Printer does not print" not in html
    nothing = client.get(f"/agent/tickets/{ticket.number}/articles", {"q": "zebra"})
    assert "No articles match." in nothing.content.decode()


def test_the_card_speaks_russian(client, alice, dana, make_ticket, printer_articles):
    from opora.accounts.actions import set_user_language

    set_user_language(alice, "ru")
    ticket = make_ticket(dana, subject="My printer does not print")
    client.force_login(alice)
    html = client.get(f"/agent/tickets/{ticket.number}/articles").content.decode()
    assert "Вставить ссылку" in html and "Вставить текст" in html and "Внутренняя" in html


def test_customers_and_other_teams_do_not_get_the_card(
    client, otto, dana, billing, make_ticket, printer_articles
):
    ticket = make_ticket(dana)
    client.force_login(dana)
    assert client.get(f"/agent/tickets/{ticket.number}/articles").status_code in (302, 403, 404)
    client.force_login(otto)
    assert client.get(f"/agent/tickets/{ticket.number}/articles").status_code == 404


def test_markdown_to_text_keeps_links_readable():
    assert markdown_to_text("See [the guide](https://x.test/g) &amp; more") == (
        "See the guide & more"
    )


def test_a_solved_ticket_turns_into_a_draft_article(client, alice, dana, make_ticket):
    # given a ticket Alice answered and solved
    ticket = make_ticket(dana, subject="Printer jams on A5 paper")
    client.force_login(alice)
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert "Turn into article" not in page  # not before it is solved
    client.post(
        f"/agent/tickets/{ticket.number}/reply",
        {"kind": "reply", "body": "Set the tray to A5 in the driver.", "status": "solved"},
    )
    assert "Turn into article" in client.get(f"/agent/tickets/{ticket.number}").content.decode()
    # when she turns it into an article
    response = client.post(f"/agent/tickets/{ticket.number}/to-article")
    # then a draft holds the question and her answer, and she is taken to it
    article = Article.objects.get(source_ticket=ticket)
    assert (article.status, article.title) == ("draft", "Printer jams on A5 paper")
    assert "Set the tray to A5 in the driver." in article.body
    assert response["Location"] == f"/help/articles/{article.pk}/"
    shown = client.get(response["Location"]).content.decode()
    assert "A draft article was made from this ticket." in shown and "data-draft" in shown


def test_an_unsolved_ticket_does_not_turn_into_an_article(client, alice, dana, make_ticket):
    ticket = make_ticket(dana)
    client.force_login(alice)
    with nothing_written(ticket):
        response = client.post(f"/agent/tickets/{ticket.number}/to-article")
    assert response.status_code == 400
    assert "Only a solved ticket can become an article." in response.content.decode()
