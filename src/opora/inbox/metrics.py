"""The outbox in /metrics: deliveries by channel and state, read from the database at
scrape time (the same figures on every node); attempts are counted per process in
`core.metrics.DELIVERY_ATTEMPTS`."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from opora.inbox.models import Delivery, DeliveryState


class DeliveryCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "opora_deliveries",
            "The desk's messages to customers in the outbox, by channel and state.",
            labels=["channel", "state"],
        )
        counts = dict.fromkeys(
            ((channel, state) for channel in _channels() for state in DeliveryState.values), 0
        )
        rows = Delivery.objects.values_list("channel", "state").annotate(n=Count("id")).order_by()
        for channel, state, n in rows:
            counts[(channel, state)] = n
        for (channel, state), n in sorted(counts.items()):
            gauge.add_metric([channel, state], n)
        yield gauge


def _channels() -> list[str]:
    from opora.inbox.channels import registered

    return sorted(registered())
