"""Long polling, for a desk without a public address: a periodic job asks each polling
bot's server for the updates since the offset kept in the database.

Each run is bounded (`BATCH` updates per bot, no waiting for new ones); the offset moves
past each update once it is handled, so a run that stops half-way loses nothing and a
second one running at the same time only finds updates already noted.
"""

from __future__ import annotations

import logging

from opora.messengers import actions
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
        intake.take(bot, update)
        bot.update_offset = update.update_id + 1
        TelegramBot.objects.filter(pk=bot.pk).update(update_offset=bot.update_offset)
        handled += 1
    if handled:  # traffic flows; an error shown stays until then (or a Test)
        actions.note_result(bot)
    return handled


def poll_all() -> int:
    bots = TelegramBot.objects.filter(active=True, mode=BotMode.POLLING).order_by("id")[:MAX_BOTS]
    return sum(poll(bot) for bot in bots)
