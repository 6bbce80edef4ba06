"""The organization page: details, people, its tickets the agent may open; customers
get the app's 403 page, as on the reports; the favicon is served and linked."""

from __future__ import annotations

import re

from opora.tickets import actions


def _listed(response) -> list[int]:
    return [int(n) for n in re.findall(r'data-ticket="(\d+)"', response.content.decode())]


def test_an_agent_sees_details_people_and_tickets_newest_first(
    client, alice, acme, dana, dave, make_ticket
):
    acme.notes = "Pays by invoice.\nCall before 18:00."
    acme.vip = True
    acme.save()
    first = make_ticket(dana, subject="First")
    second = make_ticket(dave, subject="Second")
    client.force_login(alice)
    response = client.get(f"/agent/organizations/{acme.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "acme.test" in html and "data-vip" in html and "Call before 18:00." in html
    assert "Dana" in html and "Dave" in html
    assert _listed(response) == [second.number, first.number]


def test_the_status_filter_and_pages(client, alice, acme, dana, make_ticket, ada):
    tickets = [make_ticket(dana, subject=f"Case {i}") for i in range(27)]
    actions.update_ticket(tickets[0], actions.TicketChanges(status="pending"), by=ada)
    client.force_login(alice)
    assert _listed(client.get(f"/agent/organizations/{acme.pk}?status=pending")) == [
        tickets[0].number
    ]
    first_page = _listed(client.get(f"/agent/organizations/{acme.pk}"))
    second_page = _listed(client.get(f"/agent/organizations/{acme.pk}?page=2"))
    assert len(first_page) == 25 and len(second_page) == 2
    assert second_page == [tickets[1].number, tickets[0].number]
    # nonsense filters are ignored, never a 500
    assert client.get(f"/agent/organizations/{acme.pk}?status=zzz&page=abc").status_code == 200


def test_an_agent_of_another_team_sees_the_org_but_only_tickets_they_may_open(
    client, otto, billing, acme, dana, make_ticket
):
    make_ticket(dana, subject="Support's")  # in the Support team: not Otto's
    own = make_ticket(dana, subject="Billing's", team=billing)
    client.force_login(otto)
    response = client.get(f"/agent/organizations/{acme.pk}")
    assert response.status_code == 200
    assert _listed(response) == [own.number]


def test_customers_get_the_styled_403_and_strangers_sign_in(client, dana, acme):
    client.force_login(dana)
    response = client.get(f"/agent/organizations/{acme.pk}")
    assert response.status_code == 403
    assert 'data-error="403"' in response.content.decode()
    client.logout()
    assert client.get(f"/agent/organizations/{acme.pk}").status_code == 302


def test_a_missing_organization_is_the_404_page(client, alice):
    client.force_login(alice)
    response = client.get("/agent/organizations/999999")
    assert response.status_code == 404


def test_the_customer_card_and_the_ticket_page_link_to_the_organization(
    client, alice, acme, dana, make_ticket
):
    ticket = make_ticket(dana)
    client.force_login(alice)
    link = f'href="/agent/organizations/{acme.pk}"'
    assert link in client.get(f"/agent/customers/{dana.pk}").content.decode()
    assert link in client.get(f"/agent/tickets/{ticket.number}").content.decode()


def test_a_customer_on_the_reports_gets_the_styled_403_in_their_language(client, dana):
    dana.language = "ru"
    dana.save()
    client.force_login(dana)
    response = client.get("/reports/")
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-error="403"' in html and 'class="topbar"' in html
    assert "Вам нельзя открыть эту страницу" in html


def test_every_page_links_the_favicon_and_it_is_served(client, alice):
    client.force_login(alice)
    html = client.get("/agent/").content.decode()
    urls = re.findall(r'<link rel="icon" href="([^"]+\.(?:svg|ico))"', html)
    assert len(urls) == 2
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
