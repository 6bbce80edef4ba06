from __future__ import annotations

from django.apps import AppConfig


class MessengersConfig(AppConfig):
    name = "opora.messengers"
    label = "messengers"
    verbose_name = "Messengers"

    def ready(self) -> None:
        from opora.inbox.channels import register
        from opora.messengers.telegram.adapter import TelegramAdapter
        from opora.messengers.vk.adapter import VkAdapter
        from opora.messengers.whatsapp.adapter import WhatsAppAdapter

        # The desk's public replies on messenger tickets go out through the outbox.
        register(TelegramAdapter())
        register(VkAdapter())
        register(WhatsAppAdapter())
