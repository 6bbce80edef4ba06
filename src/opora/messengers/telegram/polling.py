"""Long polling, for a desk without a public address: a periodic job asks each polling
bot's server for the updates since the offset kept in the database.

Each run is bounded (`BATCH` updates per bot, no waiting for new ones); the updates are
stored as the webhook stores them and the offset moves past them, then the drain takes
them in (`drain.py`): a run that stops half-way loses nothing (the sweep drains what
was stored) and a second one running at the same time only finds updates stored.
"""

from __future__ import annotations

import logging

from opora.messengers import actions, drain
from opora.messengers.models import BotMode, TelegramBot
from opora.messengers.telegram import client, intake

logger = logging.getLogger("opora.messengers.telegram")
BATCH = 100
MAX_BOTS = 50  # per run; the scheduler runs it again in seconds


def poll(bot: TelegramBot) -> int:
    """Fetch and take in the waiting updates of one bot; how many were handled."""
    try:
        updates = client.get_updates(client.Endpoint.of(bot), offset=bot.update_offset, limit=BATCH)
    except Exception as exc:
        error = client.describe(exc, bot.token)
        actions.note_result(bot, error=error)
        logger.warning("telegram bot %s: getUpdates failed: %s", bot.pk, error)
        return 0
    handled = 0
    for update in sorted(updates, key=lambda u: u.update_id):
        intake.keep(bot.pk, update.update_id, update.to_dict())
        handled += 1
    if handled:  # traffic flows; an error shown stays until then (or a Test)
        # Stored: the offset moves past them, the drain takes them in.
        bot.update_offset = max(u.update_id for u in updates) + 1
        TelegramBot.objects.filter(pk=bot.pk).update(update_offset=bot.update_offset)
        actions.note_result(bot)
    return handled


def poll_all() -> int:
    """Poll every polling bot, then take in what they fetched (the same drain as the
    webhooks')."""
    bots = TelegramBot.objects.filter(active=True, mode=BotMode.POLLING).order_by("id")[:MAX_BOTS]
    fetched = sum(poll(bot) for bot in bots)
    if fetched:
        drain.run_lanes(intake.DRAIN, intake.waiting, intake.take_many)
    return fetched
