"""Tags: one-vs-rest over the tags seen on at least 10 solved tickets, suggested with
their confidence (API and ticket page), applied above the admin's threshold, and
judged when the ticket is solved."""

from __future__ import annotations

from opora.tickets import actions
from opora.tickets.models import Event
from opora.triage import training
from opora.triage.actions import configure_target
from opora.triage.models import TicketSuggestion, TriageModel
from opora.triage.suggest import triage_user
from tests.triage.conftest import DOUBLE_CHARGE, open_request, signed_in


def test_tags_seen_often_enough_are_learned(history):
    outcomes = {o.target: o for o in training.train()}
    model = outcomes["tags"].model
    assert model is not None
    # "vip" is on three tickets only: not a class
    assert model.classes == ["refund", "shipping"]
    assert model.samples == 120 and 0 < model.accuracy <= 1
    assert TriageModel.objects.filter(target="tags").count() == 1


def test_no_tags_model_without_tags_seen_often(history):
    from opora.tickets.models import Ticket

    Ticket.tags.through.objects.exclude(tag__name="vip").delete()
    outcomes = {o.target: o for o in training.train()}
    assert outcomes["tags"].model is None
    assert outcomes["team"].model is not None


def test_a_new_ticket_gets_suggested_tags_in_the_api(
    history, dana, alice, api, django_capture_on_commit_callbacks
):
    training.train()
    ticket = open_request(dana, *DOUBLE_CHARGE, django_capture_on_commit_callbacks)
    suggested = api(alice).get(f"/tickets/{ticket.number}").json()["suggested"]
    names = [tag["name"] for tag in suggested["tags"]]
    assert names == ["refund"]
    assert 0.5 <= suggested["tags"][0]["confidence"] <= 1
    # the threshold is 1 (never) until an admin lowers it: suggested, not applied
    assert "tags" not in suggested["applied"]
    assert not ticket.tags.exists()


def test_confident_tags_are_added_by_triage(history, ada, dana, django_capture_on_commit_callbacks):
    training.train()
    configure_target(by=ada, target="tags", enabled=True, threshold=0.5)
    ticket = open_request(dana, *DOUBLE_CHARGE, django_capture_on_commit_callbacks)
    assert list(ticket.tags.values_list("name", flat=True)) == ["refund"]
    assert "tags" in TicketSuggestion.objects.get(ticket=ticket).applied
    assert Event.objects.filter(ticket=ticket, actor=triage_user()).exists()
    # a tag below the threshold is not added
    configure_target(by=ada, target="tags", enabled=True, threshold=1)
    other = open_request(dana, *DOUBLE_CHARGE, django_capture_on_commit_callbacks)
    assert not other.tags.exists()


def test_switched_off_tags_are_not_suggested(
    history, ada, dana, alice, api, django_capture_on_commit_callbacks
):
    training.train()
    configure_target(by=ada, target="tags", enabled=False, threshold=1)
    ticket = open_request(dana, *DOUBLE_CHARGE, django_capture_on_commit_callbacks)
    assert api(alice).get(f"/tickets/{ticket.number}").json()["suggested"]["tags"] == []


def test_the_ticket_page_shows_tags_and_apply_adds_them(
    history, dana, alice, django_capture_on_commit_callbacks
):
    training.train()
    ticket = open_request(dana, *DOUBLE_CHARGE, django_capture_on_commit_callbacks)
    actions.update_ticket(ticket, actions.TicketChanges(add_tags=["annual"]), by=alice)
    agent = signed_in(alice)
    page = agent.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert 'data-suggested-tag="refund"' in page and "#refund" in page
    assert 'name="tags" value="annual refund"' in page
    # "Apply" posts the ticket's tags with the suggested one added
    applied = agent.post(
        f"/agent/tickets/{ticket.number}/update",
        {"tags": "annual refund"},
    )
    assert applied.status_code in (200, 302)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["annual", "refund"]
    # then no tag is left to apply (the team still is)
    card = agent.get(f"/agent/tickets/{ticket.number}").content.decode()
    card = card.split("data-triage-suggestion")[1].split("</section>")[0]
    assert "data-triage-apply" in card and 'name="tags"' not in card


def test_solving_judges_the_suggested_tags(history, ada, dana, django_capture_on_commit_callbacks):
    training.train()
    kept = open_request(dana, *DOUBLE_CHARGE, django_capture_on_commit_callbacks)
    dropped = open_request(dana, *DOUBLE_CHARGE, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(kept, actions.TicketChanges(add_tags=["refund"]), by=ada)
        for ticket in (kept, dropped):
            actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=ada)
    assert TicketSuggestion.objects.get(ticket=kept).accepted["tags"] is True
    assert TicketSuggestion.objects.get(ticket=dropped).accepted["tags"] is False
