"""People managed by administrators through the API: agents edited, deactivated and
reactivated, invitations, customers blocked, organizations and teams changed or
deleted; everyone else is refused and nothing is written."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail as djmail
from django.test import Client
from django.utils import timezone

from opora.accounts import invitations
from opora.accounts import people as people_actions
from opora.accounts.models import ApiToken, Invitation, SignInSession, User
from opora.core.models import AdminChange
from opora.inbox.email.models import RawMessage
from opora.inbox.email.pipeline import receive_and_process
from opora.tickets import actions as ticket_actions
from opora.tickets.models import Ticket
from tests.conftest import PASSWORD
from tests.inbox.conftest import build_mail
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db


def _changes(action: str) -> list[AdminChange]:
    return list(AdminChange.objects.filter(area="people", action=action))


# --- permissions ---


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/users/{alice}", {"name": "Mallory"}),
        ("post", "/users/{alice}/deactivate", {}),
        ("post", "/users/{alice}/reactivate", None),
        ("post", "/users/{dana}/block", None),
        ("post", "/users/{dana}/unblock", None),
        ("post", "/invitations", {"email": "new@desk.test"}),
        ("get", "/invitations", None),
        ("patch", "/organizations/{acme}", {"vip": True}),
        ("delete", "/organizations/{acme}", None),
        ("patch", "/teams/{support}", {"name": "Ours"}),
        ("delete", "/teams/{support}", None),
    ],
)
@pytest.mark.parametrize("who", ["lena", "alice", "dana"])
def test_only_admins_manage_people(
    api, request, alice, dana, acme, support, who, method, path, body
):
    caller = api(request.getfixturevalue(who))  # the token is written before the block
    url = path.format(alice=alice.pk, dana=dana.pk, acme=acme.pk, support=support.pk)
    with nothing_written(alice, dana, acme, support):
        if method == "get":
            response = caller.get(url)
        elif method == "delete":
            response = caller.delete(url)
        else:
            response = getattr(caller, method)(url, body)
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "admins_only"


# --- agents ---


def test_an_admin_edits_an_agent_with_cost_skills_languages_and_teams(api, ada, alice, billing):
    response = api(ada).patch(
        f"/users/{alice.pk}",
        {
            "name": "Alice Liddell",
            "support_line": 2,
            "is_team_lead": True,
            "teams": [billing.pk],
            "skills": ["Billing", " SQL ", "billing"],
            "languages": ["ru", "en"],
            "cost_per_hour": "1250.50",
            "time_zone": "Europe/Moscow",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["skills"] == ["billing", "sql"]
    assert body["languages"] == ["ru", "en"]
    assert body["cost_per_hour"] == "1250.50"
    assert [t["name"] for t in body["teams"]] == ["Billing"]
    alice.refresh_from_db()
    assert alice.support_line == 2 and alice.time_zone == "Europe/Moscow"
    [change] = _changes("changed")
    assert change.changes["cost_per_hour"] == ["0.00", "1250.50"]
    assert change.changes["teams"] == [[], [billing.pk]]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"time_zone": "Mars/Olympus"}, "invalid_time_zone"),
        ({"phone": "+7 900"}, "invalid_choice"),  # a customer's field
        ({"teams": [999_999]}, "invalid_choice"),
        ({"email": "bob@desk.test"}, "email_taken"),
    ],
)
def test_bad_agent_changes_are_refused(api, ada, alice, bob, body, code):
    admin = api(ada)
    with nothing_written(alice):
        response = admin.patch(f"/users/{alice.pk}", body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code


def test_the_last_admin_cannot_be_demoted_or_deactivated(api, ada, alice):
    client = api(ada)
    with nothing_written(ada):
        demoted = client.patch(f"/users/{ada.pk}", {"role": "agent"})
        gone = client.post(f"/users/{ada.pk}/deactivate", {})
    assert demoted.status_code == 422 and demoted.json()["code"] == "own_account"
    assert gone.status_code == 422 and gone.json()["code"] == "own_account"
    # with a second admin, the first may be demoted by the second — not the other way
    # round once the second is the only one left
    client.patch(f"/users/{alice.pk}", {"role": "admin"})
    assert api(alice).patch(f"/users/{ada.pk}", {"role": "agent"}).status_code == 200
    ada.refresh_from_db()
    assert ada.role == "agent"


def test_the_last_active_admin_is_kept_even_by_another_admin(ada, alice):
    from opora.core.errors import ValidationFailed

    # Alice becomes admin, Ada is deactivated by her; then Alice alone is the last one.
    people_actions.update_agent(alice, people_actions.AgentDetails(role="admin"), by=ada)
    alice.refresh_from_db()
    people_actions.deactivate_agent(ada, by=alice)
    other = User.objects.create_user("root@desk.test", role="admin", is_active=False)
    with pytest.raises(ValidationFailed) as refused:
        # an inactive admin cannot act, but the rule holds for the row itself
        people_actions._guard_admins(alice, by=other, demoted=True, deactivated=False)
    assert refused.value.code == "last_admin"


def test_deactivation_reassigns_open_tickets_and_revokes_sessions_and_tokens(
    api, ada, alice, bob, dana, make_ticket
):
    open_one = make_ticket(dana)
    solved = make_ticket(dana, subject="Done already")
    for ticket in (open_one, solved):
        ticket_actions.update_ticket(
            ticket, ticket_actions.TicketChanges(assignee=alice.pk), by=ada
        )
    ticket_actions.update_ticket(solved, ticket_actions.TicketChanges(status="solved"), by=alice)
    alices_api = api(alice)
    browser = Client()
    assert browser.login(email=alice.email, password=PASSWORD)
    SignInSession.objects.create(user=alice, session_key_hash="x" * 64)

    response = api(ada).post(f"/users/{alice.pk}/deactivate", {"reassign_to": bob.pk})

    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    assert Ticket.objects.get(pk=open_one.pk).assignee == bob
    assert Ticket.objects.get(pk=solved.pk).assignee == alice  # done work stays hers
    assert not ApiToken.objects.filter(user=alice, revoked_at__isnull=True).exists()
    assert not SignInSession.objects.filter(user=alice).exists()
    assert alices_api.get("/me").status_code == 401
    assert _changes("deactivated")[0].changes["reassign_to"] == [None, bob.pk]
    # and back
    back = api(ada).post(f"/users/{alice.pk}/reactivate")
    assert back.status_code == 200 and back.json()["is_active"] is True


def test_deactivation_without_a_target_returns_tickets_to_the_team_queue(
    api, ada, alice, dana, support, make_ticket
):
    ticket = make_ticket(dana)
    ticket_actions.update_ticket(ticket, ticket_actions.TicketChanges(assignee=alice.pk), by=ada)
    assert api(ada).post(f"/users/{alice.pk}/deactivate", {}).status_code == 200
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.team == support


def test_a_target_outside_the_team_refuses_the_whole_deactivation(
    api, ada, alice, otto, billing, dana, make_ticket
):
    ticket = make_ticket(dana)
    ticket_actions.update_ticket(ticket, ticket_actions.TicketChanges(assignee=alice.pk), by=ada)
    response = api(ada).post(f"/users/{alice.pk}/deactivate", {"reassign_to": otto.pk})
    assert response.status_code == 422, response.content
    alice.refresh_from_db()
    ticket.refresh_from_db()
    assert alice.is_active and ticket.assignee == alice


# --- invitations ---


def _link(message: djmail.EmailMessage) -> str:
    found = re.search(r"/invite/([\w-]+)", str(message.body))
    assert found is not None, message.body
    return found.group(1)


def test_invite_accept_and_the_link_is_spent(
    api, ada, support, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(ada).post(
            "/invitations",
            {"email": "Nina@Desk.test", "name": "Nina", "support_line": 2, "teams": [support.pk]},
        )
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "pending"
    [message] = djmail.outbox
    assert message.to == ["nina@desk.test"]
    token = _link(message)
    assert [i["email"] for i in api(ada).get("/invitations").json()] == ["nina@desk.test"]

    page = client.get(f"/invite/{token}")
    assert page.status_code == 200 and b"data-accept-form" in page.content
    done = client.post(
        f"/invite/{token}", {"password1": "n3w-passw0rd!", "password2": "n3w-passw0rd!"}
    )
    assert done.status_code == 302
    nina = User.objects.get(email="nina@desk.test")
    assert nina.role == "agent" and nina.support_line == 2
    assert list(nina.teams.all()) == [support]
    assert nina.check_password("n3w-passw0rd!")
    assert client.get("/agent/").status_code == 200  # signed in
    # the link is spent: a clear page, no second account
    again = Client().get(f"/invite/{token}")
    assert again.status_code == 410 and b"data-invitation-used" in again.content
    assert api(ada).get("/invitations").json() == []


def test_an_expired_or_revoked_link_answers_a_clear_page(api, ada, client):
    invitation = invitations.invite(email="old@desk.test", by=ada)
    raw = invitations._new_token(invitation)
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    page = client.get(f"/invite/{raw}")
    assert page.status_code == 410 and b"data-invitation-expired" in page.content
    with nothing_written(invitation):
        refused = client.post(
            f"/invite/{raw}", {"password1": "n3w-passw0rd!", "password2": "n3w-passw0rd!"}
        )
    assert refused.status_code == 410
    assert not User.objects.filter(email="old@desk.test").exists()
    # sent again: a new link that works; then revoked: it does not
    resent = api(ada).post(f"/invitations/{invitation.pk}/resend")
    assert resent.status_code == 200 and resent.json()["state"] == "pending"
    assert api(ada).delete(f"/invitations/{invitation.pk}").status_code == 204
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is not None
    assert client.get("/invite/not-a-token").status_code == 404


def test_inviting_an_existing_or_pending_address_is_refused(api, ada, alice):
    client = api(ada)
    assert client.post("/invitations", {"email": alice.email}).json()["code"] == "email_taken"
    assert client.post("/invitations", {"email": "x@desk.test"}).status_code == 201
    again = client.post("/invitations", {"email": "x@desk.test"})
    assert again.status_code == 422 and again.json()["code"] == "invitation_pending"


# --- customers ---


def test_an_admin_edits_a_customer(api, ada, dana, acme):
    response = api(ada).patch(
        f"/users/{dana.pk}",
        {
            "name": "Dana S.",
            "phone": "+7 900 123-45-67",
            "language": "ru",
            "organization": None,
            "notify_by_email": False,
        },
    )
    assert response.status_code == 200, response.content
    dana.refresh_from_db()
    assert dana.organization is None and dana.language == "ru" and not dana.notify_by_email
    assert _changes("changed")[0].changes["organization"] == [acme.pk, None]
    wrong = api(ada).patch(f"/users/{dana.pk}", {"cost_per_hour": "10"})
    assert wrong.status_code == 422


def test_a_blocked_customers_mail_is_kept_but_opens_no_ticket_and_gets_no_answer(
    api, ada, dana, client, django_capture_on_commit_callbacks
):
    assert api(ada).post(f"/users/{dana.pk}/block").json()["blocked"] is True
    with django_capture_on_commit_callbacks(execute=True):
        raw = receive_and_process(build_mail(), source="file")
    raw = RawMessage.objects.get(pk=raw.pk)
    assert raw.state == "ignored" and raw.error == "blocked sender"
    assert bytes(raw.raw)  # kept
    assert not Ticket.objects.exists()
    assert djmail.outbox == []
    # the portal refuses her sign-in; a portal request is refused too
    assert not client.login(email=dana.email, password=PASSWORD)
    assert api(dana).post("/tickets", {"subject": "Hi", "body": "Hello"}).status_code in (401, 403)
    # unblocked, she writes again and a ticket opens
    assert api(ada).post(f"/users/{dana.pk}/unblock").json()["blocked"] is False
    receive_and_process(build_mail(message_id="<again@acme.test>"), source="file")
    assert Ticket.objects.filter(requester=dana).count() == 1
    assert [c.action for c in AdminChange.objects.filter(area="people").order_by("pk")][-2:] == [
        "blocked",
        "unblocked",
    ]


def test_merging_a_duplicate_customer(api, ada, dana, charlie, make_ticket):
    ticket = make_ticket(charlie)
    response = api(ada).post(f"/users/{dana.pk}/merge", {"duplicate": charlie.pk})
    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert ticket.requester == dana
    charlie.refresh_from_db()
    assert charlie.merged_into == dana and not charlie.is_active


# --- organizations and teams ---


def test_organizations_are_edited_and_deleted_only_when_empty(api, ada, acme, dana, charlie):
    client = api(ada)
    edited = client.patch(
        f"/organizations/{acme.pk}",
        {
            "name": "Acme Corp",
            "domains": ["acme.test", "outside.test"],
            "vip": True,
            "notes": "Key account",
        },
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["vip"] is True
    charlie.refresh_from_db()
    assert charlie.organization == acme  # joined by the new domain
    with nothing_written(acme):
        refused = client.delete(f"/organizations/{acme.pk}")
    assert refused.status_code == 422 and refused.json()["code"] == "not_empty"
    empty = client.post("/organizations", {"name": "Empty"}).json()
    assert client.delete(f"/organizations/{empty['id']}").status_code == 204
    assert _changes("deleted")[0].target_label == "Empty"
    taken = client.post("/organizations", {"name": "Other", "domains": []}).json()
    clash = client.patch(f"/organizations/{taken['id']}", {"domains": ["acme.test"]})
    assert clash.status_code == 422 and clash.json()["code"] == "domain_taken"


def test_teams_are_edited_and_deleted_only_without_tickets(
    api, ada, support, billing, otto, alice, dana, make_ticket
):
    client = api(ada)
    edited = client.patch(
        f"/teams/{billing.pk}",
        {"name": "Billing & money", "email": "money@desk.test", "members": [otto.pk, alice.pk]},
    )
    assert edited.status_code == 200, edited.content
    assert {m["email"] for m in edited.json()["members"]} == {otto.email, alice.email}
    make_ticket(dana, team=support)
    with nothing_written(support):
        refused = client.delete(f"/teams/{support.pk}")
    assert refused.status_code == 422 and refused.json()["code"] == "has_tickets"
    assert client.delete(f"/teams/{billing.pk}").status_code == 204
    assert client.patch(f"/teams/{support.pk}", {"members": [dana.pk]}).status_code == 422


def test_an_agent_added_in_the_console_is_invited_to_set_a_password(api, ada, client):

    gina = people_actions.create_agent(
        email="gina@desk.test",
        by=ada,
        details=people_actions.AgentDetails(name="Gina", support_line=2),
    )
    assert not gina.has_usable_password()
    invitation = invitations.invite(email=gina.email, by=ada)
    raw = invitations._new_token(invitation)
    invitation.save()
    done = client.post(
        f"/invite/{raw}", {"password1": "n3w-passw0rd!", "password2": "n3w-passw0rd!"}
    )
    assert done.status_code == 302
    gina.refresh_from_db()
    assert gina.check_password("n3w-passw0rd!") and gina.support_line == 2
    assert User.objects.filter(email="gina@desk.test").count() == 1
