"""Writes of automation that entry points call; the answer bot's own work is in bot.py."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import Language, Team, User
from opora.automation import bot, errors
from opora.automation.models import BotSettings
from opora.automation.selectors import access_bot_settings, access_team_bot
from opora.core.errors import ValidationFailed
from opora.kb.models import Article

MAX_ARTICLES = 500


def _languages(values: Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    unknown = [v for v in values if v not in Language.values]
    if unknown:
        raise ValidationFailed(
            errors.INVALID_LANGUAGE, _("Choose languages among “en” and “ru”."), field="languages"
        )
    return list(values)


def _articles(values: Sequence[int] | None) -> list[int] | None:
    if values is None:
        return None
    ids = sorted(set(values))
    if len(ids) > MAX_ARTICLES:
        raise ValidationFailed(
            errors.INVALID_ARTICLES,
            _("At most %(count)s articles.") % {"count": MAX_ARTICLES},
            field="articles",
        )
    found = set(Article.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if found != set(ids):
        raise ValidationFailed(
            errors.INVALID_ARTICLES, _("Some of these articles do not exist."), field="articles"
        )
    return ids


@transaction.atomic
def configure_bot(
    *,
    by: User,
    team_id: int | None,
    enabled: bool,
    threshold: float,
    languages: Sequence[str] | None = None,
    articles: Sequence[int] | None = None,
) -> BotSettings:
    """Turn the bot on or off for a team (None: requests not yet in a team), with its
    threshold, and (when given) the languages it answers and the articles it may offer."""
    access_bot_settings(by)
    # Checked here rather than left to the foreign key, which PostgreSQL refuses at
    # once and SQLite only at commit: either way a 500 instead of a clear answer.
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        raise ValidationFailed(errors.UNKNOWN_TEAM, _("No such team."), field="team")
    access_team_bot(by, team_id)
    if not 0 <= threshold <= 1:
        raise ValidationFailed(
            errors.INVALID_THRESHOLD, _("A threshold from 0 to 1."), field="threshold"
        )
    return bot.configure_bot(
        team_id=team_id,
        enabled=enabled,
        threshold=threshold,
        languages=_languages(languages),
        articles=_articles(articles),
        by=by,
    )
