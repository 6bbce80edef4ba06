"""A VK conversation both ways (private messages and wall comments), through the
Callback API and the real client library talking to a local VK API server."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from opora.accounts.models import Identity, User
from opora.inbox.models import Delivery, DeliveryState
from opora.messengers.models import Conversation, VkCommunity, VkEvent
from opora.tickets.actions import add_message
from opora.tickets.attachments import IncomingFile
from opora.tickets.models import Attachment, Channel, Ticket
from tests.messengers.vk_fixtures import CUSTOMER_ID, POST_ID, comment_event, message_event
from tests.messengers.vk_server import CONFIRMATION, GROUP_ID, VkServer

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def _pdf(name: str = "manual.pdf", data: bytes = b"%PDF-1.4 manual") -> IncomingFile:
    return IncomingFile(
        name=name,
        content=SimpleUploadedFile(name, data),
        size=len(data),
        content_type="application/pdf",
    )


def test_the_confirmation_request_is_answered_with_the_confirmation_string(
    vk_community: VkCommunity, post_event: Any
) -> None:
    answer = post_event(vk_community, {"type": "confirmation", "group_id": GROUP_ID})
    assert answer.status_code == 200
    assert answer.content.decode() == CONFIRMATION
    assert answer["Content-Type"].startswith("text/plain")
    other = post_event(vk_community, {"type": "confirmation", "group_id": GROUP_ID + 1})
    assert other.status_code == 400


def test_a_message_with_a_photo_opens_a_ticket_and_the_agents_reply_with_a_file_reaches_the_chat(
    vk_community: VkCommunity,
    vk_api: VkServer,
    post_event: Any,
    run_jobs: Any,
    alice: User,
) -> None:
    small = vk_api.add_file("small.jpg", b"small")
    big = vk_api.add_file("big.jpg", PNG)
    photo = {
        "type": "photo",
        "photo": {
            "id": 457239017,
            "owner_id": CUSTOMER_ID,
            "sizes": [
                {"type": "s", "url": small, "width": 75, "height": 50},
                {"type": "z", "url": big, "width": 1080, "height": 720},
            ],
        },
    }
    vk_api.people[CUSTOMER_ID] = ("Мария", "Иванова")
    answer = run_jobs(
        lambda: post_event(
            vk_community, message_event("Принтер показывает это", attachments=[photo])
        )
    )
    assert answer.status_code == 200, answer.content
    assert answer.content == b"ok"
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.VK
    assert ticket.team_id == vk_community.team_id
    first = ticket.messages.get()
    assert first.body == "Принтер показывает это"
    [stored] = Attachment.objects.filter(message=first)
    assert stored.filename == f"photo{CUSTOMER_ID}_457239017.jpg"
    assert stored.file.read() == PNG  # the largest size only
    person = User.objects.get(pk=ticket.requester_id)
    assert person.name == "Мария Иванова"
    assert Identity.objects.filter(user=person, kind="vk", value=str(CUSTOMER_ID)).exists()
    assert VkEvent.objects.get().outcome == "message"

    # The next message joins the same ticket.
    run_jobs(lambda: post_event(vk_community, message_event("Есть новости?")))
    assert Ticket.objects.count() == 1
    assert ticket.messages.count() == 2

    # The agent's reply, with a document, goes to the same chat through the library.
    run_jobs(lambda: add_message(ticket, by=alice, body="Вот инструкция.", attachments=[_pdf()]))
    [server] = vk_api.sent("docs.getMessagesUploadServer")
    assert server.params["peer_id"] == str(CUSTOMER_ID)
    [upload] = vk_api.uploads
    assert upload.files["file"][1] == b"%PDF-1.4 manual"
    [saved] = vk_api.sent("docs.save")
    assert saved.params["title"] == "manual.pdf"
    [sent] = vk_api.sent("messages.send")
    assert sent.params["peer_id"] == str(CUSTOMER_ID)
    assert sent.params["message"] == "Вот инструкция."
    assert sent.params["attachment"] == f"doc-{GROUP_ID}_1"
    assert sent.params["random_id"].isdigit()
    assert sent.params["v"] == "5.199"
    delivery = Delivery.objects.get(ticket=ticket)
    assert delivery.state == DeliveryState.SENT
    assert delivery.address == f"{vk_community.pk}:{CUSTOMER_ID}"


def test_an_image_the_agent_attaches_goes_as_a_message_photo(
    vk_community: VkCommunity, vk_api: VkServer, post_event: Any, run_jobs: Any, alice: User
) -> None:
    run_jobs(lambda: post_event(vk_community, message_event("Hi")))
    ticket = Ticket.objects.get()
    shot = IncomingFile(
        name="shot.png",
        content=SimpleUploadedFile("shot.png", PNG),
        size=len(PNG),
        content_type="image/png",
    )
    run_jobs(lambda: add_message(ticket, by=alice, body="Like this", attachments=[shot]))
    assert len(vk_api.sent("photos.getMessagesUploadServer")) == 1
    assert vk_api.uploads[0].files["photo"][1] == PNG
    [saved] = vk_api.sent("photos.saveMessagesPhoto")
    assert saved.params["hash"] == "h1"
    [sent] = vk_api.sent("messages.send")
    assert sent.params["attachment"] == f"photo-{GROUP_ID}_1_k1"


def test_documents_are_stored_and_a_file_over_the_limit_is_named_instead(
    vk_community: VkCommunity, vk_api: VkServer, post_event: Any, run_jobs: Any, settings: Any
) -> None:
    settings.MAX_ATTACHMENT_MB = 1
    csv = vk_api.add_file("doc/1.csv", b"a,b\n1,2\n")
    huge = vk_api.add_file("doc/2.bin", b"x" * (1024 * 1024 + 10))
    docs = [
        {"type": "doc", "doc": {"id": 1, "owner_id": 5, "title": "data", "ext": "csv", "url": csv}},
        # VK's size says nothing here: the download itself stops at the limit.
        {"type": "doc", "doc": {"id": 2, "owner_id": 5, "title": "dump.bin", "url": huge}},
        {"type": "sticker", "sticker": {"sticker_id": 9}},
    ]
    run_jobs(lambda: post_event(vk_community, message_event("", attachments=docs)))
    message = Ticket.objects.get().messages.get()
    [stored] = Attachment.objects.filter(message=message)
    assert stored.filename == "data.csv"
    assert stored.file.read() == b"a,b\n1,2\n"
    assert "dump.bin" in message.body
    assert "1 MB" in message.body


def test_a_wall_comment_opens_a_ticket_and_the_public_reply_answers_it_under_the_post(
    vk_community: VkCommunity, vk_api: VkServer, post_event: Any, run_jobs: Any, alice: User
) -> None:
    vk_api.posts[f"-{GROUP_ID}_{POST_ID}"] = "The new kettle is here!\nDetails inside."
    run_jobs(
        lambda: post_event(vk_community, comment_event("Do you ship to Kazan?", comment_id=301))
    )
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.VK
    assert ticket.subject == "The new kettle is here!"
    body = ticket.messages.get().body
    assert body.startswith("Do you ship to Kazan?")
    assert f"https://vk.com/wall-{GROUP_ID}_{POST_ID}?reply=301" in body

    # A second comment of the same person under the same post joins the ticket.
    run_jobs(lambda: post_event(vk_community, comment_event("And to Samara?", comment_id=305)))
    assert Ticket.objects.count() == 1

    run_jobs(lambda: add_message(ticket, by=alice, body="Yes, to both."))
    [reply] = vk_api.sent("wall.createComment")
    assert reply.params["owner_id"] == f"-{GROUP_ID}"
    assert reply.params["post_id"] == str(POST_ID)
    assert reply.params["from_group"] == str(GROUP_ID)
    assert reply.params["reply_to_comment"] == "305"
    assert reply.params["message"] == "Yes, to both."
    assert vk_api.sent("messages.send") == []  # never a private message
    assert Delivery.objects.get(ticket=ticket).state == DeliveryState.SENT


def test_messages_and_comments_of_one_person_stay_apart(
    vk_community: VkCommunity, vk_api: VkServer, post_event: Any, run_jobs: Any, alice: User
) -> None:
    run_jobs(lambda: post_event(vk_community, message_event("Private question")))
    run_jobs(lambda: post_event(vk_community, comment_event("Public question")))
    run_jobs(lambda: post_event(vk_community, comment_event("Other post", post_id=POST_ID + 1)))
    assert Ticket.objects.count() == 3
    assert len({t.requester_id for t in Ticket.objects.all()}) == 1
    private = Ticket.objects.get(subject="Private question")
    run_jobs(lambda: add_message(private, by=alice, body="Answer in private"))
    assert [c.params["message"] for c in vk_api.sent("messages.send")] == ["Answer in private"]
    assert vk_api.sent("wall.createComment") == []


def test_the_communitys_own_comments_and_group_chats_are_ignored(
    vk_community: VkCommunity, vk_api: VkServer, post_event: Any, run_jobs: Any
) -> None:
    run_jobs(lambda: post_event(vk_community, comment_event("Our reply", user_id=-GROUP_ID)))
    chat = message_event("In a group chat")
    chat["object"]["message"]["peer_id"] = 2_000_000_001
    run_jobs(lambda: post_event(vk_community, chat))
    assert not Ticket.objects.exists()
    assert set(VkEvent.objects.values_list("outcome", flat=True)) == {"ignored"}


def test_a_long_reply_goes_in_pieces_each_sent_once(
    vk_community: VkCommunity, vk_api: VkServer, post_event: Any, run_jobs: Any, alice: User
) -> None:
    run_jobs(lambda: post_event(vk_community, message_event("Hi")))
    ticket = Ticket.objects.get()
    run_jobs(lambda: add_message(ticket, by=alice, body="\n".join(["x" * 3000, "y" * 3000])))
    sent = vk_api.sent("messages.send")
    assert [c.params["message"][0] for c in sent] == ["x", "y"]
    assert len({c.params["random_id"] for c in sent}) == 2
    assert Conversation.objects.get().ticket_id == ticket.pk
