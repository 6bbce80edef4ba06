from __future__ import annotations

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "opora.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from opora.core.dispatch import subscribe
        from opora.core.lifecycle import WorkerStarting
        from opora.monitoring import report_panels, runner, tasks  # noqa: F401 - registers jobs
        from opora.reports.panels import register_panel

        subscribe(WorkerStarting, runner.start_with_worker)
        register_panel(report_panels.incidents_panel)
