from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opora.core"
    label = "core"
    verbose_name = "Opora"

    def ready(self) -> None:
        # Each app's tasks.py registers its jobs and periodic schedules on import.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
