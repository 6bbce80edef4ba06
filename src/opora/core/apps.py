from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opora.core"
    label = "core"
    verbose_name = "Opora"

    def ready(self) -> None:
        # The `<id:…>` URL converter, before any URL pattern is read.
        # Each app's tasks.py registers its jobs and periodic schedules on import.
        from django.utils.module_loading import autodiscover_modules

        import opora.core.lookups
        import opora.core.numbers  # noqa: F401

        autodiscover_modules("tasks")
