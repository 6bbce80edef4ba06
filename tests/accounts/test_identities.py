"""One customer across channels: finding the person behind a contact, recording identities
by hand, merging two customers into one, and the API for all three."""

from __future__ import annotations

import pytest

from opora.accounts import errors
from opora.accounts.actions import get_or_create_requester, get_or_create_requesters
from opora.accounts.identities import (
    Contact,
    add_identity,
    identities_of,
    remove_identity,
    requester_for,
)
from opora.accounts.merging import merge_customers
from opora.accounts.models import UNREACHABLE_DOMAIN, Identity, IdentityKind, User
from opora.core.errors import Forbidden, NotFound, ValidationFailed
from opora.feedback.actions import rate_ticket
from opora.feedback.models import Rating
from opora.inbox.channels import Inbound, receive
from opora.tickets import actions
from opora.tickets.models import Event, EventKind, Message, Ticket
from tests.writes import nothing_written


def _chat(value: str, **kw: object) -> Contact:
    return Contact(kind=IdentityKind.CHAT, value=value, **kw)  # type: ignore[arg-type]


# --- requester_for: who is behind a contact ---


def test_it_creates_a_channel_only_person_for_an_unknown_visitor(db):
    person = requester_for(_chat("visitor-1", name="Masha"))
    assert person.name == "Masha"
    assert person.email.endswith("@" + UNREACHABLE_DOMAIN)
    assert not person.reachable_by_email
    assert [(i.kind, i.value, i.verified) for i in identities_of(person)] == [
        ("chat", "visitor-1", True)
    ]


def test_it_reuses_the_identity_it_knows(db):
    first = requester_for(_chat("visitor-1", name="Masha"))
    again = requester_for(_chat("visitor-1", name="Someone else"))
    assert again.pk == first.pk
    assert Identity.objects.filter(kind="chat", value="visitor-1").count() == 1
    assert Identity.objects.get(kind="chat", value="visitor-1").last_seen_at is not None


def test_a_verified_email_joins_the_existing_person(dana):
    person = requester_for(_chat("visitor-2", email="DANA@acme.test", email_verified=True))
    assert person.pk == dana.pk
    assert {(i.kind, i.value) for i in identities_of(dana)} == {
        ("chat", "visitor-2"),
        ("email", "dana@acme.test"),
    }


def test_an_unverified_email_does_not_join_the_existing_person(dana):
    person = requester_for(_chat("visitor-3", name="Dana?", email="dana@acme.test"))
    assert person.pk != dana.pk
    assert not person.reachable_by_email  # the address stays Dana's
    assert not Identity.objects.filter(user=dana).exists()


def test_a_verified_phone_joins_the_person_who_has_it_verified(db):
    known = requester_for(
        Contact(kind="telegram", value="111", phone="+7 900 123-45-67", phone_verified=True)
    )
    person = requester_for(
        Contact(kind="whatsapp", value="79001234567", phone="79001234567", phone_verified=True)
    )
    assert person.pk == known.pk
    kinds = {i.kind for i in identities_of(known)}
    assert kinds == {"telegram", "whatsapp", "phone"}


def test_an_unverified_phone_does_not_join(db):
    known = requester_for(
        Contact(kind="telegram", value="111", phone="+79001234567", phone_verified=True)
    )
    person = requester_for(_chat("visitor-4", phone="+7 900 123 45 67"))
    assert person.pk != known.pk
    # the number stays with the one who proved it
    assert Identity.objects.get(kind="phone", value="+79001234567").user_id == known.pk


# --- identities by hand ---


def test_an_agent_records_a_phone_and_a_telegram_name(alice, dana):
    phone = add_identity(dana, kind="phone", value="+7 (900) 555-00-11", by=alice)
    telegram = add_identity(dana, kind="telegram", value="@DanaAcme", by=alice)
    assert (phone.value, phone.verified) == ("+79005550011", False)
    assert telegram.value == "danaacme"
    assert [(i.kind, i.value) for i in identities_of(dana)] == [
        ("email", "dana@acme.test"),
        ("phone", "+79005550011"),
        ("telegram", "danaacme"),
    ]


@pytest.mark.parametrize(
    ("kind", "value", "code"),
    [
        ("phone", "call me", errors.INVALID_IDENTITY),
        ("phone", "123", errors.INVALID_IDENTITY),
        ("telegram", "two words", errors.INVALID_IDENTITY),
        ("email", "not-an-address", errors.INVALID_EMAIL),
        ("chat", "visitor-9", errors.INVALID_CHOICE),
        ("email", "dave@acme.test", errors.IDENTITY_TAKEN),  # Dave's own address
        ("telegram", "taken", errors.IDENTITY_TAKEN),
    ],
)
def test_a_bad_or_taken_identity_is_refused_and_nothing_written(
    alice, dana, dave, kind, value, code
):
    Identity.objects.create(user=dave, kind="telegram", value="taken")
    with nothing_written(dana), pytest.raises(ValidationFailed) as refused:
        add_identity(dana, kind=kind, value=value, by=alice)
    assert refused.value.code == code


def test_a_customer_records_no_identity(dana, dave):
    with nothing_written(dave), pytest.raises(Forbidden):
        add_identity(dave, kind="phone", value="+79005550011", by=dana)


def test_an_identity_is_removed_but_not_the_accounts_own_address(alice, dana):
    phone = add_identity(dana, kind="phone", value="+79005550011", by=alice)
    own = Identity.objects.create(user=dana, kind="email", value="dana@acme.test", verified=True)
    remove_identity(phone, by=alice)
    assert not Identity.objects.filter(pk=phone.pk).exists()
    with nothing_written(own), pytest.raises(ValidationFailed) as refused:
        remove_identity(own, by=alice)
    assert refused.value.code == errors.OWN_ADDRESS


# --- merging ---


@pytest.fixture
def visitor(db) -> User:
    """Dana writing from the live chat, not recognised: a second account."""
    return requester_for(_chat("visitor-dana", name="Dana", phone="+7 900 111 22 33"))


def test_a_merge_moves_tickets_messages_identities_followers_and_ratings(
    lena, alice, dana, dave, visitor, make_ticket
):
    # given tickets of both, a reply of the visitor on Dave's ticket, a rating, a follow
    theirs = make_ticket(visitor, subject="Chat: printer")
    rated = make_ticket(visitor, subject="Chat: scanner")
    own = make_ticket(dana, subject="Mail: invoice")
    daves = make_ticket(dave, subject="Dave's ticket")
    actions.add_followers(daves, [visitor], by=alice)
    actions.add_followers(own, [visitor], by=alice)
    actions.add_message(daves, by=visitor, body="Same here.")
    actions.update_ticket(rated, actions.TicketChanges(status="solved"), by=alice)
    rate_ticket(rated, by=visitor, score=5)
    before = {
        "dana tickets": Ticket.objects.filter(requester=dana).count(),
        "visitor tickets": Ticket.objects.filter(requester=visitor).count(),
        "dana messages": Message.objects.filter(author=dana).count(),
        "visitor messages": Message.objects.filter(author=visitor).count(),
        "dana identities": Identity.objects.filter(user=dana).count(),
        "visitor identities": Identity.objects.filter(user=visitor).count(),
    }
    assert before == {
        "dana tickets": 1,
        "visitor tickets": 2,
        "dana messages": 1,
        "visitor messages": 3,
        "dana identities": 0,
        "visitor identities": 2,  # the chat id and the phone typed in the chat
    }
    tickets_total, messages_total = Ticket.objects.count(), Message.objects.count()

    # when Lena merges the visitor into Dana
    kept = merge_customers(dana, visitor, by=lena)

    # then everything of the visitor is Dana's
    assert kept.pk == dana.pk
    assert Ticket.objects.filter(requester=dana).count() == 3
    assert Ticket.objects.filter(requester=visitor).count() == 0
    assert Message.objects.filter(author=dana).count() == 4
    assert Message.objects.filter(author=visitor).count() == 0
    assert (Ticket.objects.count(), Message.objects.count()) == (tickets_total, messages_total)
    assert {(i.kind, i.value) for i in Identity.objects.filter(user=dana)} == {
        ("chat", "visitor-dana"),
        ("phone", "+79001112233"),
    }
    assert not Identity.objects.filter(user=visitor).exists()
    assert list(daves.followers.all()) == [dana]
    assert list(own.followers.all()) == []  # the requester follows no own ticket
    assert Rating.objects.get(ticket=rated).ticket.requester_id == dana.pk
    # the blanks of the kept person are filled, nothing overwritten
    kept.refresh_from_db()
    assert (kept.name, kept.phone) == ("Dana", "+7 900 111 22 33")
    # the duplicate stays as the record, deactivated, pointing at Dana
    visitor.refresh_from_db()
    assert (visitor.is_active, visitor.merged_into_id) == (False, dana.pk)
    assert visitor.merged_at is not None
    # and each moved ticket says so in its history
    merged = Event.objects.filter(kind=EventKind.REQUESTER_MERGED).order_by("ticket_id")
    assert [(e.ticket_id, e.actor_id, e.old, e.new) for e in merged] == [
        (theirs.pk, lena.pk, str(visitor.pk), str(dana.pk)),
        (rated.pk, lena.pk, str(visitor.pk), str(dana.pk)),
    ]


def test_a_later_message_to_the_old_identity_lands_on_the_kept_person(lena, dana, visitor):
    merge_customers(dana, visitor, by=lena)
    assert requester_for(_chat("visitor-dana")).pk == dana.pk
    ticket, message = receive(
        Inbound(channel="chat", contact=_chat("visitor-dana"), body="Hello again")
    )
    assert (ticket.requester_id, message.author_id) == (dana.pk, dana.pk)


def test_the_duplicates_own_address_becomes_an_identity_and_finds_the_kept_person(lena, dana, db):
    # given Dana also wrote from her private address, a second account
    private = get_or_create_requester("dana.private@mail.test", name="Dana P")
    merge_customers(dana, private, by=lena)
    identity = Identity.objects.get(kind="email", value="dana.private@mail.test")
    assert (identity.user_id, identity.verified) == (dana.pk, False)
    # then mail from that address, one by one or in a batch, is Dana's
    assert get_or_create_requester("Dana.Private@mail.test").pk == dana.pk
    found = get_or_create_requesters({"dana.private@mail.test": ("", "en")})
    assert found["dana.private@mail.test"].pk == dana.pk
    # and a verified address from a channel, too
    person = requester_for(_chat("v-9", email="dana.private@mail.test", email_verified=True))
    assert person.pk == dana.pk


def test_a_merge_of_a_merged_customer_points_at_the_last_one(lena, dana, dave, visitor):
    merge_customers(visitor, dave, by=lena)
    merge_customers(dana, visitor, by=lena)
    dave.refresh_from_db()
    assert dave.merged_into_id == dana.pk
    assert get_or_create_requester("dave@acme.test").pk == dana.pk


def test_an_admin_may_merge(ada, dana, visitor):
    merge_customers(dana, visitor, by=ada)
    visitor.refresh_from_db()
    assert visitor.merged_into_id == dana.pk


@pytest.mark.parametrize("who", ["alice", "dana_herself"])
def test_an_agent_or_a_customer_may_not_merge(alice, dana, visitor, make_ticket, who):
    make_ticket(visitor)
    by = alice if who == "alice" else dana
    with nothing_written(dana, visitor), pytest.raises(Forbidden) as refused:
        merge_customers(dana, visitor, by=by)
    assert refused.value.code == errors.LEADS_ONLY


def test_refused_merges_write_nothing(lena, alice, dana, dave, visitor, make_ticket):
    make_ticket(visitor)
    merge_customers(dana, dave, by=lena)
    dave.refresh_from_db()
    refusals = [
        (dana, dana, errors.MERGE_SELF),
        (dana, alice, errors.NOT_CUSTOMER),  # an agent
        (alice, visitor, errors.NOT_CUSTOMER),
        (visitor, dave, errors.ALREADY_MERGED),  # merged already
        (dave, visitor, errors.ALREADY_MERGED),  # into a closed account
    ]
    for keep, drop, code in refusals:
        with nothing_written(keep, drop), pytest.raises(ValidationFailed) as refused:
            merge_customers(keep, drop, by=lena)
        assert refused.value.code == code, (keep, drop)


# --- duplicates and access ---


def test_possible_duplicates_share_a_value_or_a_name_and_organization(alice, dana, dave, db):
    from opora.accounts.selectors import possible_duplicates

    # the same phone typed in a chat, Dana's address as someone's WhatsApp, a namesake
    add_identity(dana, kind="phone", value="+7 900 111 22 33", by=alice)
    typed = requester_for(_chat("v-1", name="Visitor", phone="8 (900) 111-22-33"))
    User.objects.filter(pk=typed.pk).update(phone="+79001112233")
    namesake = requester_for(_chat("v-2", name="dana"))
    stranger = requester_for(_chat("v-3", name="Someone"))
    found = possible_duplicates(alice, dana)
    assert typed in found
    assert namesake in found
    assert stranger not in found and dave not in found and dana not in found


def test_access_to_people_is_for_agents(alice, dana, dave, charlie):
    from opora.accounts.selectors import access_customer

    assert access_customer(alice, dana.pk) == dana
    for viewer, target in ((dana, dave.pk), (charlie, dana.pk), (alice, alice.pk)):
        with pytest.raises(NotFound):
            access_customer(viewer, target)
    with pytest.raises(NotFound):
        access_customer(alice, 999_999)


# --- the API ---


def test_the_api_lists_adds_and_removes_identities(api, alice, dana):
    client = api(alice)
    added = client.post(f"/users/{dana.pk}/identities", {"kind": "telegram", "value": "@dana_acme"})
    assert added.status_code == 201, added.content
    body = added.json()
    assert (body["kind"], body["value"], body["verified"]) == ("telegram", "dana_acme", False)
    listed = client.get(f"/users/{dana.pk}/identities").json()
    assert [(i["id"] is None, i["kind"], i["value"]) for i in listed] == [
        (True, "email", "dana@acme.test"),
        (False, "telegram", "dana_acme"),
    ]
    removed = client.delete(f"/users/{dana.pk}/identities/{body['id']}")
    assert removed.status_code == 204
    assert client.get(f"/users/{dana.pk}/identities").json()[1:] == []


def test_the_api_refuses_bad_identities_with_codes(api, alice, dana, dave):
    client = api(alice)
    taken = Identity.objects.create(user=dave, kind="phone", value="+79005550011")
    cases = [
        ({"kind": "phone", "value": "+7 900 555 00 11"}, 422, errors.IDENTITY_TAKEN),
        ({"kind": "phone", "value": "nope"}, 422, errors.INVALID_IDENTITY),
        ({"kind": "fax", "value": "123456"}, 422, "invalid"),
        ({"kind": "phone", "value": "+79005550012", "verified": True}, 422, "invalid"),
    ]
    for body, status, code in cases:
        with nothing_written(dana, taken):
            response = client.post(f"/users/{dana.pk}/identities", body)
        assert (response.status_code, response.json()["code"]) == (status, code), body
    with nothing_written(taken):
        other = client.delete(f"/users/{dana.pk}/identities/{taken.pk}")
    assert other.status_code == 404


def test_a_customer_gets_404_from_the_identity_api(api, dana, dave):
    Identity.objects.create(user=dave, kind="phone", value="+79005550011")
    client = api(dana)
    with nothing_written(dave):
        responses = [
            client.get(f"/users/{dave.pk}"),
            client.get(f"/users/{dave.pk}/identities"),
            client.post(f"/users/{dave.pk}/identities", {"kind": "vk", "value": "dave"}),
            client.post(f"/users/{dana.pk}/merge", {"duplicate": dave.pk}),
        ]
    assert [r.status_code for r in responses] == [404, 404, 404, 404]


def test_the_user_detail_tells_whether_mail_reaches_the_person(api, alice, dana, visitor):
    client = api(alice)
    assert client.get(f"/users/{dana.pk}").json()["reachable_by_email"] is True
    detail = client.get(f"/users/{visitor.pk}").json()
    assert (detail["reachable_by_email"], detail["merged_into"]) == (False, None)


def test_the_api_merges_for_a_team_lead_only(api, alice, lena, dana, visitor, make_ticket):
    make_ticket(visitor)
    agent = api(alice)  # signing in writes a token: before the block
    with nothing_written(dana, visitor):
        refused = agent.post(f"/users/{dana.pk}/merge", {"duplicate": visitor.pk})
    assert (refused.status_code, refused.json()["code"]) == (403, errors.LEADS_ONLY)
    lead = api(lena)
    with nothing_written(dana):
        self_merge = lead.post(f"/users/{dana.pk}/merge", {"duplicate": dana.pk})
        staff = lead.post(f"/users/{dana.pk}/merge", {"duplicate": alice.pk})
        missing = lead.post(f"/users/{dana.pk}/merge", {"duplicate": 999_999})
        unknown_field = lead.post(f"/users/{dana.pk}/merge", {"duplicate": 1, "force": True})
    assert [r.status_code for r in (self_merge, staff, missing, unknown_field)] == [
        422,
        422,
        404,
        422,
    ]
    assert (self_merge.json()["code"], staff.json()["code"]) == (
        errors.MERGE_SELF,
        errors.NOT_CUSTOMER,
    )
    merged = lead.post(f"/users/{dana.pk}/merge", {"duplicate": visitor.pk})
    assert merged.status_code == 200, merged.content
    assert merged.json()["id"] == dana.pk
    assert lead.get(f"/users/{visitor.pk}").json()["merged_into"] == dana.pk
    assert Ticket.objects.filter(requester=dana).count() == 1


def test_the_openapi_document_names_the_new_operations(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    operations = {
        paths["/api/v1/users/{user_id}"]["get"]["operationId"],
        paths["/api/v1/users/{user_id}/identities"]["get"]["operationId"],
        paths["/api/v1/users/{user_id}/identities"]["post"]["operationId"],
        paths["/api/v1/users/{user_id}/identities/{identity_id}"]["delete"]["operationId"],
        paths["/api/v1/users/{user_id}/merge"]["post"]["operationId"],
    }
    assert operations == {
        "opora_api_accounts_get_user",
        "opora_api_accounts_list_identities",
        "opora_api_accounts_add_identity",
        "opora_api_accounts_remove_identity",
        "opora_api_accounts_merge_customers",
    }
    assert "reachable_by_email" in spec["components"]["schemas"]["UserOut"]["properties"]
