"""Background jobs of the messengers (found by core's task autodiscovery)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django_tasks import task
from django_tasks.base import Task

from opora.core.scheduler import register_periodic

# Telegram retries a webhook for a day at most: older notes of handled updates go.
KEEP_UPDATES = timedelta(days=3)


@task()
def poll_telegram_task() -> int:
    """Bots in polling mode fetch what their people wrote."""
    from opora.messengers.telegram.polling import poll_all

    return poll_all()


@task()
def drain_telegram_task(lane: int | None = None) -> int:
    """Every stored Telegram update of one drain lane still waiting (every lane when
    None), taken in in batches (`drain.py`)."""
    from opora.messengers import drain
    from opora.messengers.telegram import client, intake

    with client.sessions():  # one session per bot for the whole run, not per batch
        return drain.run_lanes(intake.DRAIN, intake.waiting, intake.take_many, lane)


@task()
def deliver_replies_task(channel: str, account: str) -> int:
    """Every reply waiting for one messenger account, sent in one run (`outbox.py`)."""
    from opora.messengers import outbox

    return outbox.run(channel, account)


@task()
def forget_telegram_updates_task() -> int:
    """Handled updates go after three days; waiting ones left by a drain that stopped
    are taken in (the drain queued again)."""
    from opora.core import clock
    from opora.messengers import drain
    from opora.messengers.models import TelegramUpdate
    from opora.messengers.telegram import intake

    deleted, _ = TelegramUpdate.objects.filter(received_at__lt=clock.now() - KEEP_UPDATES).delete()
    if intake.waiting().filter(received_at__lt=clock.now() - timedelta(minutes=2)).exists():
        for lane in range(drain.lanes()):
            drain.unstick(drain.lane_name(intake.DRAIN, lane))
        drain.request_lanes(intake.DRAIN, drain_telegram_task)
    return deleted


register_periodic(poll_telegram_task, every=timedelta(seconds=5))
register_periodic(forget_telegram_updates_task, every=timedelta(minutes=5))


@task()
def drain_vk_task(lane: int | None = None) -> int:
    """Every stored VK event of one drain lane still waiting (every lane when None),
    taken in in batches (`drain.py`)."""
    from opora.messengers import drain
    from opora.messengers.vk import client, intake

    with client.sessions():  # one session per community for the whole run
        return drain.run_lanes(intake.DRAIN, intake.waiting, intake.take_many, lane)


@task()
def take_vk_event_task(event_pk: int) -> int:
    """Kept for jobs queued before the drain: the drain takes the event in."""
    return drain_vk_task.call()


@task()
def sweep_vk_events_task() -> int:
    """Events a drain did not finish are taken in (three attempts at most); handled
    ones are forgotten after three days (VK stops sending an event again long before).
    Returns how many were waiting."""
    from opora.messengers.vk import intake

    return sweep(intake.DRAIN, intake.waiting, drain_vk_task)


def sweep(name: str, waiting: Callable[[], QuerySet[Any]], drain_task: Task[Any, Any]) -> int:
    """Forget the stored updates of drain `name` older than KEEP_UPDATES, and queue its
    lanes again when some still wait after a drain should have taken them; how many
    wait so."""
    from opora.core import clock
    from opora.messengers import drain

    now = clock.now()
    waiting().model.objects.filter(received_at__lt=now - KEEP_UPDATES).delete()
    stuck = int(waiting().filter(received_at__lt=now - timedelta(minutes=2)).count())
    if stuck:
        for lane in range(drain.lanes()):
            drain.unstick(drain.lane_name(name, lane))
        drain.request_lanes(name, drain_task)
    return stuck


register_periodic(sweep_vk_events_task, every=timedelta(minutes=5))


@task()
def drain_whatsapp_task(lane: int | None = None) -> int:
    """Every stored WhatsApp message and status of one drain lane still waiting (every
    lane when None), taken in in batches (`drain.py`)."""
    from opora.messengers import drain
    from opora.messengers.whatsapp import intake

    return drain.run_lanes(intake.DRAIN, intake.waiting, intake.take_many, lane)


@task()
def sweep_whatsapp_task() -> int:
    """Messages and statuses a drain did not finish are taken in (three attempts at
    most); handled ones are forgotten after three days (Meta stops retrying a webhook
    long before). Returns how many were waiting."""
    from opora.messengers.whatsapp import intake

    return sweep(intake.DRAIN, intake.waiting, drain_whatsapp_task)


register_periodic(sweep_whatsapp_task, every=timedelta(minutes=5))
