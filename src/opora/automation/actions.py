"""Writes of automation that entry points call; the answer bot's own work is in bot.py."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import Language, Team, User
from opora.automation import bot, coach, errors
from opora.automation.models import BotSettings
from opora.automation.selectors import access_bot_settings, access_coach_rules, access_team_bot
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
    skip: dict[str, bool] | None = None,
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
        skip=skip,
        by=by,
    )


PHRASE_FIELDS = ("phrases", "unless")
MAX_PHRASES = 200


def _phrase_lists(values: dict[str, list[str]], field: str) -> dict[str, list[str]]:
    """Per-language phrase lists, trimmed; a phrase that is no valid pattern is refused."""
    cleaned: dict[str, list[str]] = {}
    for language, phrases in values.items():
        if language not in Language.values:
            raise ValidationFailed(
                errors.INVALID_LANGUAGE, _("Choose languages among “en” and “ru”."), field=field
            )
        kept = [p.strip() for p in phrases if p.strip()]
        if len(kept) > MAX_PHRASES:
            raise ValidationFailed(
                errors.INVALID_PHRASE,
                _("At most %(count)s phrases per language.") % {"count": MAX_PHRASES},
                field=field,
            )
        bad = [p for p in kept if not coach.valid_phrase(p)]
        if bad:
            raise ValidationFailed(
                errors.INVALID_PHRASE,
                _("Not a valid phrase or pattern: %(phrase)s") % {"phrase": bad[0]},
                field=field,
            )
        cleaned[language] = kept
    return cleaned


@transaction.atomic
def configure_coach_rule(
    *,
    by: User,
    key: str,
    enabled: bool,
    phrases: dict[str, list[str]] | None = None,
    unless: dict[str, list[str]] | None = None,
    fix: dict[str, str] | None = None,
) -> coach.Rule:
    """Turn a reply-coach rule on or off and change its phrases (None: as they are)."""
    access_coach_rules(by)
    current = next((r for r in coach.rule_set() if r.key == key), None)
    if current is None:
        raise ValidationFailed(errors.UNKNOWN_RULE, _("No such rule."), field="key")
    fixes = current.fix if fix is None else {k: v.strip() for k, v in fix.items()}
    if any(k not in Language.values for k in fixes):
        raise ValidationFailed(
            errors.INVALID_LANGUAGE, _("Choose languages among “en” and “ru”."), field="fix"
        )
    coach.save_rule(
        key,
        enabled=enabled,
        phrases=current.phrases if phrases is None else _phrase_lists(phrases, "phrases"),
        unless=current.unless if unless is None else _phrase_lists(unless, "unless"),
        fix=fixes,
        by=by,
    )
    return next(r for r in coach.rule_set() if r.key == key)
