"""Triage: models learned from the solved tickets, suggestions on new tickets (API and
auto-apply above the admin's threshold), the minimum data rule, the command, and the
console screen's permissions."""

from __future__ import annotations

import io

import pytest
from bench.triage_corpus import generate, import_history
from django.core.management import call_command
from django.test import Client

from opora.accounts.models import Team
from opora.complaints import actions as complaints
from opora.core.models import AdminChange
from opora.core.tasks import run_queued_tasks
from opora.tickets import actions
from opora.tickets.models import Event, Priority, Ticket
from opora.triage import training
from opora.triage.actions import configure_target
from opora.triage.models import TicketSuggestion, TriageModel
from opora.triage.suggest import triage_user
from tests.conftest import PASSWORD
from tests.writes import nothing_written

FEW = ["billing-double-charge", "login-password", "delivery-late", "api-errors"]


@pytest.fixture
def history(ada, dana):
    """120 solved tickets over four intents, each intent its own team."""
    return import_history(generate(120, seed=5, intents=FEW), admin=ada, requester=dana)


@pytest.fixture
def trained(history):
    training.train()
    return history


def open_request(requester, subject, body, capture):
    with capture(execute=True):
        ticket = actions.create_ticket(
            requester=requester, subject=subject, body=body, by=requester, channel="web"
        )
    run_queued_tasks()
    ticket.refresh_from_db()
    return ticket


def test_training_on_a_generated_desk_is_accurate(ada, dana):
    # given a thousand solved tickets over a dozen intents, ru and en, without typos
    intents = sorted(
        [
            *FEW,
            *("billing-invoice", "login-2fa", "delivery-damaged", "app-crash"),
            *("feature-request", "site-down", "data-import", "users-add"),
        ]
    )
    samples = generate(1000, seed=7, typos=0.0, intents=intents)
    import_history(samples, admin=ada, requester=dana)
    # when triage trains
    outcomes = {o.target: o for o in training.train()}
    # then each target has a model far above chance (1/12 for teams)
    team = outcomes["team"].model
    assert team is not None
    print(f"team accuracy on held-out tickets: {team.accuracy:.3f}")
    assert team.samples == 1000 and len(team.classes) == 12
    assert team.accuracy > 0.8
    for target in ("type", "priority"):
        model = outcomes[target].model
        assert model is not None and model.accuracy > 0.7
    # and a second training is a new version of each
    training.train(["team"])
    assert list(TriageModel.objects.filter(target="team").values_list("version", flat=True)) == [
        1,
        2,
    ]


def test_the_minimum_data_rule(ada, dana):
    # too few tickets: no model
    import_history(generate(40, seed=1, intents=FEW), admin=ada, requester=dana)
    assert all(o.model is None for o in training.train())
    Ticket.objects.all().delete()
    # enough tickets, but one class and the other with four examples: still no model
    import_history(generate(60, seed=2, intents=["login-password"]), admin=ada, requester=dana)
    import_history(generate(4, seed=3, intents=["api-errors"]), admin=ada, requester=dana)
    assert training.train(["team"])[0].model is None
    assert not TriageModel.objects.exists()
    # a fifth example makes two classes of at least five
    import_history(generate(1, seed=4, intents=["api-errors"]), admin=ada, requester=dana)
    model = training.train(["team"])[0].model
    assert model is not None
    assert model.classes == sorted(
        str(Team.objects.get(name=n).pk) for n in ("api-errors", "login-password")
    )


def test_a_new_ticket_gets_a_suggestion_in_the_api(
    trained, dana, alice, api, django_capture_on_commit_callbacks
):
    ticket = open_request(
        dana,
        "Charged twice this month",
        "Hello, you billed me two times for the Pro plan, refund the extra charge please.",
        django_capture_on_commit_callbacks,
    )
    # the suggestion is stored but (threshold 1: never) not applied
    suggestion = TicketSuggestion.objects.get(ticket=ticket)
    assert suggestion.team == trained["billing-double-charge"]
    assert suggestion.applied == []
    assert ticket.team_id is None
    body = api(alice).get(f"/tickets/{ticket.number}").json()
    suggested = body["suggested"]
    assert suggested["team"]["name"] == "billing-double-charge"
    assert suggested["type"] == "problem"
    assert suggested["priority"] == "high"
    assert 0.3 < suggested["confidence"]["team"] <= 1
    # customers see no suggestion
    assert api(dana).get(f"/tickets/{ticket.number}").json().get("suggested") is None


def test_confident_suggestions_apply_themselves(
    trained, ada, dana, django_capture_on_commit_callbacks
):
    configure_target(by=ada, target="team", enabled=True, threshold=0.3)
    ticket = open_request(
        dana,
        "API is down",
        "The API returns 500 errors on every request since 10:00, our integration fails.",
        django_capture_on_commit_callbacks,
    )
    assert ticket.team == trained["api-errors"]
    assert TicketSuggestion.objects.get(ticket=ticket).applied == ["team"]
    # through update_ticket by the triage account: the history says who set it
    change = Event.objects.get(ticket=ticket, kind="team_changed")
    assert change.actor == triage_user()
    # type and priority stayed as they were (their threshold is still 1)
    assert ticket.type == "question" and ticket.priority == Priority.NORMAL


def test_suggestions_below_the_threshold_wait_for_an_agent(
    trained, ada, dana, django_capture_on_commit_callbacks
):
    configure_target(by=ada, target="team", enabled=True, threshold=0.999)
    configure_target(by=ada, target="priority", enabled=True, threshold=0.999)
    ticket = open_request(
        dana,
        "question",
        "hello, something about my account maybe",
        django_capture_on_commit_callbacks,
    )
    suggestion = TicketSuggestion.objects.get(ticket=ticket)
    assert suggestion.applied == [] and ticket.team_id is None
    assert not Event.objects.filter(ticket=ticket, actor=triage_user()).exists()


def test_solving_records_whether_the_suggestion_was_kept(
    trained, ada, alice, dana, django_capture_on_commit_callbacks
):
    ticket = open_request(
        dana,
        "Where is my parcel",
        "My order 12345 is late, it was due 3 days ago.",
        django_capture_on_commit_callbacks,
    )
    # the agent moves it to another team, keeps type and priority as suggested
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(
            ticket,
            actions.TicketChanges(
                team=trained["login-password"].pk, type="complaint", priority="high"
            ),
            by=ada,
        )
        # A complaint is solved with its root cause and verdict (complaints app).
        complaints.resolve(
            ticket, complaints.Resolution(root_cause="delivery", justified=True), by=ada
        )
    assert TicketSuggestion.objects.get(ticket=ticket).accepted == {
        "team": False,
        "type": True,
        "priority": True,
    }


def test_the_train_command(history):
    out = io.StringIO()
    call_command("triage", "train", "--target", "team", stdout=out)
    assert "team: v1, 120 tickets, 4 classes, held-out accuracy" in out.getvalue()


def test_the_train_command_without_data(db):
    out = io.StringIO()
    call_command("triage", "train", stdout=out)
    assert out.getvalue().count("not enough data") == 4  # team, type, priority, tags


def signed_in(user):
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_the_console_screen_is_the_admins(trained, ada, alice, lena):
    admin = signed_in(ada)
    page = admin.get("/admin/triage/")
    assert page.status_code == 200
    assert b"data-triage-model" in page.content and b"Train now" in page.content
    # agents and team leads are refused, and their posts write nothing
    for person in (alice, lena):
        client = signed_in(person)
        assert client.get("/admin/triage/").status_code == 403
        with nothing_written():
            refused = client.post("/admin/triage/", {"target": "team", "threshold": "0.5"})
            assert refused.status_code == 403
            assert client.post("/admin/triage/train").status_code == 403


def test_the_admin_sets_a_threshold_and_trains(history, ada, django_capture_on_commit_callbacks):
    admin = signed_in(ada)
    saved = admin.post("/admin/triage/", {"target": "team", "enabled": "on", "threshold": "0.8"})
    assert saved.status_code == 302
    change = AdminChange.objects.get(area="triage", action="changed")
    assert change.changes == {"threshold": [1.0, 0.8]}
    # a bad threshold is a clear 400 and changes nothing
    with nothing_written():
        assert admin.post("/admin/triage/", {"target": "team", "threshold": "7"}).status_code == 400
        assert admin.post("/admin/triage/", {"target": "x", "threshold": "0.5"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post("/admin/triage/train").status_code == 302
    run_queued_tasks()  # training is a background job
    assert TriageModel.objects.filter(target="team").exists()
    assert AdminChange.objects.filter(area="triage", action="trained").exists()


def test_the_api_of_the_set_up(history, api, ada, alice, django_capture_on_commit_callbacks):
    admin = api(ada)
    targets = [row["target"] for row in admin.get("/triage").json()]
    assert targets == ["team", "type", "priority", "tags"]
    changed = admin.client.put(
        "/api/v1/triage/team",
        '{"enabled": true, "threshold": 0.9}',
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["threshold"] == 0.9
    with django_capture_on_commit_callbacks(execute=True):
        queued = admin.post("/triage/train")
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    run_queued_tasks()  # training is a background job
    trained = admin.get("/triage").json()
    assert trained[0]["model"]["samples"] == 120 and trained[0]["model"]["version"] == 1
    # bad input is a clear 4xx; agents are refused; neither writes anything
    agent = api(alice)
    with nothing_written():
        bad = admin.client.put(
            "/api/v1/triage/team", '{"enabled": true, "threshold": 2}', "application/json"
        )
        assert bad.status_code == 422
        assert admin.client.put(
            "/api/v1/triage/colour", '{"enabled": true, "threshold": 0.5}', "application/json"
        ).status_code in (404, 422)
        assert agent.get("/triage").status_code == 403
        assert agent.post("/triage/train").status_code == 403
        refused = agent.client.put(
            "/api/v1/triage/team", '{"enabled": false, "threshold": 0.5}', "application/json"
        )
        assert refused.status_code == 403
        assert refused.json()["code"] == "admins_only"
