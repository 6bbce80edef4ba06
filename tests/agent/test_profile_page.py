"""The profile's own tab and `/api/v1/me`: name, language, time zone, signature, the
e-mails an agent gets, and the password (other sessions signed out)."""

from __future__ import annotations

from django.core import mail as djmail
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from opora.accounts.models import SignInSession, User
from opora.core.tasks import run_queued_tasks
from opora.reports.selectors import wants_digest
from opora.sla.notices import send_sla_notice
from opora.tickets import actions
from opora.tickets.models import Ticket
from tests.conftest import PASSWORD
from tests.inbox.conftest import build_mail, deliver, mailbox
from tests.writes import nothing_written

__all__ = ["deliver", "mailbox"]

NEW_PASSWORD = "a-brand-new-passphrase"


def _sign_in(user: User, agent: str) -> Client:
    """A browser signed in through the real sign-in page (so it has a session row)."""
    browser = Client(HTTP_USER_AGENT=agent)
    response = browser.post("/signin", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return browser


def test_profile_is_the_first_tab_and_saves_every_setting(client, lena):
    client.force_login(lena)
    page = client.get("/agent/profile").content.decode()
    tabs = page[page.index('class="profile-tabs"') :]
    assert tabs.index("/agent/profile") < tabs.index("/agent/profile/security")
    response = client.post(
        "/agent/profile",
        {
            "name": "Elena",
            "language": "ru",
            "time_zone": "Europe/Moscow",
            "signature": "Елена, поддержка\n+7 495 000-00-00",
            "notify_assigned": "on",
            "notify_sla": "on",
        },
    )
    assert response.status_code == 302
    lena.refresh_from_db()
    assert (lena.name, lena.language, lena.time_zone) == ("Elena", "ru", "Europe/Moscow")
    assert lena.signature.startswith("Елена")
    assert (lena.notify_new_in_team, lena.notify_assigned) == (False, True)
    assert (lena.notify_customer_replied, lena.notify_sla) == (False, True)
    assert wants_digest(lena) is False  # the lead's digest switch was left off
    # and the page now speaks her language
    assert "Подпись" in client.get("/agent/profile").content.decode()


def test_a_bad_time_zone_is_refused_and_nothing_changes(client, alice):
    client.force_login(alice)
    with nothing_written():
        response = client.post(
            "/agent/profile", {"name": "A", "language": "en", "time_zone": "Mars/Olympus"}
        )
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.time_zone == "UTC"


def test_changing_the_password_signs_out_the_other_sessions_only(alice):
    here = _sign_in(alice, "Firefox/120 (Windows)")
    elsewhere = _sign_in(alice, "Chrome/120 (Android)")
    assert elsewhere.get("/agent/").status_code == 200
    # when the password is changed in one browser
    response = here.post(
        "/agent/profile/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    # then that browser stays signed in, the other one is sent to sign in
    assert here.get("/agent/profile").status_code == 200
    assert elsewhere.get("/agent/").status_code == 302
    assert SignInSession.objects.filter(user=alice).count() == 1
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_a_wrong_current_password_or_differing_new_ones_change_nothing(client, alice):
    client.force_login(alice)
    for current, again in ((PASSWORD + "x", NEW_PASSWORD), (PASSWORD, NEW_PASSWORD + "x")):
        with nothing_written():
            response = client.post(
                "/agent/profile/password",
                {"current_password": current, "new_password": NEW_PASSWORD, "new_password2": again},
            )
        assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_the_signature_goes_under_an_e_mail_reply(
    deliver, alice, dana, django_capture_on_commit_callbacks
):
    alice.signature = "Alice Walker\nSupport, floor 2"
    alice.save()
    deliver(build_mail())
    ticket = Ticket.objects.get()
    djmail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(ticket, by=alice, body="We sent a fire brigade.")
    run_queued_tasks()
    [sent] = [m for m in djmail.outbox if "fire brigade" in m.body]
    assert "We sent a fire brigade.\n\nAlice Walker\nSupport, floor 2\n" in sent.body
    assert isinstance(sent, EmailMultiAlternatives)
    html = str(sent.alternatives[0][0])
    assert "Alice Walker<br>Support, floor 2" in html


def test_the_sla_switch_stops_the_sla_e_mail(alice, bob, dana, make_ticket):
    ticket = make_ticket(dana)
    bob.notify_sla = False
    bob.save()
    djmail.outbox.clear()
    assert send_sla_notice(ticket, "at_risk", [alice, bob]) == 1
    assert [m.to for m in djmail.outbox] == [[alice.email]]


def test_the_api_reads_and_changes_the_same_settings(api, alice):
    body = api(alice).get("/me").json()
    assert body["signature"] == "" and body["notify_sla"] is True
    assert body["weekly_digest"] is None  # not a lead
    changed = api(alice).patch(
        "/me",
        {"signature": "A.", "notify_sla": False, "time_zone": "Asia/Yekaterinburg", "name": "Al"},
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["signature"] == "A."
    alice.refresh_from_db()
    assert (alice.notify_sla, alice.time_zone, alice.name) == (False, "Asia/Yekaterinburg", "Al")


def test_the_api_refuses_bad_settings_and_writes_nothing(api, alice, dana):
    as_alice, as_dana = api(alice), api(dana)
    for who, payload, status, code in (
        (as_alice, {"time_zone": "Nowhere/City", "name": "X"}, 422, "invalid_time_zone"),
        (as_alice, {"weekly_digest": False}, 403, None),
        (as_dana, {"signature": "Dana", "name": "X"}, 403, "agents_only"),
        (as_alice, {"unknown": 1}, 422, None),
    ):
        with nothing_written():
            response = who.patch("/me", payload)
        assert response.status_code == status, (payload, response.content)
        if code:
            assert response.json()["code"] == code


def test_the_api_changes_the_password_and_signs_out_every_browser(api, alice):
    browser = _sign_in(alice, "Firefox/120")
    wrong = api(alice).post(
        "/me/password",
        {"current_password": "nope", "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "bad_credentials"
    response = api(alice).post(
        "/me/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"signed_out_sessions": 1}
    assert browser.get("/agent/").status_code == 302
