"""Writes the API refuses leave nothing behind: every write without credentials, the answer
bot's settings for anyone but leads and admins, its question for anyone but the requester."""

from __future__ import annotations

from django.test import Client

from opora.api.main import api as opora_api
from opora.automation.bot import configure_bot
from opora.automation.models import BotConversation
from opora.inbox.email.models import Mailbox
from opora.kb.actions import create_article
from tests.writes import nothing_written

# Writes open to callers without credentials, each on purpose, with their answer to an
# empty body.
PUBLIC_WRITES = {
    ("POST", "/api/v1/auth/token"): (422, "invalid"),  # signing in
    ("POST", "/api/v1/sla/dev-callback"): (403, "bad_signature"),  # signed with a secret
    ("POST", "/api/v1/kb/articles/{article_id}/vote"): (422, "invalid"),  # help center
    ("POST", "/api/v1/kb/deflections"): (422, "invalid"),  # help center
    ("POST", "/api/v1/status/subscribers"): (422, "invalid"),  # the public status page
    # Doors for other monitoring: closed (404) while their shared secret is unset,
    # and a heartbeat's token that names no monitor is not found either.
    ("POST", "/api/v1/monitoring/alertmanager"): (404, "not_found"),
    ("POST", "/api/v1/monitoring/webhook"): (404, "not_found"),
    ("POST", "/api/v1/monitoring/push/{token}"): (404, "not_found"),
}


class _AnyId(dict[str, object]):
    """Path values: the named ones, and 1 for any other id a new endpoint brings."""

    def __missing__(self, key: str) -> object:
        return 1


def _writes() -> list[tuple[str, str]]:
    paths = opora_api.get_openapi_schema()["paths"]
    return sorted(
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
    )


def test_a_write_without_credentials_writes_nothing(make_ticket, dana, alice):
    # given one object of each kind a write may name
    ticket = make_ticket(dana)
    article = create_article(by=alice, title="Printer", body="Restart it.", status="published")
    mailbox = Mailbox.objects.create(address="help@desk.test")
    visitor = Client()
    writes = _writes()
    answers = {}
    for method, path in writes:
        # Every other id in a path: refused before anything is looked up.
        url = path.format_map(
            _AnyId(
                number=ticket.number,
                article_id=article.pk,
                mailbox_id=mailbox.pk,
                user_id=dana.pk,
                rule="jargon",  # reply coach: a rule's key
                target="team",  # triage
            )
        )
        # when a caller without a token or a session sends it
        with nothing_written(ticket, article, mailbox):
            response = visitor.generic(method, url, "{}", content_type="application/json")
        answers[method, path] = (response.status_code, response.json()["code"])
    # then it is asked to sign in; the public ones refuse the empty body
    assert answers == dict.fromkeys(writes, (401, "unauthorized")) | PUBLIC_WRITES


def test_only_team_leads_and_admins_configure_the_bot(api, alice, lena, dana, support):
    # given the bot off for Support
    current = configure_bot(team_id=support.pk, enabled=False, threshold=0.5)
    body = {"team": support.pk, "enabled": True, "threshold": 0.9}
    agent, customer, anonymous, lead = api(alice), api(dana), api(None), api(lena)
    # when an agent, a customer and an anonymous caller turn it on
    with nothing_written(current):
        answers = [client.post("/bot/settings", body) for client in (agent, customer, anonymous)]
    # then each is refused and the bot stays off
    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (403, "leads_only"),
        (403, "agents_only"),
        (401, "unauthorized"),
    ]
    # while the lead may
    assert lead.post("/bot/settings", body).json() == {
        **body,
        "languages": [],
        "articles": [],
        "skip_complaints": True,
        "skip_urgent": True,
        "skip_vip": True,
    }
    current.refresh_from_db()
    assert (current.enabled, current.threshold) == (True, 0.9)


def test_only_the_requester_answers_the_bots_question(api, alice, dana, dave, charlie, make_ticket):
    # given the bot waiting for Dana's answer on her shared request
    ticket = make_ticket(dana)
    conversation = BotConversation.objects.create(ticket=ticket, state="awaiting")
    colleague, agent, outsider, requester = api(dave), api(alice), api(charlie), api(dana)
    # when her colleague, an agent and an outsider answer "solved"
    with nothing_written(ticket, conversation):
        answers = [
            client.post(f"/bot/tickets/{ticket.number}/feedback", {"solved": True})
            for client in (colleague, agent, outsider)
        ]
    # then the request stays open and the bot keeps waiting for Dana
    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (403, "requester_only"),
        (403, "requester_only"),
        (404, "not_found"),
    ]
    answer = requester.post(f"/bot/tickets/{ticket.number}/feedback", {"solved": True})
    assert answer.status_code == 204
    conversation.refresh_from_db()
    assert conversation.state == "solved"
