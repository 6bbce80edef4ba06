"""Background jobs of the messengers (found by core's task autodiscovery)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from opora.core.scheduler import register_periodic

# Telegram retries a webhook for a day at most: older notes of handled updates go.
KEEP_UPDATES = timedelta(days=3)


@task()
def poll_telegram_task() -> int:
    """Bots in polling mode fetch what their people wrote."""
    from opora.messengers.telegram.polling import poll_all

    return poll_all()


@task()
def forget_telegram_updates_task() -> int:
    from opora.core import clock
    from opora.messengers.models import TelegramUpdate

    deleted, _ = TelegramUpdate.objects.filter(received_at__lt=clock.now() - KEEP_UPDATES).delete()
    return deleted


register_periodic(poll_telegram_task, every=timedelta(seconds=5))
register_periodic(forget_telegram_updates_task, every=timedelta(hours=6))


@task()
def take_vk_event_task(event_pk: int) -> str:
    """A VK community's event, after the desk told VK "ok"."""
    from opora.messengers.vk.intake import take

    return take(event_pk)


@task()
def sweep_vk_events_task() -> int:
    """Events a job did not finish are tried again (three times at most); handled ones
    are forgotten after three days (VK stops sending an event again long before)."""
    from opora.core import clock
    from opora.messengers.models import VkEvent

    now = clock.now()
    VkEvent.objects.filter(received_at__lt=now - KEEP_UPDATES).delete()
    stuck = list(
        VkEvent.objects.filter(
            handled_at__isnull=True, attempts__lt=3, received_at__lt=now - timedelta(minutes=2)
        )
        .order_by("id")
        .values_list("pk", flat=True)[:200]
    )
    for pk in stuck:
        take_vk_event_task.enqueue(pk)
    return len(stuck)


register_periodic(sweep_vk_events_task, every=timedelta(minutes=5))
