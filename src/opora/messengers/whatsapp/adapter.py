"""WhatsApp's way out: the desk's public replies on a WhatsApp ticket, sent to the
number the person wrote from, through the desk's number that chat belongs to.

- Free text (in pieces of 4,096 characters) and files (uploaded, then sent by media
  id) only within the 24-hour window; an agent's reply outside it is refused while it
  is being stored (`window.refuse_outside`), so nothing is written and the agent is
  offered a template. A desk message that is not an agent's (the answer bot's, a
  notice) is stored, and its delivery fails with the reason.
- A template reply (`WhatsAppTemplateReply`) goes as a template message, in or out of
  the window.
- The outbox retries with backoff what fails here; refusals that trying again will not
  change fail at once: 131047 (the window closed, as WhatsApp counts it), 131026 (the
  person cannot be reached: marked unreachable until they write again), a removed or
  turned-off number, a token or request WhatsApp refuses.

Each message sent is noted by its id (`WhatsAppSent`), so the statuses WhatsApp posts
later (delivered, read, failed) find the delivery they are about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opora.inbox.channels import DeliveryFailed
from opora.messengers.conversations import mark_unreachable, split_text
from opora.messengers.models import (
    Conversation,
    WhatsAppNumber,
    WhatsAppSent,
    WhatsAppTemplateReply,
)
from opora.messengers.selectors import conversation_for
from opora.messengers.whatsapp import actions, client, window
from opora.tickets.models import Channel, Message, Ticket

if TYPE_CHECKING:
    from opora.inbox.models import Delivery


def _files(message: Message) -> list[client.OutgoingFile]:
    out = []
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            data = handle.read()
        out.append(
            client.OutgoingFile(
                name=attachment.filename, data=data, content_type=attachment.content_type
            )
        )
    return out


def _transient(exc: BaseException) -> bool:
    """Worth trying again: the network, the server's own trouble, a rate limit."""
    code = client.error_code(exc)
    if code is None:
        return True  # a connection refused, a timeout
    status = client.http_status(exc)
    return status >= 500 or status == 429 or code in (1, 2, 4, 80007, 130429, 131000, 131016)


class WhatsAppAdapter:
    channel: str = Channel.WHATSAPP.value
    # The person reads it when WhatsApp brings it: a worker sends it.
    immediate = False

    def address_for(self, ticket: Ticket, message: Message | None) -> str | None:
        found = conversation_for(ticket, self.channel)
        if found is None:
            return None
        if message is not None and not message.automated:
            # An agent's free text outside the window: refused, nothing is written.
            window.refuse_outside(found)
        return f"{found.account_id}:{found.chat_id}"

    def deliver(self, delivery: Delivery) -> str:
        account, _, wa_id = delivery.address.partition(":")
        number = WhatsAppNumber.objects.filter(pk=int(account) if account.isdigit() else 0).first()
        if number is None or not number.active:
            raise DeliveryFailed(
                "The WhatsApp number of this chat was removed or turned off.", permanent=True
            )
        chat = Conversation.objects.filter(
            channel=self.channel, account_id=number.pk, chat_id=wa_id
        ).first()
        if chat is not None and chat.unreachable_at is not None:
            raise DeliveryFailed(
                f"The customer is unreachable on WhatsApp: {chat.unreachable_reason}",
                permanent=True,
            )
        message = Message.objects.prefetch_related("attachments").get(
            pk=delivery.ticket_message_id or 0
        )
        template = WhatsAppTemplateReply.objects.filter(message_id=message.pk).first()
        endpoint = client.Endpoint.of(number)
        try:
            if template is not None:
                ids = [
                    client.send_template(
                        endpoint, wa_id, template.name, template.language, template.params
                    )
                ]
            else:
                if chat is not None and not window.is_open(chat):
                    raise DeliveryFailed(
                        "The 24-hour window is closed: only a template may be sent.",
                        permanent=True,
                    )
                texts = split_text(message.body, client.MAX_TEXT)
                files = _files(message)
                if not texts and not files:
                    return ""
                ids = client.send(endpoint, wa_id, texts, files)
        except DeliveryFailed:
            raise
        except Exception as exc:
            raise self._failure(exc, number, chat) from None
        actions.note_result(number)
        WhatsAppSent.objects.bulk_create(
            [WhatsAppSent(number=number, wamid=i[:200], delivery_id=delivery.pk) for i in ids],
            ignore_conflicts=True,
        )
        return ",".join(ids)[:255]

    def _failure(
        self, exc: BaseException, number: WhatsAppNumber, chat: Conversation | None
    ) -> DeliveryFailed:
        reason = client.describe(exc, number.access_token)
        code = client.error_code(exc)
        if code == client.REENGAGEMENT:
            if chat is not None:
                window.close(chat)
            return DeliveryFailed(
                f"The 24-hour window is closed: only a template may be sent ({reason})",
                permanent=True,
            )
        if code == client.UNDELIVERABLE:
            if chat is not None:
                mark_unreachable(chat, reason)
            return DeliveryFailed(
                f"The customer is unreachable on WhatsApp ({reason})", permanent=True
            )
        actions.note_result(number, error=reason)
        return DeliveryFailed(reason, permanent=not _transient(exc))
