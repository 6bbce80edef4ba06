"""The customer card: who the requester is, how they reach the desk, their tickets,
possible duplicates and the merge, and who may see and do what."""

from __future__ import annotations

import pytest

from opora.accounts.identities import Contact, add_identity, requester_for
from opora.accounts.models import Identity, User
from opora.tickets.models import Ticket
from tests.writes import nothing_written


@pytest.fixture
def visitor(db) -> User:
    """Dana writing from the live chat, not recognised: a second account."""
    return requester_for(Contact(kind="chat", value="visitor-dana", name="Dana"))


def test_the_card_shows_the_person_their_identities_and_tickets(client, alice, dana, make_ticket):
    # given Dana with a phone recorded and two tickets
    add_identity(dana, kind="phone", value="+7 900 555 00 11", by=alice)
    older = make_ticket(dana, subject="Printer jams")
    newer = make_ticket(dana, subject="Scanner is slow")
    client.force_login(alice)
    # when Alice opens her card
    response = client.get(f"/agent/customers/{dana.pk}")
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert "dana@acme.test" in page and "Acme" in page
    assert 'data-identity="phone:+79005550011"' in page
    assert "not verified" in page
    assert page.index(f'data-ticket="{newer.number}"') < page.index(f'data-ticket="{older.number}"')
    assert "Printer jams" in page and "Scanner is slow" in page


def test_a_channel_only_person_shows_how_they_reach_the_desk(client, alice, visitor):
    client.force_login(alice)
    page = client.get(f"/agent/customers/{visitor.pk}").content.decode()
    assert "no e-mail — reached by Live chat" in page
    assert "customers.opora.invalid" not in page


def test_the_card_speaks_russian(client, alice, visitor):
    alice.language = "ru"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    page = client.get(f"/agent/customers/{visitor.pk}", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Способы связи" in page
    assert "нет e-mail — пишет через" in page


def test_the_ticket_page_links_the_requester_to_the_card(client, alice, dana, make_ticket):
    ticket = make_ticket(dana)
    client.force_login(alice)
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert f'href="/agent/customers/{dana.pk}"' in page


def test_the_tickets_come_in_pages(client, alice, dana, make_ticket):
    for n in range(21):
        make_ticket(dana, subject=f"Request {n}")
    client.force_login(alice)
    first = client.get(f"/agent/customers/{dana.pk}").content.decode()
    assert first.count("data-ticket=") == 20
    assert 'href="?limit=40"' in first
    everything = client.get(f"/agent/customers/{dana.pk}?limit=40").content.decode()
    assert everything.count("data-ticket=") == 21
    assert "data-more" not in everything


def test_the_card_shows_only_tickets_the_agent_may_see(client, otto, billing, dana, make_ticket):
    make_ticket(dana, subject="Support matter")
    make_ticket(dana, subject="Billing matter", team=billing)
    client.force_login(otto)
    page = client.get(f"/agent/customers/{dana.pk}").content.decode()
    assert "Billing matter" in page
    assert "Support matter" not in page


@pytest.mark.parametrize("who", ["dana", "charlie"])
def test_a_customer_or_an_outsider_gets_no_card(client, dana, dave, charlie, who):
    client.force_login(dana if who == "dana" else charlie)
    response = client.get(f"/agent/customers/{dave.pk}")
    assert response.status_code == 302  # customers work in their portal
    assert response["Location"] == "/portal/"


def test_staff_and_unknown_ids_have_no_card(client, alice, bob):
    client.force_login(alice)
    assert client.get(f"/agent/customers/{bob.pk}").status_code == 404
    assert client.get("/agent/customers/999999").status_code == 404


def test_a_team_lead_sees_duplicates_and_merges_one(client, lena, dana, visitor, make_ticket):
    # given the chat visitor "Dana" with a ticket
    ticket = make_ticket(visitor, subject="Written in the chat")
    client.force_login(lena)
    page = client.get(f"/agent/customers/{dana.pk}").content.decode()
    assert f'data-duplicate="{visitor.pk}"' in page
    assert "data-merge" in page
    # when Lena merges the visitor into Dana
    response = client.post(f"/agent/customers/{dana.pk}/merge", {"duplicate": visitor.pk})
    # then the ticket is Dana's and the visitor's card says where it went
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).requester_id == dana.pk
    after = client.get(f"/agent/customers/{dana.pk}").content.decode()
    assert "Written in the chat" in after
    assert 'data-identity="chat:visitor-dana"' in after
    assert "data-merged-accounts" in after
    old = client.get(f"/agent/customers/{visitor.pk}").content.decode()
    assert "data-merged-into" in old


def test_an_agent_sees_duplicates_but_may_not_merge(client, alice, dana, visitor, make_ticket):
    make_ticket(visitor)
    client.force_login(alice)
    page = client.get(f"/agent/customers/{dana.pk}").content.decode()
    assert f'data-duplicate="{visitor.pk}"' in page
    assert "data-merge" not in page
    with nothing_written(dana, visitor):
        response = client.post(f"/agent/customers/{dana.pk}/merge", {"duplicate": visitor.pk})
    assert response.status_code == 403


def test_refused_merges_on_the_card_write_nothing(client, lena, alice, dana, dave, visitor):
    client.force_login(lena)
    cases = [
        (dana.pk, {"duplicate": dana.pk}, 400),  # into themselves
        (dana.pk, {"duplicate": alice.pk}, 400),  # an agent
        (dana.pk, {"duplicate": 999_999}, 404),
        (dana.pk, {"duplicate": "x"}, 400),
        (alice.pk, {"duplicate": visitor.pk}, 404),  # an agent's "card"
    ]
    for keep, data, status in cases:
        with nothing_written(dana, visitor, alice):
            response = client.post(f"/agent/customers/{keep}/merge", data)
        assert response.status_code == status, data


def test_a_customer_posts_nothing_to_the_card(client, dana, dave, visitor):
    identity = Identity.objects.get(user=visitor)
    client.force_login(dana)
    with nothing_written(dave, visitor, identity):
        posts = [
            client.post(f"/agent/customers/{dave.pk}/merge", {"duplicate": visitor.pk}),
            client.post(f"/agent/customers/{dave.pk}/identities", {"kind": "vk", "value": "x"}),
            client.post(f"/agent/customers/{visitor.pk}/identities/{identity.pk}/remove"),
        ]
    assert [r.status_code for r in posts] == [302, 302, 302]
    assert all(r["Location"] == "/portal/" for r in posts)


def test_an_agent_adds_and_removes_an_identity_on_the_card(client, alice, dana):
    client.force_login(alice)
    added = client.post(
        f"/agent/customers/{dana.pk}/identities", {"kind": "telegram", "value": "@dana_acme"}
    )
    assert added.status_code == 302
    identity = Identity.objects.get(user=dana)
    assert (identity.kind, identity.value, identity.verified) == ("telegram", "dana_acme", False)
    page = client.get(f"/agent/customers/{dana.pk}").content.decode()
    assert 'data-identity="telegram:dana_acme"' in page
    removed = client.post(f"/agent/customers/{dana.pk}/identities/{identity.pk}/remove")
    assert removed.status_code == 302
    assert not Identity.objects.filter(user=dana).exists()


def test_a_bad_identity_is_shown_back_and_nothing_written(client, alice, dana, dave):
    client.force_login(alice)
    with nothing_written(dana):
        response = client.post(
            f"/agent/customers/{dana.pk}/identities", {"kind": "phone", "value": "call me"}
        )
    assert response.status_code == 400
    assert "Enter a phone number in digits." in response.content.decode()
    mine = Identity.objects.create(user=dave, kind="vk", value="dave")
    with nothing_written(mine):
        # another person's identity, through this customer's card
        response = client.post(f"/agent/customers/{dana.pk}/identities/{mine.pk}/remove")
    assert response.status_code == 404
