"""The channels, outbox, answer bot and audit screens of the admin console in a real
browser, in English and Russian, on a desktop and at a phone's 390 px."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.mail import send_mail
from playwright.sync_api import Page, ViewportSize, expect

from opora.accounts.models import Team, User
from opora.automation.models import BotConversation
from opora.core import clock
from opora.core.tasks import run_queued_tasks
from opora.inbox.email.models import Mailbox
from opora.inbox.email.transport import OUTBOX_BACKEND
from opora.inbox.models import DESK_MAIL, Delivery
from opora.kb import actions as kb
from tests.inbox.servers import free_port

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
FILES = "django.core.mail.backends.filebased.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"


def shoot(session: Any, lang: str, screens: dict[str, str]) -> None:
    page = session.page
    for name, path in screens.items():
        page.set_viewport_size(DESKTOP)
        session.go(path)
        session.screenshot(f"console-channels-{name}-{lang}")
        fits_a_phone(page)
        session.screenshot(f"console-channels-{name}-{lang}-phone")
    page.set_viewport_size(DESKTOP)


@pytest.fixture
def desk_mail(settings: Any, tmp_path: Path) -> Path:
    """A fresh install's mail: queued in the outbox, then written to a local folder."""
    settings.EMAIL_BACKEND = OUTBOX_BACKEND
    settings.OUTBOX_TRANSPORT = FILES
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    return tmp_path / "outbox"


def test_mailboxes_outbox_bot_and_audit_in_the_browser(
    open_session: Any,
    settings: Any,
    desk_mail: Path,
    ada: User,
    lena: User,
    alice: User,
    support: Team,
    make_ticket: Any,
    dana: User,
) -> None:
    admin = open_session("en-US")
    admin.sign_in(ada.email)
    page = admin.page

    # The admin adds a mailbox fetched over IMAP and tests the connection
    admin.go("/admin/")
    admin.go("/admin/channels/mailboxes/")
    page.locator("[data-new-mailbox]").click()
    form = page.locator("[data-mailbox-form]")
    form.locator("input[name=address]").fill("help@desk.test")
    form.locator("select[name=team]").select_option(str(support.pk))
    form.locator("input[name=imap_host]").fill("127.0.0.1")
    form.locator("input[name=imap_port]").fill(str(free_port()))
    form.locator("input[name=password_env]").fill("HELP_IMAP_PASSWORD")
    form.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("help@desk.test")
    page.locator("[data-test-connection]").click()
    result = page.locator("[data-check]")
    expect(result).to_have_attribute("data-check", "failed")
    expect(result).to_contain_text("HELP_IMAP_PASSWORD")

    # A notice the mail server refused is failed in the outbox; "Send again" sends it
    settings.OUTBOX_TRANSPORT = SMTP
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.DELIVERY_ATTEMPTS = 1
    send_mail("Ticket #7 is close to its deadline", "Answer within an hour.", None, [lena.email])
    run_queued_tasks()
    failed = Delivery.objects.get(channel=DESK_MAIL)
    assert failed.state == "failed"
    settings.OUTBOX_TRANSPORT = FILES
    admin.go("/admin/channels/outbox/?state=failed")
    row = page.locator(f"[data-delivery='{failed.pk}']")
    expect(row).to_contain_text("Failed")
    expect(page.locator("[data-local-outbox]")).to_contain_text(str(desk_mail))
    row.locator("a").click()
    page.locator("[data-send-again]").click()
    expect(page.locator("[data-send-again]")).to_have_count(0)
    run_queued_tasks()
    page.reload()
    expect(page.locator("[data-delivery-state]")).to_have_attribute("data-delivery-state", "sent")
    expect(page.locator("[data-mail-text]")).to_contain_text("Answer within an hour.")

    # The answer bot of Support: figures of a small history, then new settings
    article = kb.create_article(
        by=alice, title="Printer does not print", body="Restart it.", status="published"
    )
    for state, subject in (
        ("solved", "Printer jam"),
        ("handed_off", "VPN"),
        ("no_match", "Invoice"),
    ):
        ticket = make_ticket(dana, subject=subject)
        BotConversation.objects.create(
            ticket=ticket,
            state=state,
            articles=[article.pk] if state != "no_match" else [],
            created_at=clock.now() - timedelta(days=1),
        )
    admin.go(f"/admin/bot/?team={support.pk}")
    expect(page.locator("[data-figure=questions] b")).to_have_text("3")
    expect(page.locator("[data-figure=handoff_rate] b")).to_have_text("50%")
    expect(page.locator("[data-top-unanswered]")).to_contain_text("Invoice")
    bot_form = page.locator("[data-bot-form]")
    bot_form.locator("input[name=enabled]").check()
    bot_form.locator("input[name=threshold]").fill("0.65")
    bot_form.locator("button[type=submit]").click()
    expect(page.locator("input[name=threshold]")).to_have_value("0.65")

    # The audit log lists the changes, filtered by area
    admin.go("/admin/audit/")
    page.locator("select[name=area]").select_option("bot")
    page.locator("[data-audit-filter] button[type=submit]").click()
    expect(page.locator("[data-audit] tbody tr")).to_have_count(1)
    expect(page.locator("[data-audit]")).to_contain_text("threshold")

    screens = {
        "mailboxes": "/admin/channels/mailboxes/",
        "mailbox": f"/admin/channels/mailboxes/{Mailbox.objects.get().pk}/",
        "outbox": "/admin/channels/outbox/",
        "outbox-message": f"/admin/channels/outbox/{failed.pk}/",
        "bot": f"/admin/bot/?team={support.pk}",
        "audit": "/admin/audit/",
    }
    shoot(admin, "en", screens)

    ada.language = "ru"
    ada.save(update_fields=["language"])
    russian = open_session("ru-RU")
    russian.sign_in(ada.email)
    russian.go("/admin/channels/outbox/")
    expect(russian.page.locator("h1")).to_have_text("Исходящая почта")
    shoot(russian, "ru", screens)

    # A team lead opens the bot of her team, not the outbox nor the audit log
    lead = open_session("en-US")
    lead.sign_in(lena.email)
    lead.go("/admin/bot/")
    expect(lead.page.locator("[data-bot-stats]")).to_be_visible()
    assert lead.go("/admin/channels/outbox/").status == 403
    assert lead.go("/admin/audit/").status == 403
