from __future__ import annotations

from django.apps import AppConfig


class MessengersConfig(AppConfig):
    name = "opora.messengers"
    label = "messengers"
    verbose_name = "Messengers"

    def ready(self) -> None:
        from opora.core import lean
        from opora.inbox.channels import register
        from opora.messengers.telegram.adapter import TelegramAdapter
        from opora.messengers.vk.adapter import VkAdapter
        from opora.messengers.whatsapp.adapter import WhatsAppAdapter

        # The desk's public replies on messenger tickets go out through the outbox.
        register(TelegramAdapter())
        register(VkAdapter())
        register(WhatsAppAdapter())
        # The providers' webhooks (every pattern of messengers/urls.py, mounted under
        # /channels/ in opora/urls.py) need none of the pages' middleware.
        lean.register("/channels/", "opora.messengers.urls")
        # Their usual updates are answered in `opora serve`'s event loop and stored a
        # group at a time (`webhooks.py`); the views answer the rest.
        from opora.messengers import views, webhooks
        from opora.messengers.vk.callback import vk_callback
        from opora.messengers.whatsapp.views import whatsapp_webhook

        lean.register_async(views.telegram_webhook, webhooks.TelegramHandler())
        lean.register_async(vk_callback, webhooks.VkHandler())
        lean.register_async(whatsapp_webhook, webhooks.WhatsAppHandler())

        from opora.core.dispatch import subscribe
        from opora.core.lifecycle import WorkerStarting
        from opora.messengers.vk.client import warm_up_with_worker

        subscribe(WorkerStarting, warm_up_with_worker)
