from __future__ import annotations

from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "opora.sla"
    label = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        # Connects the signals that drop the policies and calendars a process keeps.
        from opora.sla import config  # noqa: F401
