"""An incident's page in a real browser: a team lead sees the customer tickets that
look like the outage, links them in one go, posts a public update (it shows on the
status page), answers every linked customer at once and resolves the incident; each
customer gets the answer and the notice in their language. English and Russian, on a
desktop and at 390 px."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from opora.accounts.models import Team, User
from opora.core.tasks import run_queued_tasks
from opora.monitoring import actions
from opora.monitoring.models import Incident, Monitor, Source
from opora.tickets.actions import create_ticket
from opora.tickets.models import Ticket

pytestmark = pytest.mark.e2e


def _outage(lena: User, support: Team) -> Incident:
    monitor = Monitor.objects.create(
        name="Shop",
        kind="http",
        target="https://shop.example.test/",
        team=support,
        public=True,
        public_name="Online shop",
        state="down",
    )
    problem = create_ticket(
        requester=actions.monitoring_user(),
        by=actions.monitoring_user(),
        subject="Shop is down",
        body="Down.",
        type="problem",
        team=support,
    )
    now = timezone.now()
    return Incident.objects.create(
        key=actions.monitor_key(monitor.pk),
        source=Source.MONITOR,
        monitor=monitor,
        team=support,
        title="Shop is down",
        ticket=problem,
        keywords="магазин",
        started_at=now - timedelta(minutes=10),
        detected_at=now - timedelta(minutes=9),
    )


@pytest.mark.parametrize("locale", ["en-US", "ru-RU"])
def test_a_lead_links_answers_and_resolves_from_the_incident_page(
    open_session: Any,
    lena: User,
    support: Team,
    dana: User,
    charlie: User,
    make_ticket: Callable[..., Ticket],
    locale: str,
) -> None:
    lang = locale[:2]
    User.objects.filter(pk=lena.pk).update(language=lang)  # the console speaks hers
    incident = _outage(lena, support)
    english = make_ticket(dana, subject="Shop does not open", language="en")
    russian = make_ticket(charlie, subject="Магазин не работает", language="ru")
    session = open_session(locale)
    session.sign_in(lena.email)
    page = session.page
    session.go(f"/admin/monitoring/incidents/{incident.pk}/")
    expect(page.locator("[data-suggestion]")).to_have_count(2)
    heading = {"en": "Customer tickets that look like this incident", "ru": "Заявки клиентов"}
    expect(page.locator("[data-suggestions] h2")).to_contain_text(heading[lang])
    session.screenshot(f"incident-page-suggestions-{lang}")
    page.locator("[data-link-selected]").click()
    expect(page.locator("[data-linked-ticket]")).to_have_count(2)

    form = page.locator("[data-update-form]")
    form.locator("select[name=status]").select_option("identified")
    form.locator("textarea[name=body]").fill(
        "The payment provider is down; we switched to the spare one."
    )
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-update=identified]")).to_be_visible()

    answer = page.locator("[data-answer-form]")
    answer.locator("textarea[name=body_en]").fill("We know about it and are fixing it.")
    answer.locator("textarea[name=body_ru]").fill("Мы знаем о сбое и уже чиним.")  # noqa: RUF001
    answer.locator("[data-answer-all]").click()
    expect(page.locator("[data-linked]")).to_be_visible()
    session.screenshot(f"incident-page-{lang}")
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the incident page is {width} px wide at 390 px"
    session.screenshot(f"incident-page-390-{lang}")
    page.set_viewport_size({"width": 1440, "height": 900})

    page.locator("[data-resolve]").click()
    expect(page.locator("[data-incident-state=resolved]")).to_be_visible()
    run_queued_tasks()
    assert english.messages.filter(internal=False, body__startswith="We know").exists()
    assert russian.messages.filter(internal=False, body__startswith="Мы знаем").exists()
    assert english.messages.filter(automated=True, body__startswith="Good news").exists()
    assert russian.messages.filter(automated=True, body__startswith="Хорошие новости").exists()

    session.go("/status/")
    expect(page.locator("[data-history]")).to_contain_text("payment provider")
