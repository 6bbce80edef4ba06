from __future__ import annotations

from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "opora.crm"
    label = "crm"
    verbose_name = "Customer records"
