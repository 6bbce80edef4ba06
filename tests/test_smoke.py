from __future__ import annotations

from opora.tickets.models import Ticket


def test_it_creates_a_ticket_through_the_api(api, dana, support):
    # given a customer with a token
    client = api(dana)
    # when she opens a ticket
    response = client.post("/tickets", {"subject": "Hello", "body": "It is broken"})
    # then it exists under its number with her as requester
    assert response.status_code == 201, response.content
    assert Ticket.objects.get(number=response.json()["number"]).requester == dana
