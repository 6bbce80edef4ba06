"""Background jobs of the live chat (found by core's task autodiscovery)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from opora.core.scheduler import register_periodic


@task()
def route_chats_task() -> int:
    """Offers not accepted in time move on; waiting chats are offered to agents."""
    from opora.chat.routing import sweep

    return sweep()


register_periodic(route_chats_task, every=timedelta(seconds=10))
