"""The API behind the ticket page's people: customer search and followers."""

from __future__ import annotations

from tests.writes import nothing_written


def test_customer_search_and_followers(api, alice, bob, otto, dana, dave, make_ticket):
    ticket = make_ticket(dana)
    found = api(alice).get("/customers/search", {"q": "acme.test"}).json()
    assert [p["email"] for p in found] == ["dana@acme.test", "dave@acme.test"]
    assert api(alice).get("/customers/search", {"q": "bob", "agents": "true"}).json()[0]["id"] == (
        bob.pk
    )
    assert api(dana).get("/customers/search", {"q": "dave"}).status_code == 403
    added = api(alice).post(f"/tickets/{ticket.number}/followers", {"user": dave.pk})
    assert [p["id"] for p in added.json()] == [dave.pk]
    assert api(alice).get(f"/tickets/{ticket.number}/followers").json()[0]["name"] == "Dave"
    outsider = api(otto)
    with nothing_written(ticket):
        refused = outsider.post(f"/tickets/{ticket.number}/followers", {"user": bob.pk})
    assert refused.status_code == 404
    removed = api(alice).delete(f"/tickets/{ticket.number}/followers/{dave.pk}")
    assert removed.json() == []
    spec = api(alice).get("/openapi.json").json()
    assert "/api/v1/customers/search" in spec["paths"]
    assert "/api/v1/tickets/{number}/followers/{user_id}" in spec["paths"]
