from __future__ import annotations

from opora.tickets.models import Ticket


def test_it_creates_a_ticket_through_the_api(api, dana, support):
    # given a customer with a token
    client = api(dana)
    # when she opens a ticket
    response = client.post("/tickets", {"subject": "Hello", "body": "It is broken"})
    # then it exists with a number and her as requester (PostgreSQL sequences do not
    # roll back with the test transactions, so earlier tests may have used numbers)
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert number >= 1
    assert Ticket.objects.get(number=number).requester == dana
