"""Triage's suggestion on the agent's ticket page (team, type, priority and a tag):
shown with its confidence, applied with one click (en at desktop width, ru at 390 px)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from opora.triage.models import TicketSuggestion

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "locale,language,width,suggested,apply",
    [
        ("en-US", "en", 1440, "Suggested", "Apply"),
        ("ru-RU", "ru", 390, "Предложено", "Применить"),
    ],
)
def test_the_agent_applies_the_suggestion(
    open_session, otto, dana, billing, make_ticket, locale, language, width, suggested, apply
):
    # given a new ticket in no team that triage thinks is Billing's, an urgent incident
    otto.language = language
    otto.save(update_fields=["language"])
    ticket = make_ticket(dana, team=None, subject="Charged twice this month")
    TicketSuggestion.objects.create(
        ticket=ticket,
        team=billing,
        team_confidence=0.87,
        type="incident",
        type_confidence=0.64,
        priority=4,
        priority_confidence=0.55,
        tags=[{"name": "refund", "confidence": 0.72}],
    )
    agent = open_session(locale)
    agent.page.set_viewport_size({"width": width, "height": 900})
    agent.sign_in(otto.email)

    # when Otto (of Billing) opens it, the card shows each suggestion with its confidence
    agent.go(f"/agent/tickets/{ticket.number}")
    page = agent.page
    card = page.locator("[data-triage-suggestion]")
    expect(card.locator("h2")).to_have_text(suggested)
    expect(card.locator("[data-suggested=team]")).to_contain_text("Billing (87%)")
    expect(card.locator("[data-suggested=priority]")).to_contain_text("(55%)")
    expect(card.locator("[data-suggested-tag=refund]")).to_contain_text("#refund (72%)")
    agent.screenshot(f"agent-triage-suggestion-{language}")

    # and he applies it
    card.locator("[data-triage-apply]").click()
    panel = page.locator("[data-panel]")
    expect(panel.locator("select[name=team] option:checked")).to_have_text("Billing")
    expect(panel.locator("select[name=type]")).to_have_value("incident")
    expect(panel.locator("select[name=priority]")).to_have_value("urgent")
    expect(page.locator("[data-triage-apply]")).to_have_count(0)
    agent.screenshot(f"agent-triage-applied-{language}")
    ticket.refresh_from_db()
    assert (ticket.team_id, ticket.type, ticket.priority) == (billing.pk, "incident", 4)
    assert list(ticket.tags.values_list("name", flat=True)) == ["refund"]


@pytest.mark.parametrize(
    "locale,language,width,queued,done",
    [
        ("en-US", "en", 1440, "Queued", "Done"),
        ("ru-RU", "ru", 390, "В очереди", "Готово"),  # noqa: RUF001 - Russian on purpose
    ],
)
def test_the_admin_trains_in_the_background(
    open_session, ada, dana, locale, language, width, queued, done
):
    # given a solved history of four intents
    from bench.triage_corpus import generate, import_history

    from opora.core.tasks import run_queued_tasks

    intents = ["billing-double-charge", "login-password", "delivery-late", "api-errors"]
    import_history(generate(80, seed=5, intents=intents), admin=ada, requester=dana)
    ada.language = language
    ada.save(update_fields=["language"])
    admin = open_session(locale)
    admin.page.set_viewport_size({"width": width, "height": 900})
    admin.sign_in(ada.email)

    # when Ada presses "Train now", the run is queued and the page says so
    admin.go("/admin/triage/")
    page = admin.page
    page.locator("[data-triage-train]").click()
    run = page.locator("[data-triage-run]")
    expect(run.locator("[data-run-status]")).to_have_text(queued)
    expect(page.locator("[data-triage-train]")).to_be_disabled()
    admin.screenshot(f"console-triage-queued-{language}")

    # and once the job has run, the page (refreshing itself) shows each target's figures
    assert run_queued_tasks() >= 1
    expect(run.locator("[data-run-status]")).to_have_text(done)
    expect(run.locator("[data-run-target=team] [data-accuracy]")).to_contain_text("%")
    expect(page.locator("[data-triage-train]")).to_be_enabled()
    admin.screenshot(f"console-triage-trained-{language}")
