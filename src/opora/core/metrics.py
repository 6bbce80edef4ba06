"""Prometheus metrics: request latency by route, the job queue, e-mail ingest and
delivery counters, and whatever figures domain apps add.

Other modules increment the counters defined here, e.g.
`metrics.EMAIL_INGESTED.labels(result="ticket").inc()`. A domain app whose figures are
read from the database at scrape time adds a collector with `register_collector` in
its AppConfig.ready() (core imports no domain app).

Several web processes: `opora serve` runs prometheus-client in multiprocess mode (see
opora.cli: it points PROMETHEUS_MULTIPROC_DIR at a fresh directory before anything
imports prometheus_client), so each process writes its samples to files there and
/metrics on any process of a node answers the sum over that node's processes. Across
nodes, Prometheus scrapes each node and labels series by instance. Queue figures come
from the database at scrape time, so they are the same for the whole cluster.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

REQUEST_LATENCY = Histogram(
    "opora_http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern, method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TASKS_FINISHED = Counter(
    "opora_task_runs",
    "Background jobs run by workers of this node, by outcome.",
    ["outcome"],
)
EMAIL_INGESTED = Counter(
    "opora_email_ingested",
    "Incoming e-mails processed, by result (ticket, reply, rejected, duplicate, error).",
    ["result"],
)
EMAIL_FETCH_ERRORS = Counter(
    "opora_email_fetch_errors",
    "Failed attempts to fetch mail from a mailbox.",
)
DELIVERY_ATTEMPTS = Counter(
    "opora_delivery_attempts",
    "Attempts to deliver the desk's messages to customers, by channel and result "
    "(sent, retry, failed).",
    ["channel", "result"],
)
# Collectors read at every scrape, added by domain apps (`register_collector`).
_COLLECTORS: list[Collector] = []


def register_collector(collector: Collector) -> None:
    """Add figures to /metrics that are read when Prometheus scrapes (from the
    database, so the same on every node); call from an AppConfig.ready()."""
    if not any(type(c) is type(collector) for c in _COLLECTORS):  # ready() may run twice
        _COLLECTORS.append(collector)


def _route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    # The URL pattern, never the path itself: /api/v1/tickets/<number> stays one series.
    return str(match.route) if match is not None and match.route else "unmatched"


def _observe(request: HttpRequest, response: HttpResponse, started: float) -> None:
    REQUEST_LATENCY.labels(
        route=_route_of(request),
        method=request.method or "",
        status=f"{response.status_code // 100}xx",
    ).observe(time.perf_counter() - started)


def MetricsMiddleware(
    get_response: Callable[[HttpRequest], Any],
) -> Callable[[HttpRequest], Any]:
    """Time every request; works in both sync and async middleware chains."""
    if iscoroutinefunction(get_response):

        async def async_middleware(request: HttpRequest) -> HttpResponse:
            started = time.perf_counter()
            response: HttpResponse = await get_response(request)
            _observe(request, response, started)
            return response

        return markcoroutinefunction(async_middleware)

    def middleware(request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response: HttpResponse = get_response(request)
        _observe(request, response, started)
        return response

    return middleware


MetricsMiddleware.sync_capable = True  # type: ignore[attr-defined]
MetricsMiddleware.async_capable = True  # type: ignore[attr-defined]


class QueueCollector(Collector):
    """Job queue figures read from the database when Prometheus scrapes."""

    def collect(self) -> Iterator[Metric]:
        from django.db.models import Count
        from django_tasks_db.models import DBTaskResult

        from opora.core.heartbeat import live_workers

        by_status = dict(
            DBTaskResult.objects.values_list("status").annotate(n=Count("id")).order_by()
        )
        jobs = GaugeMetricFamily(
            "opora_tasks", "Background jobs in the database queue, by status.", labels=["status"]
        )
        for status in ("READY", "RUNNING", "SUCCESSFUL", "FAILED"):
            jobs.add_metric([status.lower()], by_status.get(status, 0))
        yield jobs
        yield GaugeMetricFamily(
            "opora_task_queue_depth", "Jobs waiting to run.", value=by_status.get("READY", 0)
        )
        yield GaugeMetricFamily(
            "opora_task_failures", "Jobs that ended in failure.", value=by_status.get("FAILED", 0)
        )
        yield GaugeMetricFamily(
            "opora_workers_alive", "Job workers with a fresh heartbeat.", value=len(live_workers())
        )


def render() -> tuple[bytes, str]:
    """The text exposition of every metric of this node."""
    registry: CollectorRegistry
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = CollectorRegistry()
        for collector in (
            REQUEST_LATENCY,
            TASKS_FINISHED,
            EMAIL_INGESTED,
            EMAIL_FETCH_ERRORS,
            DELIVERY_ATTEMPTS,
        ):
            registry.register(collector)
    registry.register(QueueCollector())
    for added in _COLLECTORS:
        registry.register(added)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def metrics_view(request: HttpRequest) -> HttpResponse:
    body, content_type = render()
    return HttpResponse(body, content_type=content_type)


def count_finished_task(sender: Any, task_result: Any, **kwargs: Any) -> None:
    TASKS_FINISHED.labels(outcome=str(task_result.status).lower()).inc()


def connect_task_metrics() -> None:
    """Count jobs as this process's workers finish them (metrics only, no business logic)."""
    from django_tasks.signals import task_finished

    task_finished.connect(count_finished_task, dispatch_uid="opora-task-metrics")
