from __future__ import annotations

from django.apps import AppConfig


class TelephonyConfig(AppConfig):
    name = "opora.telephony"
    label = "telephony"
    verbose_name = "Telephony"
