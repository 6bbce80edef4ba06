"""Twilio's voice status callbacks and Zadarma's NOTIFY_* events, as each provider sends
them: answered and missed calls to the ticket, the time logged and the call-back;
forged, duplicate and unknown events."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from opora.accounts.models import User
from opora.telephony.models import Call, CallEvent, Outcome, PhoneLine
from opora.telephony.selectors import open_callbacks
from opora.tickets.models import Channel, Ticket, TimeEntry
from tests.telephony.conftest import (
    CUSTOMER,
    DESK,
    TWILIO_TOKEN,
    new_call_id,
    post_twilio,
    post_zadarma,
    twilio_params,
    zadarma_params,
)
from tests.writes import nothing_written

RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC01/Recordings/RE01"


@pytest.fixture
def twilio_line(make_line: Callable[..., PhoneLine]) -> PhoneLine:
    return make_line("twilio")


@pytest.fixture
def zadarma_line(make_line: Callable[..., PhoneLine]) -> PhoneLine:
    return make_line("zadarma")


# --- Twilio ---------------------------------------------------------------------------


def test_twilio_an_answered_call_logs_the_agents_time(twilio_line: PhoneLine, alice: User) -> None:
    sid = new_call_id("CA")
    query = "agent=alice%40desk.test"
    for status, extra in [
        ("ringing", {}),
        ("in-progress", {}),
        ("completed", {"CallDuration": "61", "RecordingUrl": RECORDING}),
    ]:
        answer = post_twilio(twilio_line, twilio_params(status, sid, **extra), query=query)
        assert answer.status_code == 200, answer.content
    call = Call.objects.select_related("ticket").get()
    assert call.ticket is not None
    assert call.ticket.channel == Channel.PHONE
    assert call.ticket.assignee_id == alice.pk
    assert (call.outcome, call.duration, call.recording_url) == (Outcome.ANSWERED, 61, RECORDING)
    assert TimeEntry.objects.get(ticket=call.ticket).minutes == 2


def test_twilio_no_answer_is_a_missed_call_to_call_back(
    twilio_line: PhoneLine, alice: User
) -> None:
    sid = new_call_id("CA")
    post_twilio(twilio_line, twilio_params("ringing", sid))
    post_twilio(twilio_line, twilio_params("no-answer", sid, CallDuration="0"))
    call = Call.objects.get()
    assert call.outcome == Outcome.MISSED
    assert [c.pk for c in open_callbacks(alice)] == [call.pk]
    assert not TimeEntry.objects.exists()


def test_twilio_a_client_identity_names_the_agent(twilio_line: PhoneLine, alice: User) -> None:
    sid = new_call_id("CA")
    params = {"Direction": "outbound-dial", "From": DESK, "To": "client:alice@desk.test"}
    post_twilio(twilio_line, twilio_params("in-progress", sid, **params))
    assert Call.objects.get().agent_id == alice.pk


def test_twilio_a_forged_callback_is_refused(twilio_line: PhoneLine) -> None:
    params = twilio_params("ringing", new_call_id("CA"))
    path = f"/channels/phone/{twilio_line.pk}/twilio"
    # The signature covers the address: one made for another query does not fit.
    elsewhere = RequestValidator(TWILIO_TOKEN).compute_signature(
        f"http://testserver{path}?agent=x", params
    )
    with nothing_written(twilio_line):
        forged = post_twilio(twilio_line, params, token="another-token-0123456789")
        unsigned = Client().post(path, params)
        moved = Client().post(f"{path}?agent=y", params, headers={"X-Twilio-Signature": elsewhere})
    assert forged.status_code == 403
    assert unsigned.status_code == 403
    assert moved.status_code == 403
    assert moved.json()["code"] == "wrong_signature"


def test_twilio_a_retried_callback_is_taken_once(twilio_line: PhoneLine) -> None:
    params = twilio_params("ringing", new_call_id("CA"), SequenceNumber="0")
    assert post_twilio(twilio_line, params).json()["outcome"] == "ringing"
    assert post_twilio(twilio_line, params).json()["outcome"] == "duplicate"
    assert Call.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_twilio_an_unknown_status_is_ignored(twilio_line: PhoneLine) -> None:
    answer = post_twilio(twilio_line, twilio_params("on-hold", new_call_id("CA")))
    assert answer.json()["outcome"] == "ignored"
    assert not Ticket.objects.exists()


# --- Zadarma --------------------------------------------------------------------------


def test_zadarma_an_answered_call_names_the_agent_by_extension(
    zadarma_line: PhoneLine, alice: User
) -> None:
    call_id = new_call_id("in")
    start = zadarma_params("NOTIFY_START", call_id)
    for params in [
        start,
        zadarma_params(
            "NOTIFY_ANSWER",
            call_id,
            call_start=start["call_start"],
            destination="101",
            internal="101",
        ),
        zadarma_params(
            "NOTIFY_END",
            call_id,
            call_start=start["call_start"],
            internal="101",
            duration="65",
            disposition="answered",
            is_recorded="1",
            call_id_with_rec="rec-1",
            status_code="16",
        ),
    ]:
        answer = post_zadarma(zadarma_line, params)
        assert answer.status_code == 200, answer.content
    call = Call.objects.select_related("ticket").get()
    assert call.agent_id == alice.pk
    assert call.ticket is not None and call.ticket.assignee_id == alice.pk
    assert (call.outcome, call.duration) == (Outcome.ANSWERED, 65)
    assert TimeEntry.objects.get().minutes == 2


def test_zadarma_a_missed_call_then_the_agents_call_back(
    zadarma_line: PhoneLine, alice: User
) -> None:
    call_id = new_call_id("in")
    post_zadarma(zadarma_line, zadarma_params("NOTIFY_START", call_id))
    post_zadarma(
        zadarma_line,
        zadarma_params("NOTIFY_END", call_id, duration="0", disposition="no answer"),
    )
    missed = Call.objects.get()
    assert missed.outcome == Outcome.MISSED
    assert missed.callback_open

    back = new_call_id("out")
    out = {"internal": "101", "destination": CUSTOMER, "caller_id": DESK}
    post_zadarma(zadarma_line, zadarma_params("NOTIFY_OUT_START", back, **out))
    post_zadarma(
        zadarma_line,
        zadarma_params("NOTIFY_OUT_END", back, duration="30", disposition="answered", **out),
    )
    callback = Call.objects.get(provider_call_id=back)
    assert (callback.direction, callback.ticket_id) == ("out", missed.ticket_id)
    missed.refresh_from_db()
    assert missed.callback_done_at is not None
    assert list(open_callbacks(alice)) == []


def test_zadarma_a_forged_notification_is_refused(zadarma_line: PhoneLine) -> None:
    params = zadarma_params("NOTIFY_START", new_call_id("in"))
    with nothing_written(zadarma_line):
        answer = post_zadarma(zadarma_line, params, signature="Zm9yZ2Vk")
        unsigned = post_zadarma(zadarma_line, params, signature="")
    assert answer.status_code == 403
    assert unsigned.status_code == 403


def test_zadarma_retries_are_taken_once_and_unknown_events_ignored(
    zadarma_line: PhoneLine,
) -> None:
    params = zadarma_params("NOTIFY_START", new_call_id("in"))
    assert post_zadarma(zadarma_line, params).json()["outcome"] == "ringing"
    assert post_zadarma(zadarma_line, params).json()["outcome"] == "duplicate"
    assert Call.objects.count() == 1
    with nothing_written(zadarma_line):
        ivr = post_zadarma(zadarma_line, {"event": "NOTIFY_IVR", "pbx_call_id": "x"})
    assert ivr.json()["outcome"] == "ignored"
    assert CallEvent.objects.count() == 1


def test_zadarma_checks_the_address_with_an_echo(zadarma_line: PhoneLine) -> None:
    answer = Client().get(f"/channels/phone/{zadarma_line.pk}/zadarma", {"zd_echo": "abc123"})
    assert answer.status_code == 200
    assert answer.content == b"abc123"
