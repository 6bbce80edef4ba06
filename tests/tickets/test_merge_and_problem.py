from __future__ import annotations

from opora.tickets import actions
from opora.tickets.models import Event
from tests.writes import nothing_written


def test_merging_moves_messages_and_closes_the_duplicate(api, alice, dana, dave, make_ticket):
    # given two tickets about the same outage, from two colleagues
    original = make_ticket(dana, subject="Site down")
    duplicate = make_ticket(dave, subject="Website is down", body="Cannot open the site")
    # when Alice merges the duplicate into the original
    response = api(alice).post(f"/tickets/{duplicate.number}/merge", {"into": original.number})
    # then the messages moved, the duplicate is closed and points to the original
    assert response.status_code == 200, response.content
    assert response.json()["number"] == original.number
    duplicate.refresh_from_db()
    assert duplicate.status == "closed"
    assert duplicate.merged_into == original
    assert duplicate.messages.count() == 0
    assert original.messages.count() == 2
    assert dave in original.followers.all()
    assert Event.objects.get(ticket=duplicate, kind="merged_into").new == str(original.number)
    merged_from = Event.objects.get(ticket=original, kind="merged_from", actor=alice)
    assert merged_from.data == {"moved_messages": 1}
    # the duplicate shows its link in the API
    assert api(alice).get(f"/tickets/{duplicate.number}").json()["merged_into"] == original.number


def test_merge_rules(api, alice, dana, make_ticket):
    a = make_ticket(dana)
    b = make_ticket(dana)
    desk = api(alice)
    with nothing_written(a):
        assert desk.post(f"/tickets/{a.number}/merge", {"into": a.number}).status_code == 422
    desk.post(f"/tickets/{a.number}/merge", {"into": b.number})
    # a merged (closed) ticket can be merged neither again nor into
    with nothing_written(a, b):
        assert desk.post(f"/tickets/{a.number}/merge", {"into": b.number}).status_code == 422
        assert desk.post(f"/tickets/{b.number}/merge", {"into": a.number}).status_code == 422
        assert desk.post(f"/tickets/{b.number}/merge", {"into": 424242}).status_code == 404


def test_a_customer_cannot_merge(api, dana, make_ticket):
    a = make_ticket(dana)
    b = make_ticket(dana)
    customer = api(dana)
    with nothing_written(a, b):
        response = customer.post(f"/tickets/{a.number}/merge", {"into": b.number})
    assert (response.status_code, response.json()["code"]) == (403, "agents_only")


def test_an_agent_cannot_merge_into_or_link_a_ticket_of_another_team(
    api, alice, otto, dana, billing, make_ticket
):
    # given a Support ticket of Alice's and a Billing problem she may not see
    ours = make_ticket(dana)
    theirs = make_ticket(dana, team=billing, type="problem")
    desk, other_desk = api(alice), api(otto)
    # when she names the Billing ticket, or Otto names hers
    with nothing_written(ours, theirs):
        answers = [
            desk.post(f"/tickets/{ours.number}/merge", {"into": theirs.number}),
            desk.post(f"/tickets/{ours.number}/problem", {"problem": theirs.number}),
            other_desk.post(f"/tickets/{theirs.number}/merge", {"into": ours.number}),
        ]
    # then both tickets look as if the other did not exist, and neither changed
    assert [(a.status_code, a.json()["code"]) for a in answers] == [(404, "not_found")] * 3


def test_linking_incidents_to_a_problem(api, alice, dana, dave, make_ticket):
    problem = make_ticket(dana, subject="Mail server overloaded", type="problem")
    incident = make_ticket(dave, subject="Mail is slow")
    # when Alice links the ticket to the problem
    response = api(alice).post(f"/tickets/{incident.number}/problem", {"problem": problem.number})
    # then it became an incident of that problem, with events for both changes
    assert response.status_code == 200, response.content
    assert response.json()["problem"] == problem.number
    assert response.json()["type"] == "incident"
    linked = Event.objects.get(ticket=incident, kind="problem_linked")
    assert (linked.new, linked.actor) == (str(problem.number), alice)
    assert Event.objects.get(ticket=incident, kind="type_changed").new == "incident"
    # and unlinking is recorded too
    response = api(alice).delete(f"/tickets/{incident.number}/problem")
    assert response.json()["problem"] is None
    assert Event.objects.get(ticket=incident, kind="problem_unlinked").old == str(problem.number)


def test_only_problems_take_incidents(api, alice, dana, make_ticket):
    question = make_ticket(dana)
    other = make_ticket(dana)
    problem = make_ticket(dana, type="problem")
    desk = api(alice)
    with nothing_written(question, other, problem):
        not_a_problem = desk.post(f"/tickets/{other.number}/problem", {"problem": question.number})
        itself = desk.post(f"/tickets/{problem.number}/problem", {"problem": problem.number})
    assert (not_a_problem.status_code, not_a_problem.json()["code"]) == (422, "not_a_problem")
    assert not_a_problem.json()["errors"][0]["field"] == "problem"
    assert itself.status_code == 422


def test_a_customer_cannot_link_or_unlink_problems(api, alice, dana, make_ticket):
    problem = make_ticket(dana, type="problem")
    incident = make_ticket(dana)
    linked = make_ticket(dana)
    actions.link_problem(linked, problem, by=alice)
    customer = api(dana)
    with nothing_written(problem, incident, linked):
        answers = [
            customer.post(f"/tickets/{incident.number}/problem", {"problem": problem.number}),
            customer.delete(f"/tickets/{linked.number}/problem"),
        ]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [(403, "agents_only")] * 2
