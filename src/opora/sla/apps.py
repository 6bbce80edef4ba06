from __future__ import annotations

from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "opora.sla"
    label = "sla"
    verbose_name = "SLA"
