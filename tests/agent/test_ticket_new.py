""" "New ticket" for agents: a phone call from a new customer, refusals that keep the form."""

from __future__ import annotations

from opora.accounts.models import Identity, User
from opora.tickets.models import Ticket
from tests.writes import nothing_written

PHONE_CALL = {
    "who": "new",
    "new_name": "Pavel Ivanov",
    "new_phone": "+7 (912) 345-67-89",
    "channel": "phone",
    "subject": "Router keeps rebooting",
    "body": "Called at 10:05: the router reboots every ten minutes since yesterday.",
    "priority": "high",
    "type": "incident",
    "tags": "router, callback",
}


def test_an_agent_records_a_phone_call_from_a_new_customer(client, alice, support, lena):
    client.force_login(alice)
    form = PHONE_CALL | {"team": str(support.pk), "assignee": str(lena.pk)}
    response = client.post("/agent/tickets/new", form)
    # then the ticket page opens
    ticket = Ticket.objects.get(subject="Router keeps rebooting")
    assert (response.status_code, response["Location"]) == (302, f"/agent/tickets/{ticket.number}")
    # with the call recorded as the desk wrote it down
    assert (ticket.channel, ticket.priority, ticket.type) == ("phone", 3, "incident")
    assert (ticket.team_id, ticket.assignee_id) == (support.pk, lena.pk)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["callback", "router"]
    first = ticket.messages.get()
    assert first.body.startswith("Called at 10:05") and first.author_id == alice.pk
    # and the new customer is known by the phone for the next call
    pavel = ticket.requester
    assert (pavel.name, pavel.role) == ("Pavel Ivanov", "customer")
    assert Identity.objects.filter(user=pavel, kind="phone", value="+79123456789").exists()
    found = client.get("/agent/people/search", {"q": "912 345"}).json()["items"]
    assert [p["id"] for p in found] == [pavel.pk]


def test_a_known_customer_found_by_the_search(client, alice, dana):
    client.force_login(alice)
    found = client.get("/agent/people/search", {"q": "dana@"}).json()["items"]
    assert [p["name"] for p in found] == ["Dana"]
    response = client.post(
        "/agent/tickets/new",
        {
            "who": "existing",
            "requester": str(found[0]["id"]),
            "requester_label": "Dana",
            "channel": "walk_in",
            "subject": "Badge does not open the door",
            "body": "Came to the desk with the badge.",
            "priority": "normal",
            "type": "question",
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Badge does not open the door")
    assert ticket.requester_id == dana.pk
    assert "walk-in" in ticket.tags.values_list("name", flat=True)


def test_a_refusal_keeps_the_form_and_writes_nothing(client, alice, otto, support, billing):
    client.force_login(alice)
    # Otto is not in Support: the action refuses the assignee after the customer and the
    # ticket were shaped; neither stays
    form = PHONE_CALL | {"new_email": "pavel@example.test", "team": str(support.pk)}
    with nothing_written():
        response = client.post("/agent/tickets/new", form | {"assignee": str(otto.pk)})
    assert response.status_code == 422
    page = response.content.decode()
    assert "not a member of this ticket" in page
    assert 'value="Router keeps rebooting"' in page and "reboots every ten minutes" in page
    assert 'value="Pavel Ivanov"' in page
    assert not User.objects.filter(email="pavel@example.test").exists()
    # a new customer without any way to reach them is refused by the form itself
    with nothing_written():
        response = client.post("/agent/tickets/new", PHONE_CALL | {"new_phone": ""})
    assert response.status_code == 422
    assert "e-mail or phone" in response.content.decode()


def test_customers_cannot_open_the_page_nor_search(client, dana):
    client.force_login(dana)
    assert client.get("/agent/tickets/new")["Location"] == "/portal/"
    assert client.get("/agent/people/search", {"q": "dana"})["Location"] == "/portal/"
