"""The public board and the desk's moderation: anyone reads, signed-in customers vote
once and comment (held until approved); refusals write nothing. Pages and API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from opora.accounts.models import User
from opora.ideas import actions
from opora.ideas.models import CommentState, Idea, IdeaComment
from tests.writes import nothing_written


def _client(user: User | None = None) -> Client:
    client = Client(enforce_csrf_checks=False)
    if user is not None:
        client.force_login(user)
    return client


def test_anyone_reads_the_board_and_an_idea(
    make_idea: Callable[..., Idea], dana: User, alice: User
) -> None:
    idea = make_idea("Dark mode", "For late shifts.")
    actions.vote(idea, by=dana)
    page = _client().get("/ideas/")
    assert page.status_code == 200 and "Dark mode" in page.content.decode()
    detail = _client().get(f"/ideas/{idea.pk}").content.decode()
    assert "Sign in to vote" in detail and 'data-votes="1"' in detail
    assert _client().get("/ideas/?q=dark&status=new&sort=newest").status_code == 200
    assert _client().get("/ideas/999999").status_code == 404


def test_the_board_searches_in_both_languages(make_idea: Callable[..., Idea]) -> None:
    make_idea("Тёмная тема", "")
    make_idea("Export to Excel", "")
    found = _client().get("/ideas/", {"q": "тёмный режим"}).content.decode()
    assert "Тёмная тема" in found and "Export to Excel" not in found


def test_a_customer_votes_once_and_comments_for_moderation(
    make_idea: Callable[..., Idea], dana: User, alice: User
) -> None:
    idea = make_idea("Dark mode")
    client = _client(dana)
    client.post(f"/ideas/{idea.pk}/vote")
    idea.refresh_from_db()
    assert idea.vote_count == 1
    with nothing_written(idea):
        answer = client.post(f"/ideas/{idea.pk}/vote", follow=True)
    assert "already voted" in answer.content.decode()

    client.post(f"/ideas/{idea.pk}/comments", {"body": "Please follow the system theme."})
    comment = IdeaComment.objects.get()
    assert comment.state == CommentState.PENDING
    # The author sees it held; other visitors do not see it at all.
    assert "Awaiting moderation" in client.get(f"/ideas/{idea.pk}").content.decode()
    assert "system theme" not in _client().get(f"/ideas/{idea.pk}").content.decode()

    desk = _client(alice)
    assert "system theme" in desk.get("/agent/ideas/").content.decode()  # the queue
    desk.post(f"/agent/ideas/comments/{comment.pk}/moderate", {"decision": "approve"})
    assert "system theme" in _client().get(f"/ideas/{idea.pk}").content.decode()


def test_refusals_write_nothing(make_idea: Callable[..., Idea], dana: User, alice: User) -> None:
    idea = make_idea("Dark mode")
    comment = actions.comment(idea, by=dana, body="Me too")
    visitor, customer, agent = _client(), _client(dana), _client(alice)
    with nothing_written(idea, comment):
        answer = visitor.post(f"/ideas/{idea.pk}/vote")
        assert answer.status_code == 302 and "/signin" in answer["Location"]
        visitor.post(f"/ideas/{idea.pk}/comments", {"body": "hi"})
        customer.post(f"/agent/ideas/comments/{comment.pk}/moderate", {"decision": "approve"})
        customer.post(f"/ideas/{idea.pk}/comments", {"body": "  "})
        agent.post(f"/ideas/{idea.pk}/vote")  # agents do not vote
        assert visitor.get(f"/ideas/{idea.pk}/vote").status_code == 405


def test_csrf_is_required_on_the_board(make_idea: Callable[..., Idea], dana: User) -> None:
    idea = make_idea("Dark mode")
    client = Client(enforce_csrf_checks=True)
    client.force_login(dana)
    with nothing_written(idea):
        assert client.post(f"/ideas/{idea.pk}/vote").status_code == 403


def test_votes_and_comments_are_rate_limited(
    make_idea: Callable[..., Idea], dana: User, settings: Any
) -> None:
    ideas = [make_idea(f"Idea {i}") for i in range(actions.COMMENTS_PER_MINUTE + 1)]
    for idea in ideas[:-1]:
        actions.comment(idea, by=dana, body="Yes")
    client = _client(dana)
    with nothing_written(ideas[-1]):
        answer = client.post(f"/ideas/{ideas[-1].pk}/comments", {"body": "Yes"}, follow=True)
    assert "Too many requests" in answer.content.decode()


def test_the_api_covers_the_board_and_the_desk(
    api: Callable[[User | None], Any],
    make_ticket: Callable[..., Any],
    dana: User,
    dave: User,
    alice: User,
) -> None:
    desk, customer = api(alice), api(dana)
    ticket = make_ticket(dana, subject="Please add a dark mode", body="x", type="suggestion")
    created = desk.post("/ideas", {"title": "Dark mode", "description": "Late shifts."})
    assert created.status_code == 201
    idea_id = created.json()["id"]
    similar = desk.get("/ideas/similar", {"ticket": ticket.number}).json()
    assert similar[0]["idea"]["id"] == idea_id
    merged = desk.post(f"/ideas/{idea_id}/merge", {"ticket": ticket.number}).json()
    assert merged["votes"] == 1
    assert api(dave).post(f"/ideas/{idea_id}/votes").json()["votes"] == 2
    idea = Idea.objects.get(pk=idea_id)
    with nothing_written(idea):
        again = customer.post(f"/ideas/{idea_id}/votes")
        assert (again.status_code, again.json()["code"]) == (422, "already_voted")
        assert api(None).post(f"/ideas/{idea_id}/votes").status_code == 401
        assert customer.patch(f"/ideas/{idea_id}", {"status": "done"}).status_code == 403
        assert desk.patch(f"/ideas/{idea_id}", {"status": "shipped"}).status_code == 422
    comment = customer.post(f"/ideas/{idea_id}/comments", {"body": "Thanks!"}).json()
    assert comment["state"] == "pending"
    assert api(None).get(f"/ideas/{idea_id}/comments").json() == []
    with nothing_written(idea):
        refused = customer.post(
            f"/ideas/comments/{comment['id']}/moderate", {"decision": "approve"}
        )
        assert refused.status_code == 403
    desk.post(f"/ideas/comments/{comment['id']}/moderate", {"decision": "approve"})
    official = desk.post(f"/ideas/{idea_id}/comments", {"body": "Planned for May."}).json()
    assert official["official"] and official["state"] == "approved"
    assert len(api(None).get(f"/ideas/{idea_id}/comments").json()) == 2
    assert desk.patch(f"/ideas/{idea_id}", {"status": "planned"}).json()["status"] == "planned"
    assert api(None).get("/ideas", {"status": "planned"}).json()[0]["votes"] == 2
    csv_answer = desk.get("/ideas/export.csv")
    assert csv_answer["Content-Type"].startswith("text/csv")
    schema = api(None).get("/openapi.json").json()
    assert "/api/v1/ideas/{idea_id}/votes" in schema["paths"]
