from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "opora.portal"
    label = "portal"
    verbose_name = "Customer portal"
