"""The weekly KPI digest: who gets it, in which language, with which numbers and links,
when the job sends it, and how a lead turns it off."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from opora.core.scheduler import PERIODIC
from opora.reports.digest import send_due_digests
from opora.reports.tasks import weekly_digest_task
from tests.reports.conftest import msk
from tests.reports.weeks import weeks
from tests.writes import nothing_written

__all__ = ["weeks"]


@pytest.fixture
def desk(settings, weeks, lena, ada):
    """The desk works in Moscow time; Lena (lead of Support) reads Russian, Ada (admin)
    English."""
    settings.TIME_ZONE = "Europe/Moscow"
    lena.language = "ru"
    lena.save(update_fields=["language"])
    return weeks


def _html(message) -> str:
    (html, kind) = message.alternatives[0]
    assert kind == "text/html"
    return str(html)


def _to(address: str):
    found = [m for m in mail.outbox if m.to == [address]]
    assert len(found) == 1, [m.to for m in mail.outbox]
    return found[0]


def test_monday_morning_each_lead_and_admin_gets_last_week_in_their_language(desk, clock):
    mail.outbox.clear()
    assert send_due_digests() == 2  # Lena and Ada; agents get none
    lena_mail = _to("lena@desk.test")
    assert lena_mail.subject == "Показатели поддержки за неделю 16.03.2026 \u2013 22.03.2026"
    assert "Здравствуйте, Lena." in lena_mail.body
    assert "== Support ==" in lena_mail.body
    assert "Новые заявки (NST): 4 (неделей ранее: 2, ▲ +100,0\u00a0%)" in lena_mail.body
    assert "Решение с первого обращения (FCR): 33,3\u00a0%" in lena_mail.body  # noqa: RUF001
    html = _html(lena_mail)
    assert 'data-section="' in html and "Позапрошлая неделя" in html
    ada_mail = _to("ada@desk.test")
    assert ada_mail.subject == "Support KPIs for the week 03/16/2026 \u2013 03/22/2026"
    assert "== All teams ==" in ada_mail.body
    assert "New tickets (NST): 4 (week before: 2, ▲ +100.0 %)" in ada_mail.body
    assert "Cost of solved tickets (Cost" not in ada_mail.body
    assert "Cost of solved tickets: 1,500.00" in ada_mail.body


def test_the_digest_links_open_the_dashboard_for_its_reader(desk, clock, lena, ada):
    mail.outbox.clear()
    send_due_digests()
    for person in (lena, ada):
        message = _to(person.email)
        links = set(re.findall(r'href="([^"]+)"', _html(message)))
        links |= set(re.findall(r"(http://\S+)", message.body))
        assert any("/reports/?start=2026-03-16&end=2026-03-22" in u for u in links)
        assert any("/reports/tickets?kpi=nst" in u.replace("&amp;", "&") for u in links)
        reader = Client()
        reader.force_login(person)
        for link in links:
            parts = urlsplit(link.replace("&amp;", "&"))
            path = parts.path + ("?" + parts.query if parts.query else "")
            assert reader.get(path).status_code == 200, link
    support_link = re.search(r"(http://\S+/reports/\?\S+team=\d+)", _to(lena.email).body)
    assert support_link is not None  # the lead's link keeps her team's filter


def test_the_job_runs_on_monday_morning_in_the_desks_zone_and_sends_once(desk, clock):
    assert "opora.reports.tasks.weekly_digest_task" in PERIODIC
    mail.outbox.clear()
    clock.move_to(msk(2026, 3, 22, 23, 0))  # Sunday night
    assert weekly_digest_task.call() == 0
    clock.move_to(msk(2026, 3, 23, 7, 59))  # Monday before eight, Moscow (04:59 UTC)
    assert weekly_digest_task.call() == 0
    clock.move_to(msk(2026, 3, 23, 8, 0))
    assert weekly_digest_task.call() == 2
    clock.move_to(msk(2026, 3, 23, 8, 15))  # the next run of the periodic job
    assert weekly_digest_task.call() == 0
    assert len(mail.outbox) == 2
    clock.move_to(msk(2026, 3, 24, 8, 0))  # Tuesday: not again
    assert weekly_digest_task.call() == 0


def test_a_lead_turns_the_digest_off_on_the_page_and_in_the_api(desk, clock, lena, ada, api):
    page = Client()
    page.force_login(lena)
    html = page.get("/reports/").content.decode()
    assert 'name="weekly_digest" checked' in html
    assert page.post("/reports/digest", {}).status_code == 302  # the box unticked
    assert 'name="weekly_digest" checked' not in page.get("/reports/").content.decode()
    assert api(lena).get("/reports/digest").json() == {"weekly_digest": False}
    # Ada turns hers off through the API, then on again
    assert _put(api(ada), False).json() == {"weekly_digest": False}
    mail.outbox.clear()
    assert send_due_digests() == 0
    assert _put(api(ada), True).json() == {"weekly_digest": True}
    assert send_due_digests() == 1
    assert [m.to for m in mail.outbox] == [["ada@desk.test"]]


def _put(client, enabled):
    return client.client.put(
        "/api/v1/reports/digest", json.dumps({"weekly_digest": enabled}), "application/json"
    )


def test_agents_who_get_no_digest_cannot_set_it(desk, alice, api):
    agent = api(alice)
    with nothing_written():
        assert _put(agent, False).status_code == 403
        assert agent.get("/reports/digest").status_code == 403
    page = Client()
    page.force_login(alice)
    assert 'name="weekly_digest"' not in page.get("/reports/").content.decode()
    with nothing_written():
        assert page.post("/reports/digest", {"weekly_digest": "on"}).status_code == 403
