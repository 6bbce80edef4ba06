from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "opora.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Core's WebSocket plumbing knows no users; it asks accounts who connected.
        from opora.accounts.realtime import queue_listener
        from opora.core.realtime import set_authenticator

        set_authenticator(queue_listener)
