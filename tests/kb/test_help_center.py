"""The help center pages: public, in the visitor's language, never showing internal articles."""

from __future__ import annotations

from django.test import Client

from opora.kb.models import Deflection
from tests.writes import nothing_written


def test_visitors_browse_and_search_without_signing_in(make_article):
    # given
    article = make_article(
        "Printer does not print", "Check the **print queue** first.", tags=["printer"]
    )
    visitor = Client()
    # when
    home = visitor.get("/help/", HTTP_ACCEPT_LANGUAGE="en")
    found = visitor.get("/help/search/", {"q": "printing fails", "lang": "en"})
    page = visitor.get(f"/help/articles/{article.pk}/")
    # then
    assert home.status_code == 200
    assert "Printer does not print" in home.content.decode()
    assert f"/help/articles/{article.pk}/" in found.content.decode()
    assert "<mark>" in found.content.decode()
    assert "<strong>print queue</strong>" in page.content.decode()
    article.refresh_from_db()
    assert article.view_count == 1


def test_the_language_follows_the_browser_then_the_choice(make_article):
    make_article("Printer does not print")
    make_article("Печать на принтере", language="ru")
    visitor = Client()
    russian = visitor.get("/help/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9").content.decode()
    assert "Центр помощи" in russian
    assert "Печать на принтере" in russian
    assert "Printer does not print" not in russian
    english = visitor.get("/help/", {"lang": "en"}, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Printer does not print" in english


def test_internal_articles_are_not_found_by_visitors_or_customers(make_article, dana):
    secret = make_article("Refund approval limits", "Staff only.", status="internal")
    visitor = Client()
    customer = Client()
    customer.force_login(dana)
    # and reading one that is not found counts no view
    with nothing_written(secret):
        assert visitor.get(f"/help/articles/{secret.pk}/").status_code == 404
        assert customer.get(f"/help/articles/{secret.pk}/").status_code == 404
    assert "Refund approval" not in visitor.get("/help/search/", {"q": "refund"}).content.decode()


def test_agents_read_internal_articles_marked_as_such(make_article, alice):
    secret = make_article("Refund approval limits", "Staff only.", status="internal")
    agent = Client()
    agent.force_login(alice)
    page = agent.get(f"/help/articles/{secret.pk}/").content.decode()
    assert "Internal article" in page


def test_a_customer_sends_a_request_from_the_help_center(dana):
    customer = Client()
    customer.force_login(dana)
    assert customer.get("/help/ask/", {"lang": "en"}).status_code == 200
    sent = customer.post(
        "/help/ask/?lang=en", {"subject": "Printer", "body": "It does not print."}, follow=True
    )
    assert "Your request has been sent" in sent.content.decode()
    assert dana.requested_tickets.get().channel == "web"


def test_a_blank_request_is_not_sent_and_visitors_sign_in_first(dana, make_article):
    article = make_article("Printer does not print")
    customer = Client()
    customer.force_login(dana)
    visitor = Client()
    Deflection.objects.create(kind="deflected", article=article, user=dana)
    with nothing_written(article):
        blank = customer.post(
            "/help/ask/?lang=en", {"subject": " ", "body": "It does not print.", "read": article.pk}
        )
        anonymous = visitor.post("/help/ask/?lang=en", {"subject": "Printer", "body": "Help"})
    assert "A subject is required." in blank.content.decode()
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/signin")


def test_suggestions_shown_and_deflections_are_recorded(api, make_article, dana):
    article = make_article("Printer does not print")
    client = api(dana)
    assert client.post("/kb/deflections", {"kind": "suggested", "query": "printer"}).status_code
    answer = client.post(
        "/kb/deflections", {"kind": "deflected", "article": article.pk, "query": "printer"}
    )
    assert answer.status_code == 201
    assert sorted(Deflection.objects.values_list("kind", flat=True)) == ["deflected", "suggested"]


def test_deflections_name_only_articles_the_visitor_may_read(api, make_article, dana):
    secret = make_article("Refund approval limits", "Staff only.", status="internal")
    client = api(dana)
    visitor = Client()
    with nothing_written(secret):
        hidden = client.post("/kb/deflections", {"kind": "deflected", "article": secret.pk})
        unknown_kind = client.post("/kb/deflections", {"kind": "ignored", "query": "refund"})
        page_hidden = visitor.post("/help/deflected/", {"article": str(secret.pk)})
        page_broken = visitor.post("/help/deflected/", {"article": "not a number"})
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
    assert (unknown_kind.status_code, unknown_kind.json()["errors"][0]["field"]) == (422, "kind")
    assert page_hidden.status_code == page_broken.status_code == 400


def test_the_agent_sidebar_lists_related_articles(api, alice, dana, make_ticket, make_article):
    article = make_article("Printer does not print", "Restart the spooler.")
    make_article("VPN drops", "Update the client.")
    ticket = make_ticket(dana, subject="Printing fails", body="Nothing comes out of the printer")
    related = api(alice).get(f"/kb/related/{ticket.number}").json()
    assert related[0]["id"] == article.pk
    assert related[0]["body"] == "Restart the spooler."
    assert api(dana).get(f"/kb/related/{ticket.number}").status_code == 403
