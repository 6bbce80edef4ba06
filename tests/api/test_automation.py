"""/api/v1/bot: who configures the answer bot, and a clear answer for a team that is not there."""

from __future__ import annotations

from opora.automation.models import BotSettings


def test_it_refuses_bot_settings_for_an_unknown_team(api, lena):
    # when
    answer = api(lena).post("/bot/settings", {"team": 999_999, "enabled": True})
    # then
    assert answer.status_code == 422
    body = answer.json()
    assert (body["code"], body["errors"][0]["field"]) == ("unknown_team", "team")
    assert not BotSettings.objects.exists()


def test_agents_who_are_not_leads_and_customers_may_not_configure_the_bot(api, alice, dana):
    # when
    by_agent = api(alice).post("/bot/settings", {"team": None, "enabled": True})
    by_customer = api(dana).post("/bot/settings", {"team": None, "enabled": True})
    # then
    assert (by_agent.status_code, by_agent.json()["code"]) == (403, "leads_only")
    assert (by_customer.status_code, by_customer.json()["code"]) == (403, "agents_only")
    assert not BotSettings.objects.exists()


def test_admins_configure_the_bot_for_requests_in_no_team(api, ada):
    # when
    saved = api(ada).post("/bot/settings", {"team": None, "enabled": True, "threshold": 0.6})
    # then
    assert saved.json() == {
        "team": None,
        "enabled": True,
        "threshold": 0.6,
        "languages": [],
        "articles": [],
        "skip_complaints": True,
        "skip_urgent": True,
        "skip_vip": True,
    }
    assert BotSettings.objects.get(team__isnull=True).enabled


def test_only_the_requester_answers_the_bot(api, dana, dave, make_ticket):
    # given: Dave sees the ticket of his colleague Dana (Acme shares tickets)
    ticket = make_ticket(dana)
    # when
    answer = api(dave).post(f"/bot/tickets/{ticket.number}/feedback", {"solved": True})
    # then
    assert (answer.status_code, answer.json()["code"]) == (403, "requester_only")


def test_a_team_lead_configures_only_her_own_teams_bot(api, lena, support, billing):
    # when
    other = api(lena).post("/bot/settings", {"team": billing.pk, "enabled": True})
    triage = api(lena).post("/bot/settings", {"team": None, "enabled": True})
    own = api(lena).post("/bot/settings", {"team": support.pk, "enabled": True})
    # then
    assert (other.status_code, other.json()["code"]) == (403, "not_your_team")
    assert (triage.status_code, triage.json()["code"]) == (403, "not_your_team")
    assert own.status_code == 200
    assert list(BotSettings.objects.values_list("team_id", flat=True)) == [support.pk]
