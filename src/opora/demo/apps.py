from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "opora.demo"
    label = "demo"
    verbose_name = "Demo data"

    def ready(self) -> None:
        from opora.core.dispatch import subscribe
        from opora.core.lifecycle import EmbeddedServerStarting
        from opora.demo.simulator import start_for_demo

        subscribe(EmbeddedServerStarting, start_for_demo)
