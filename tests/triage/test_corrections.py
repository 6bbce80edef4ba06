"""Agents' corrections feed the next training: a ticket whose team an agent changed
after triage set it trains with the agent's team, and the next model follows it."""

from __future__ import annotations

from opora.core.tasks import run_queued_tasks
from opora.tickets import actions
from opora.triage import training
from opora.triage.actions import configure_target
from opora.triage.models import TicketSuggestion
from opora.triage.suggest import predict
from tests.triage.conftest import open_request

REQUEST = ("Zorblax console frozen", "The zorblax console is frozen again, zorblax won't load.")


def test_a_corrected_team_trains_with_the_agents_value(
    history, ada, dana, django_capture_on_commit_callbacks
):
    training.train()
    configure_target(by=ada, target="team", enabled=True, threshold=0)  # always applies
    api_errors = history["api-errors"]
    corrected = []
    for _ in range(6):
        ticket = open_request(dana, *REQUEST, django_capture_on_commit_callbacks)
        suggestion = TicketSuggestion.objects.get(ticket=ticket)
        assert suggestion.applied == ["team"] and ticket.team_id == suggestion.team_id
        corrected.append((ticket, suggestion.team_id))
    assert any(team != api_errors.pk for _, team in corrected)  # triage got it wrong
    # the agent moves each to the API team and solves it
    with django_capture_on_commit_callbacks(execute=True):
        for ticket, _ in corrected:
            actions.update_ticket(ticket, actions.TicketChanges(team=api_errors.pk), by=ada)
            actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=ada)
    run_queued_tasks()
    # the solved ticket is judged against the agent's value, and trains with it
    wrong = [t for t, team in corrected if team != api_errors.pk]
    assert TicketSuggestion.objects.get(ticket=wrong[0]).accepted["team"] is False
    rows = {row["id"]: row for row in training.corpus()}
    assert all(rows[t.pk]["team"] == api_errors.pk for t, _ in corrected)
    # the next model suggests the agent's team for the same request
    outcome = next(o for o in training.train(["team"]) if o.target == "team")
    assert outcome.model is not None and outcome.model.samples == 126
    assert predict(*REQUEST)["team"].label == str(api_errors.pk)
