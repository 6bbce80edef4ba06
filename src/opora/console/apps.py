from __future__ import annotations

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "opora.console"
    label = "console"
    verbose_name = "Admin console"
