"""Writes of automation that entry points call; the answer bot's own work is in bot.py."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import Team, User
from opora.automation import bot, errors
from opora.automation.models import BotSettings
from opora.automation.selectors import access_bot_settings, access_team_bot
from opora.core.errors import ValidationFailed


@transaction.atomic
def configure_bot(*, by: User, team_id: int | None, enabled: bool, threshold: float) -> BotSettings:
    """Turn the bot on or off for a team (None: requests not yet in a team)."""
    access_bot_settings(by)
    # Checked here rather than left to the foreign key, which PostgreSQL refuses at
    # once and SQLite only at commit: either way a 500 instead of a clear answer.
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        raise ValidationFailed(errors.UNKNOWN_TEAM, _("No such team."), field="team")
    access_team_bot(by, team_id)
    return bot.configure_bot(team_id=team_id, enabled=enabled, threshold=threshold)
