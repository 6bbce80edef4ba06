"""A WhatsApp conversation both ways, through the signed webhook and pywa talking to a
local Graph API server: media in and out, statuses, duplicates, forgeries, failures."""

from __future__ import annotations

import logging
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from opora.accounts.models import Identity, User
from opora.inbox.delivery import deliver
from opora.inbox.models import Delivery, DeliveryState
from opora.messengers.models import Conversation, WhatsAppInbound, WhatsAppNumber, WhatsAppSent
from opora.tickets.actions import add_message
from opora.tickets.attachments import IncomingFile
from opora.tickets.models import Attachment, Channel, Ticket
from tests.messengers.whatsapp_fixtures import (
    APP_SECRET,
    CUSTOMER,
    media_message,
    notification,
    status,
    text_message,
)
from tests.messengers.whatsapp_server import ACCESS_TOKEN, PHONE_NUMBER_ID, WhatsAppServer
from tests.writes import nothing_written

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def _pdf() -> IncomingFile:
    return IncomingFile(
        name="manual.pdf",
        content=SimpleUploadedFile("manual.pdf", b"%PDF-1.4 manual"),
        size=15,
        content_type="application/pdf",
    )


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_photo_opens_a_ticket_and_the_agents_reply_with_a_file_reaches_the_chat(
    wa_number: WhatsAppNumber,
    whatsapp_api: WhatsAppServer,
    post_whatsapp: Any,
    run_jobs: Any,
    alice: User,
) -> None:
    whatsapp_api.add_media("4490001", PNG, "image/png")
    photo = media_message("image", "4490001", "image/png", caption="The printer shows this")
    answer = post_whatsapp(wa_number, notification(messages=[photo]))
    assert answer.status_code == 200, answer.content
    assert answer.json()["outcomes"] == {"queued": 1}
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.WHATSAPP
    assert ticket.team_id == wa_number.team_id
    first = ticket.messages.get()
    assert first.body == "The printer shows this"
    [stored] = Attachment.objects.filter(message=first)
    assert stored.file.read() == PNG
    assert stored.filename.endswith(".png")
    # The media id gave a URL, and the URL the bytes, with the token.
    paths = [c.path for c in whatsapp_api.calls]
    assert paths == ["/4490001", "/download/4490001"]
    person = User.objects.get(pk=ticket.requester_id)
    assert person.name == "Maria Lopez"
    assert Identity.objects.filter(user=person, kind="whatsapp", value=f"+{CUSTOMER}").exists()
    chat = Conversation.objects.get(channel="whatsapp", chat_id=CUSTOMER)
    assert chat.last_inbound_at is not None

    # The next message joins the same ticket.
    post_whatsapp(wa_number, notification(messages=[text_message("Any news?")]))
    assert Ticket.objects.count() == 1
    assert ticket.messages.count() == 2

    # The agent's reply with a document: the text, then the file uploaded and sent by id.
    run_jobs(
        lambda: add_message(ticket, by=alice, body="Here is the manual.", attachments=[_pdf()])
    )
    [text, document] = whatsapp_api.messages()
    assert text["to"] == CUSTOMER
    assert text["type"] == "text"
    assert text["text"]["body"] == "Here is the manual."
    [upload] = whatsapp_api.uploads()
    assert upload.files["file"][1] == b"%PDF-1.4 manual"
    assert document["type"] == "document"
    assert document["document"]["filename"] == "manual.pdf"
    assert document["document"]["id"] in whatsapp_api.media
    delivery = Delivery.objects.get(ticket=ticket)
    assert delivery.state == DeliveryState.SENT
    assert delivery.address == f"{wa_number.pk}:{CUSTOMER}"
    assert WhatsAppSent.objects.filter(delivery_id=delivery.pk).count() == 2


def test_an_image_the_agent_attaches_goes_as_an_image(
    wa_number: WhatsAppNumber,
    whatsapp_api: WhatsAppServer,
    post_whatsapp: Any,
    run_jobs: Any,
    alice: User,
) -> None:
    post_whatsapp(wa_number, notification(messages=[text_message("Hi")]))
    ticket = Ticket.objects.get()
    shot = IncomingFile(
        name="shot.png",
        content=SimpleUploadedFile("shot.png", PNG),
        size=len(PNG),
        content_type="image/png",
    )
    run_jobs(lambda: add_message(ticket, by=alice, body="Like this", attachments=[shot]))
    image = whatsapp_api.messages()[-1]
    assert image["type"] == "image"
    assert whatsapp_api.media[image["image"]["id"]] == (PNG, "image/png")


def test_documents_voice_notes_and_videos_are_stored_as_attachments(
    wa_number: WhatsAppNumber, whatsapp_api: WhatsAppServer, post_whatsapp: Any
) -> None:
    whatsapp_api.add_media("501", b"a,b\n1,2\n", "text/csv")
    whatsapp_api.add_media("502", b"OggS voice", "audio/ogg")
    whatsapp_api.add_media("503", b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    post_whatsapp(
        wa_number,
        notification(
            messages=[
                media_message("document", "501", "text/csv", filename="report.csv"),
                media_message("audio", "502", "audio/ogg; codecs=opus", voice=True),
                media_message("video", "503", "video/mp4", caption="See the noise"),
            ]
        ),
    )
    ticket = Ticket.objects.get()
    names = sorted(
        Attachment.objects.filter(message__ticket=ticket).values_list("filename", flat=True)
    )
    assert names[0] == "report.csv"
    assert names[1].startswith("video-") and names[1].endswith(".mp4")
    assert names[2].startswith("voice-") and names[2].endswith(".ogg")
    assert ticket.messages.count() == 3


def test_a_file_over_the_limit_is_not_kept_and_the_message_says_so(
    wa_number: WhatsAppNumber, whatsapp_api: WhatsAppServer, post_whatsapp: Any, settings: Any
) -> None:
    settings.MAX_ATTACHMENT_MB = 1
    whatsapp_api.add_media("600", b"x" * (1024 * 1024 + 1), "application/pdf")
    post_whatsapp(
        wa_number,
        notification(
            messages=[media_message("document", "600", "application/pdf", filename="big.pdf")]
        ),
    )
    message = Ticket.objects.get().messages.get()
    assert "big.pdf" in message.body
    assert "1 MB" in message.body
    assert not Attachment.objects.exists()
    # Only the media's description was asked: its size said no before the download.
    assert [c.path for c in whatsapp_api.calls] == ["/600"]


def test_a_forged_webhook_is_refused_and_stores_nothing(
    wa_number: WhatsAppNumber, post_whatsapp: Any, caplog: Any
) -> None:
    body = notification(messages=[text_message("Give me a refund")])
    with nothing_written(wa_number):
        assert post_whatsapp(wa_number, body, secret="not-the-app-secret").status_code == 403
        assert post_whatsapp(wa_number, body, signature="").status_code == 403
        assert post_whatsapp(wa_number, body, signature="sha256=00").status_code == 403
    with nothing_written():
        missing = Client().post(
            "/channels/whatsapp/999999/webhook", b"{}", content_type="application/json"
        )
        assert missing.status_code == 403
    assert APP_SECRET not in caplog.text


def test_bad_bodies_get_a_clear_4xx(wa_number: WhatsAppNumber, post_whatsapp: Any) -> None:
    with nothing_written(wa_number):
        not_json = post_whatsapp(wa_number, b"{not json")
        assert not_json.status_code == 400
        assert not_json.json()["code"] == "bad_update"
        other = post_whatsapp(wa_number, {"object": "page", "entry": []})
        assert other.status_code == 400
        big = post_whatsapp(wa_number, b"{" + b" " * (1024 * 1024 + 10) + b"}")
        assert big.status_code == 413


def test_the_verification_handshake_answers_the_challenge_only_with_the_verify_token(
    wa_number: WhatsAppNumber,
) -> None:
    url = f"/channels/whatsapp/{wa_number.pk}/webhook"
    good = Client().get(
        url,
        {
            "hub.mode": "subscribe",
            "hub.verify_token": wa_number.verify_token,
            "hub.challenge": "1158201444",
        },
    )
    assert good.status_code == 200
    assert good.content == b"1158201444"
    wrong = Client().get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )
    assert wrong.status_code == 403
    assert Client().get(url).status_code == 403


def test_a_message_meta_sends_twice_is_stored_once(
    wa_number: WhatsAppNumber, post_whatsapp: Any
) -> None:
    body = notification(messages=[text_message("Hello", wamid="wamid.ONCE")])
    assert post_whatsapp(wa_number, body).json()["outcomes"] == {"queued": 1}
    assert post_whatsapp(wa_number, body).json()["outcomes"] == {"duplicate": 1}
    assert Ticket.objects.get().messages.count() == 1
    [kept] = WhatsAppInbound.objects.filter(wamid="wamid.ONCE")
    assert kept.outcome == "message"


def test_other_kinds_are_logged_and_ignored(
    wa_number: WhatsAppNumber, post_whatsapp: Any, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="opora.messengers")
    sticker = media_message("sticker", "700", "image/webp")
    reaction = {
        "from": CUSTOMER,
        "id": "wamid.REACT",
        "timestamp": "1700000000",
        "type": "reaction",
        "reaction": {"message_id": "wamid.X", "emoji": "👍"},
    }
    answer = post_whatsapp(wa_number, notification(messages=[sticker, reaction]))
    assert answer.json()["outcomes"] == {"queued": 2}
    outcomes = WhatsAppInbound.objects.values_list("outcome", flat=True)
    assert list(outcomes) == ["ignored", "ignored"]
    other_field = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "account_update", "value": {"event": "X"}}]}],
    }
    assert post_whatsapp(wa_number, other_field).json()["outcomes"] == {"ignored": 1}
    assert not Ticket.objects.exists()
    assert "'sticker' message ignored" in caplog.text
    assert "'account_update' change ignored" in caplog.text


def test_statuses_move_the_delivery_shown_on_the_ticket(
    wa_number: WhatsAppNumber,
    whatsapp_api: WhatsAppServer,
    post_whatsapp: Any,
    run_jobs: Any,
    alice: User,
) -> None:
    post_whatsapp(wa_number, notification(messages=[text_message("Hi")]))
    ticket = Ticket.objects.get()
    run_jobs(lambda: add_message(ticket, by=alice, body="Hello Maria"))
    delivery = Delivery.objects.get(ticket=ticket)
    wamid = WhatsAppSent.objects.get(delivery_id=delivery.pk).wamid
    page = _signed_in(alice)

    post_whatsapp(wa_number, notification(statuses=[status(wamid, "delivered")]))
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.RECEIVED
    assert (
        'data-delivery="delivered"' in page.get(f"/agent/tickets/{ticket.number}").content.decode()
    )

    post_whatsapp(wa_number, notification(statuses=[status(wamid, "read")]))
    # A late "delivered" never moves a read message back.
    post_whatsapp(wa_number, notification(statuses=[status(wamid, "delivered")]))
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.READ
    assert 'data-delivery="read"' in page.get(f"/agent/tickets/{ticket.number}").content.decode()


def test_a_failed_status_shows_the_error_title_and_131026_marks_the_customer_unreachable(
    wa_number: WhatsAppNumber,
    whatsapp_api: WhatsAppServer,
    post_whatsapp: Any,
    run_jobs: Any,
    alice: User,
) -> None:
    post_whatsapp(wa_number, notification(messages=[text_message("Hi")]))
    ticket = Ticket.objects.get()
    run_jobs(lambda: add_message(ticket, by=alice, body="Hello"))
    delivery = Delivery.objects.get(ticket=ticket)
    wamid = WhatsAppSent.objects.get(delivery_id=delivery.pk).wamid
    failed = status(wamid, "failed", code=131026, title="Message undeliverable")
    post_whatsapp(wa_number, notification(statuses=[failed]))
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert "Message undeliverable" in delivery.error
    assert ticket.events.filter(kind="delivery_failed").exists()
    chat = Conversation.objects.get(channel="whatsapp", chat_id=CUSTOMER)
    assert chat.unreachable_at is not None
    html = _signed_in(alice).get(f"/agent/tickets/{ticket.number}").content.decode()
    assert 'data-delivery="failed"' in html
    assert "Message undeliverable" in html

    # Later replies fail at once without calling WhatsApp, until the customer writes.
    calls = len(whatsapp_api.calls)
    run_jobs(lambda: add_message(ticket, by=alice, body="Hello?"))
    assert len(whatsapp_api.calls) == calls
    assert Delivery.objects.filter(ticket=ticket, state="failed").count() == 2
    post_whatsapp(wa_number, notification(messages=[text_message("I am back")]))
    assert Conversation.objects.get(pk=chat.pk).unreachable_at is None


def test_undeliverable_on_sending_marks_the_customer_unreachable(
    wa_number: WhatsAppNumber,
    whatsapp_api: WhatsAppServer,
    post_whatsapp: Any,
    run_jobs: Any,
    alice: User,
) -> None:
    post_whatsapp(wa_number, notification(messages=[text_message("Hi")]))
    ticket = Ticket.objects.get()
    whatsapp_api.refuse[CUSTOMER] = 131026
    run_jobs(lambda: add_message(ticket, by=alice, body="Hello"))
    delivery = Delivery.objects.get(ticket=ticket)
    assert delivery.state == DeliveryState.FAILED, delivery.error
    assert delivery.attempts == 1  # refused for good: not tried again
    assert "unreachable" in delivery.error
    assert Conversation.objects.get(chat_id=CUSTOMER).unreachable_at is not None


def test_a_failing_server_is_retried_with_backoff_and_the_failure_shows_on_the_ticket(
    wa_number: WhatsAppNumber,
    whatsapp_api: WhatsAppServer,
    post_whatsapp: Any,
    run_jobs: Any,
    alice: User,
    settings: Any,
    caplog: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings.DELIVERY_ATTEMPTS = 3
    post_whatsapp(wa_number, notification(messages=[text_message("Help")]))
    ticket = Ticket.objects.get()
    whatsapp_api.failing = 1
    run_jobs(lambda: add_message(ticket, by=alice, body="First try fails"))
    delivery = Delivery.objects.get(ticket=ticket)
    assert delivery.state == DeliveryState.QUEUED
    assert delivery.attempts == 1
    assert delivery.next_attempt_at is not None
    assert "unknown error" in delivery.error
    wa_number.refresh_from_db()
    assert "unknown error" in wa_number.last_error

    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
    assert deliver(delivery.pk) == "sent"
    wa_number.refresh_from_db()
    assert wa_number.last_error == ""

    add_message(ticket, by=alice, body="Nobody listens")
    failing = Delivery.objects.exclude(pk=delivery.pk).get(ticket=ticket)
    whatsapp_api.stop()
    results = []
    for _ in range(3):
        Delivery.objects.filter(pk=failing.pk).update(next_attempt_at=None)
        results.append(deliver(failing.pk))
    assert results == ["retry", "retry", "failed"]
    failing.refresh_from_db()
    assert "ConnectError" in failing.error
    assert ticket.events.filter(kind="delivery_failed").exists()
    html = _signed_in(alice).get(f"/agent/tickets/{ticket.number}").content.decode()
    assert "Send again" in html
    # The token never reached a log line, whatever the library logged.
    assert ACCESS_TOKEN not in caplog.text


def test_a_change_for_another_number_of_the_same_app_goes_to_that_number(
    wa_number: WhatsAppNumber, ada: User, whatsapp_api: WhatsAppServer, post_whatsapp: Any
) -> None:
    from opora.messengers.whatsapp.actions import create_number

    other = create_number(
        by=ada,
        values={
            "name": "Sales",
            "phone_number_id": "200000000000001",
            "access_token": ACCESS_TOKEN,
            "app_secret": APP_SECRET,
            "api_base": whatsapp_api.url,
        },
    )
    body = notification(messages=[text_message("For sales")])
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = other.phone_number_id
    assert post_whatsapp(wa_number, body).status_code == 200
    assert Conversation.objects.get().account_id == other.pk
    assert other.phone_number_id != PHONE_NUMBER_ID
