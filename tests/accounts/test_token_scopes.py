"""Token scopes: a `read` token only reads, a `tickets` token works on tickets but changes
no settings or directories, an `admin` token does what the user's role allows and no
more. Refusals answer 403 `token_scope` and write nothing; sessions are not limited."""

from __future__ import annotations

from typing import Any

from opora.accounts import tokens
from opora.accounts.models import ApiToken, Team, User
from opora.api.common import BearerToken
from opora.api.main import api as opora_api
from opora.automation.bot import configure_bot
from tests.conftest import Api
from tests.writes import nothing_written


def scoped(user: User, *scopes: str) -> Api:
    """An API client of `user` with a token of these scopes."""
    client = Api(None)
    _, raw = tokens.issue_token(user, name="script", scopes=scopes)
    client.client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def _code(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def test_a_read_token_reads_tickets_but_cannot_reply(make_ticket, dana, alice):
    # given a ticket and Alice's read-only token
    ticket = make_ticket(dana)
    reader = scoped(alice, "read")
    token = ApiToken.objects.get(user=alice)
    # when the script reads the queue, the ticket and its messages
    listed = reader.get("/tickets")
    opened = reader.get(f"/tickets/{ticket.number}")
    thread = reader.get(f"/tickets/{ticket.number}/messages")
    # then it sees them
    assert [listed.status_code, opened.status_code, thread.status_code] == [200, 200, 200]
    assert opened.json()["number"] == ticket.number
    # when it tries to reply, change the ticket or log time
    with nothing_written(ticket, token):
        reply = reader.post(f"/tickets/{ticket.number}/messages", {"body": "Restart it."})
        change = reader.patch(f"/tickets/{ticket.number}", {"priority": "high"})
        time = reader.post(f"/tickets/{ticket.number}/time", {"minutes": 5})
    # then each is refused for the token's scope, with a message in the standard shape
    assert [_code(r) for r in (reply, change, time)] == [(403, "token_scope")] * 3
    body = reply.json()
    assert "tickets" in body["detail"]
    assert body["errors"] == [{"field": None, "code": "token_scope", "message": body["detail"]}]


def test_the_refusal_is_translated(make_ticket, dana, alice):
    ticket = make_ticket(dana)
    reader = scoped(alice, "read")
    response = reader.client.post(
        f"/api/v1/tickets/{ticket.number}/messages",
        '{"body": "x"}',
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 403
    assert "Область действия токена" in response.json()["detail"]


def test_a_tickets_token_replies_but_changes_no_settings_or_directories(
    make_ticket, dana, ada, support
):
    # given a ticket, and a tickets token of Ada, an administrator
    ticket = make_ticket(dana)
    worker = scoped(ada, "tickets")
    # when the integration replies, logs time and reads the ticket
    reply = worker.post(f"/tickets/{ticket.number}/messages", {"body": "Restart it."})
    time = worker.post(f"/tickets/{ticket.number}/time", {"minutes": 5})
    # then it may: that is ticket work
    assert (reply.status_code, time.status_code) == (201, 201)
    assert worker.get(f"/tickets/{ticket.number}").status_code == 200
    # when it tries what only administration is, though Ada's role allows all of it
    bot = configure_bot(team_id=support.pk, enabled=False, threshold=0.5)
    with nothing_written(bot, support):
        answers = [
            worker.post("/users", {"email": "new@desk.test", "role": "agent"}),
            worker.post("/teams", {"name": "Night shift"}),
            worker.post("/organizations", {"name": "Globex"}),
            worker.post("/bot/settings", {"team": support.pk, "enabled": True}),
            worker.client.put(
                "/api/v1/security/two-factor-policy",
                '{"agents_required": true, "admins_required": true}',
                content_type="application/json",
            ),
            worker.post("/mailboxes", {"address": "help@desk.test"}),
        ]
    # then every one is refused for the token's scope
    assert [_code(a) for a in answers] == [(403, "token_scope")] * len(answers)
    assert not User.objects.filter(email="new@desk.test").exists()


def test_an_admin_token_never_widens_the_role(alice, dana):
    # given admin-scoped tokens of an agent and of a customer
    agent, customer = scoped(alice, "admin"), scoped(dana, "admin")
    # when they try what only administrators (or agents) may
    with nothing_written():
        user = agent.post("/users", {"email": "new@desk.test", "role": "agent"})
        team = agent.post("/teams", {"name": "Night shift"})
        policy = agent.get("/security/two-factor-policy")
        directory = customer.get("/users")
    # then the role answers, not the scope
    assert _code(user) == (403, "admins_only")
    assert _code(team) == (403, "admins_only")
    assert _code(policy) == (403, "admins_only")
    assert _code(directory) == (403, "agents_only")


def test_an_admin_token_does_what_the_admin_may(ada):
    admin = scoped(ada, "admin")
    created = admin.post("/teams", {"name": "Night shift"})
    assert created.status_code == 201
    assert Team.objects.filter(name="Night shift").exists()


def test_a_customer_token_for_tickets_files_and_answers_own_requests(make_ticket, dana):
    ticket = make_ticket(dana)
    customer = scoped(dana, "tickets")
    answer = customer.post(f"/tickets/{ticket.number}/messages", {"body": "Still broken."})
    assert answer.status_code == 201
    # and a read token of the same customer cannot
    reader = scoped(dana, "read")
    with nothing_written(ticket):
        refused = reader.post(f"/tickets/{ticket.number}/messages", {"body": "x"})
    assert _code(refused) == (403, "token_scope")


def test_sessions_are_not_limited_by_scopes(client, make_ticket, dana, alice):
    ticket = make_ticket(dana)
    client.force_login(alice)
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/messages",
        '{"body": "From the browser."}',
        content_type="application/json",
    )
    assert response.status_code == 201


def test_any_token_may_revoke_itself(alice):
    reader = scoped(alice, "read")
    assert reader.delete("/auth/token").status_code == 204
    assert _code(reader.get("/me")) == (401, "unauthorized")


def test_a_refused_request_does_not_count_as_a_use_of_the_token(make_ticket, dana, alice):
    ticket = make_ticket(dana)
    reader = scoped(alice, "read")
    token = ApiToken.objects.get(user=alice)
    with nothing_written(token):
        reader.post(f"/tickets/{ticket.number}/messages", {"body": "x"})
    token.refresh_from_db()
    assert token.last_used_at is None


def test_every_operation_with_credentials_documents_and_checks_its_scope():
    schema = opora_api.get_openapi_schema()
    scopes = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if operation.get("security"):
                scopes[method.upper(), path] = operation["x-opora-scope"]
                assert f"Token scope: `{operation['x-opora-scope']}`" in operation["description"]
                if operation["x-opora-scope"] != "read":
                    answers = {str(status) for status in operation["responses"]}
                    assert "403" in answers, (method, path)
            else:
                assert "x-opora-scope" not in operation
    # reads need read; writes what their family needs, with explicit exceptions
    assert all(scope == "read" for (method, _), scope in scopes.items() if method == "GET")
    assert scopes["POST", "/api/v1/tickets/{number}/messages"] == "tickets"
    assert scopes["PATCH", "/api/v1/tickets/{number}"] == "tickets"
    assert scopes["POST", "/api/v1/tickets/{number}/time"] == "tickets"
    assert scopes["POST", "/api/v1/tickets/{number}/rating"] == "tickets"
    assert scopes["POST", "/api/v1/bot/tickets/{number}/feedback"] == "tickets"
    assert scopes["POST", "/api/v1/chat/sessions/{session_id}/messages"] == "tickets"
    assert scopes["POST", "/api/v1/users"] == "admin"
    assert scopes["POST", "/api/v1/teams"] == "admin"
    assert scopes["POST", "/api/v1/bot/settings"] == "admin"
    assert scopes["POST", "/api/v1/chat/widgets"] == "admin"
    assert scopes["PUT", "/api/v1/security/two-factor-policy"] == "admin"
    assert scopes["POST", "/api/v1/me/tokens"] == "admin"
    assert scopes["DELETE", "/api/v1/auth/token"] == "read"
    # and the check each operation runs is the scope it documents
    for bound in opora_api._get_bound_routers():
        for view in bound.path_operations.values():
            for operation in view.operations:
                checks = [c for c in operation.auth_callbacks if isinstance(c, BearerToken)]
                documented = (operation.openapi_extra or {}).get("x-opora-scope")
                assert [c.needs for c in checks] == ([documented] if documented else [])
