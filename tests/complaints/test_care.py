"""A complaint from arrival to its solving: recognised, acknowledged in the customer's
language with the deadline through the outbox, routed to the lead or the complaints
team, reminded, escalated, and solved only with a root cause and a verdict."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from opora.accounts.models import Organization
from opora.complaints import actions
from opora.complaints.actions import CARE_EMAIL
from opora.complaints.models import Complaint
from opora.inbox.models import Delivery
from opora.tickets import actions as tickets
from opora.tickets.models import Event, Priority, TicketStatus
from tests.conftest import PASSWORD
from tests.writes import nothing_written

ANGRY_EN = "I am not happy at all: the technician never showed up. I want to file a complaint."
ANGRY_RU = "Я крайне недоволен: мастер так и не пришёл. Буду жаловаться в Роспотребнадзор."


def put(client, path, body):
    return client.client.put("/api/v1" + path, json.dumps(body), content_type="application/json")


def acknowledgement(ticket):
    return ticket.messages.filter(author__email=CARE_EMAIL).first()


def test_a_complaint_in_english_is_recognised_acknowledged_and_given_to_the_lead(
    open_request, dana, lena
):
    ticket = open_request(dana, ANGRY_EN, language="en")
    complaint = Complaint.objects.get(ticket=ticket)
    assert ticket.type == "complaint"
    assert complaint.source == "detected"
    assert complaint.confidence >= 0.5
    assert complaint.due_at - complaint.opened_at == timedelta(days=10)
    assert ticket.assignee_id == lena.pk  # the lead of the desk (the ticket has no team)
    ack = acknowledgement(ticket)
    assert ack is not None and not ack.internal
    assert "registered your message as a complaint" in ack.body
    assert f"#{ticket.number}" in ack.body
    assert str(complaint.due_at.year) in ack.body
    assert complaint.acknowledged_at is not None
    # Through the outbox, like any reply on the ticket's channel.
    assert Delivery.objects.filter(ticket=ticket, ticket_message=ack).exists()


def test_a_complaint_in_russian_is_acknowledged_in_russian(open_request, dana, lena):
    ticket = open_request(dana, ANGRY_RU, subject="Мастер не пришёл", language="ru")
    ack = acknowledgement(ticket)
    assert "зарегистрировали ваше обращение как жалобу" in ack.body
    assert "не позднее" in ack.body
    assert Complaint.objects.get(ticket=ticket).source == "detected"


def test_the_type_chosen_by_the_customer_makes_a_complaint_whatever_the_words(
    open_request, dana, lena
):
    ticket = open_request(dana, "The box arrived open.", type="complaint")
    assert Complaint.objects.get(ticket=ticket).source == "customer"
    assert acknowledgement(ticket) is not None


def test_an_ordinary_question_gets_no_care(open_request, dana, lena):
    ticket = open_request(dana, "What is your refund policy? The app doesn't work either.")
    assert ticket.type == "question"
    assert not Complaint.objects.filter(ticket=ticket).exists()
    assert acknowledgement(ticket) is None


def test_an_agent_retyping_a_ticket_makes_it_a_complaint_and_back(
    django_capture_on_commit_callbacks, open_request, dana, alice, lena, support
):
    ticket = open_request(dana, "The box arrived open.")
    with django_capture_on_commit_callbacks(execute=True):
        tickets.update_ticket(ticket, tickets.TicketChanges(type="complaint"), by=alice)
    assert Complaint.objects.get(ticket=ticket).source == "agent"
    assert acknowledgement(ticket) is not None
    # The care's own changes say in the history what made them.
    assert Event.objects.filter(ticket=ticket, data__complaint=True, kind="assigned").exists()
    with django_capture_on_commit_callbacks(execute=True):
        tickets.update_ticket(ticket, tickets.TicketChanges(type="question"), by=lena)
    assert Complaint.objects.get(ticket=ticket).dismissed_at is not None


def test_a_configured_complaints_team_gets_them(open_request, dana, ada, billing):
    actions.configure(actions.SettingsChanges(team=billing.pk, deadline_days=5), by=ada)
    ticket = open_request(dana, ANGRY_EN)
    assert ticket.team_id == billing.pk
    complaint = Complaint.objects.get(ticket=ticket)
    assert complaint.due_at - complaint.opened_at == timedelta(days=5)


def test_solving_a_complaint_needs_a_root_cause_and_a_verdict(open_request, api, dana, lena):
    ticket = open_request(dana, ANGRY_EN)
    lead = api(lena)
    with nothing_written(ticket):
        refused = lead.patch(f"/tickets/{ticket.number}", {"status": "solved"})
    assert refused.status_code == 422
    assert refused.json()["code"] == "root_cause_required"
    with nothing_written(ticket):
        no_verdict = lead.post(
            f"/tickets/{ticket.number}/complaint/resolution", {"root_cause": "delivery"}
        )
    assert no_verdict.status_code == 422
    assert no_verdict.json()["code"] == "justified_required"
    with nothing_written(ticket):
        unknown = lead.post(
            f"/tickets/{ticket.number}/complaint/resolution",
            {"root_cause": "moon_phase", "justified": True},
        )
    assert unknown.status_code == 422
    done = lead.post(
        f"/tickets/{ticket.number}/complaint/resolution",
        {"root_cause": "delivery", "justified": True},
    )
    assert done.status_code == 200, done.json()
    assert done.json()["root_cause"] == "delivery"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED


def test_the_workspace_refuses_solving_without_a_root_cause(client, open_request, dana, lena):
    ticket = open_request(dana, ANGRY_EN)
    client.login(email=lena.email, password=PASSWORD)
    with nothing_written(ticket):
        page = client.post(
            f"/agent/tickets/{ticket.number}/update",
            {"status": "solved", "priority": "normal", "type": "complaint"},
        )
    assert page.status_code == 422
    assert "root cause" in page.content.decode()


def test_a_customer_may_still_close_their_complaint(open_request, api, dana, lena):
    ticket = open_request(dana, ANGRY_EN)
    answer = api(dana).patch(f"/tickets/{ticket.number}", {"status": "solved"})
    assert answer.status_code == 200, answer.json()


def test_a_complaint_about_an_agent_is_for_leads_and_admins_only(
    open_request, api, client, dana, alice, lena, ada
):
    ticket = open_request(dana, "Your agent Alice was rude to me on the phone.")
    tickets.update_ticket(ticket, tickets.TicketChanges(unassign=True), by=ada)
    assert api(alice).get(f"/tickets/{ticket.number}").status_code == 200  # triage: visible
    resolved = api(lena).post(
        f"/tickets/{ticket.number}/complaint/resolution",
        {
            "root_cause": "agent_behaviour",
            "justified": True,
            "about_agent": alice.pk,
            "solve": False,
        },
    )
    assert resolved.status_code == 200, resolved.json()
    assert resolved.json()["restricted"] is True
    agent = api(alice)
    assert agent.get(f"/tickets/{ticket.number}").status_code == 404
    assert agent.get(f"/tickets/{ticket.number}/complaint").status_code == 404
    with nothing_written(ticket):
        refused = agent.patch(f"/tickets/{ticket.number}", {"status": "solved"})
    assert refused.status_code == 404
    listed = agent.get("/tickets").json()
    assert ticket.number not in [t["number"] for t in listed["items"]]
    client.login(email=alice.email, password=PASSWORD)
    assert client.get(f"/agent/tickets/{ticket.number}").status_code == 404
    assert f"/agent/tickets/{ticket.number}" not in client.get("/agent/").content.decode()
    assert api(lena).get(f"/tickets/{ticket.number}").status_code == 200
    assert api(ada).get(f"/tickets/{ticket.number}/complaint").json()["about_agent"] == alice.pk


def test_an_agent_may_not_resolve_a_complaint_as_about_an_agent(
    open_request, api, dana, alice, ada
):
    ticket = open_request(dana, ANGRY_EN)
    tickets.update_ticket(ticket, tickets.TicketChanges(unassign=True), by=ada)
    agent = api(alice)
    with nothing_written(ticket):
        refused = agent.post(
            f"/tickets/{ticket.number}/complaint/resolution",
            {"root_cause": "agent_behaviour", "justified": True},
        )
    assert refused.status_code == 403


def test_the_third_complaint_in_90_days_is_escalated_and_the_lead_told(open_request, dana, lena):
    first = open_request(dana, ANGRY_EN)
    second = open_request(dana, ANGRY_EN)
    mail.outbox.clear()
    third = open_request(dana, ANGRY_EN)
    assert Complaint.objects.get(ticket=first).escalations == []
    assert Complaint.objects.get(ticket=second).escalations == []
    assert Complaint.objects.get(ticket=third).escalations == ["repeat"]
    assert third.priority == Priority.HIGH
    assert [m.to for m in mail.outbox if "escalated" in m.subject] == [[lena.email]]


def test_a_vip_organizations_complaint_is_escalated(open_request, dana, acme, lena, ada):
    dana.organization = acme
    dana.save(update_fields=["organization"])
    actions.set_vip(acme.pk, True, by=ada)
    ticket = open_request(dana, ANGRY_EN)
    assert Complaint.objects.get(ticket=ticket).escalations == ["vip"]
    assert ticket.priority == Priority.HIGH
    assert not Organization.objects.get(pk=acme.pk).vip  # kept in the complaints app


def test_reminders_go_out_once_per_configured_hour(open_request, dana, lena):
    ticket = open_request(dana, ANGRY_EN)
    complaint = Complaint.objects.get(ticket=ticket)
    mail.outbox.clear()
    assert actions.send_reminders() == 0  # ten days ahead
    with time_machine.travel(complaint.due_at - timedelta(hours=47), tick=False):
        assert actions.send_reminders() == 1
        assert actions.send_reminders() == 0
    with time_machine.travel(complaint.due_at - timedelta(hours=23), tick=False):
        assert actions.send_reminders() == 1
    assert [m.to for m in mail.outbox] == [[lena.email], [lena.email]]
    assert "Complaint due" in mail.outbox[0].subject


def test_the_complaint_api_shows_the_detectors_confidence_on_any_ticket(
    open_request, api, dana, alice, lena
):
    ordinary = open_request(dana, "How do I export invoices?")
    shown = api(lena).get(f"/tickets/{ordinary.number}/complaint").json()
    assert shown["is_complaint"] is False
    assert shown["confidence"] < 0.5
    angry = open_request(dana, ANGRY_EN)
    shown = api(lena).get(f"/tickets/{angry.number}/complaint").json()
    assert shown["is_complaint"] is True
    assert shown["confidence"] >= 0.5
    assert {"complaint", "dissatisfied"} <= {s["kind"] for s in shown["signals"]}
    assert shown["due_at"] is not None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"deadline_days": 0}, 422),
        ({"deadline_days": 7, "colour": "red"}, 422),
        ({"reminder_hours": [1, 2, 3, 4, 5, 6]}, 422),
        ({"team": 999999}, 422),
    ],
)
def test_bad_settings_are_refused_with_nothing_written(api, ada, body, code):
    admin = api(ada)
    admin.get("/complaints/settings")  # the settings row exists before the block
    with nothing_written():
        refused = put(admin, "/complaints/settings", body)
    assert refused.status_code == code


def test_settings_changes_are_audited_and_agents_refused(api, ada, alice, billing):
    from opora.core.models import AdminChange

    admin = api(ada)
    saved = put(
        admin,
        "/complaints/settings",
        {"deadline_days": 7, "reminder_hours": [24], "team": billing.pk, "repeat_threshold": 2},
    )
    assert saved.status_code == 200, saved.json()
    assert saved.json()["deadline_days"] == 7
    change = AdminChange.objects.filter(area="complaints").latest("id")
    assert change.changes["deadline_days"] == [10, 7]
    assert api(alice).get("/complaints/settings").status_code == 403
    added = admin.post(
        "/complaints/root-causes",
        {"key": "warehouse", "name_en": "Warehouse", "name_ru": "Склад"},
    )
    assert added.status_code == 201
    assert AdminChange.objects.filter(area="complaints", action="created").exists()
    renamed = admin.patch("/complaints/root-causes/warehouse", {"active": False})
    assert renamed.json()["active"] is False


def test_naming_the_agent_a_complaint_is_about_hides_it_from_agents(
    open_request, api, dana, alice, lena, ada
):
    ticket = open_request(dana, ANGRY_EN)
    tickets.update_ticket(ticket, tickets.TicketChanges(unassign=True), by=ada)
    named = api(lena).post(
        f"/tickets/{ticket.number}/complaint/about-agent", {"about_agent": alice.pk}
    )
    assert named.status_code == 200, named.json()
    assert named.json()["restricted"] is True
    assert api(alice).get(f"/tickets/{ticket.number}").status_code == 404
    bad = api(lena).post(
        f"/tickets/{ticket.number}/complaint/about-agent", {"about_agent": dana.pk}
    )
    assert bad.status_code == 422
