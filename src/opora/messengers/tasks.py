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
