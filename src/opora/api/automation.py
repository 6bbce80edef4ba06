"""The answer bot: its settings per team, its figures, and the requester's answer to it.

The operation ids keep the names these endpoints had when they lived in api/kb.py:
generated clients are built from them.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.params.functions import Query

from opora.accounts.tokens import TICKETS
from opora.api.common import ErrorOut, StrictInput, current_user, needs_scope
from opora.automation import actions, bot, errors
from opora.automation.models import BotSettings
from opora.automation.selectors import (
    access_bot_question,
    access_bot_settings,
    access_team_bot,
    access_team_bot_stats,
    bot_settings_of,
)
from opora.core.errors import ValidationFailed

router = Router(tags=["answer bot"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class BotSettingsIn(StrictInput):
    team: int | None = None
    enabled: bool
    threshold: float = Field(0.5, ge=0, le=1)
    languages: list[Literal["en", "ru"]] | None = Field(
        None, description="languages of requests it answers; [] every language; null: unchanged"
    )
    articles: list[int] | None = Field(
        None,
        max_length=500,
        description="ids of the only articles it may offer; [] every one; null: unchanged",
    )
    skip_complaints: bool | None = Field(
        None, description="leave complaints to people (default on); null: unchanged"
    )
    skip_urgent: bool | None = Field(
        None, description="leave urgent and angry requests to people (default on); null: unchanged"
    )
    skip_vip: bool | None = Field(
        None,
        description="leave VIP organizations' requests to people (default on); null: unchanged",
    )


class BotSettingsOut(Schema):
    team: int | None
    enabled: bool
    threshold: float
    languages: list[str]
    articles: list[int]
    skip_complaints: bool
    skip_urgent: bool
    skip_vip: bool


def _settings_out(found: BotSettings) -> dict[str, Any]:
    return {
        "team": found.team_id,
        "enabled": found.enabled,
        "threshold": found.threshold,
        "languages": list(found.languages or []),
        "articles": list(found.articles or []),
        "skip_complaints": found.skip_complaints,
        "skip_urgent": found.skip_urgent,
        "skip_vip": found.skip_vip,
    }


class FeedbackIn(StrictInput):
    solved: bool


class ArticleUseOut(Schema):
    id: int
    title: str
    count: int


class UnansweredOut(Schema):
    subject: str
    count: int


class BotStatsOut(Schema):
    offered: int
    solved: int
    handed_off: int
    awaiting: int
    no_match: int
    resolution_rate: float = Field(description="solved / offered")
    suggestions_shown: int
    deflections: int
    deflection_rate: float = Field(description="deflections / suggestions shown")
    questions: int = Field(description="requests the bot looked at: offered + no_match")
    handoff_rate: float = Field(description="handed_off / offered")
    top_articles: list[ArticleUseOut] = Field(description="articles offered most often")
    top_unanswered: list[UnansweredOut] = Field(
        description="subjects of requests it had no article for, most frequent first"
    )
    skipped: int = Field(
        0, description="requests it left to a person at once (complaint, urgent, angry, VIP)"
    )
    skipped_by_reason: dict[str, int] = Field(default_factory=dict)


@router.post(
    "/bot/settings",
    response={200: BotSettingsOut, **ERRORS},
    summary="Turn the answer bot on or off for a team",
    operation_id="opora_api_kb_configure_bot",
)
def configure_bot(request: HttpRequest, payload: BotSettingsIn) -> dict[str, Any]:
    user = current_user(request)
    access_bot_settings(user)
    found = actions.configure_bot(
        by=user,
        team_id=payload.team,
        enabled=payload.enabled,
        threshold=payload.threshold,
        languages=payload.languages,
        articles=payload.articles,
        skip={
            name: value for name in bot.SKIP_FIELDS if (value := getattr(payload, name)) is not None
        },
    )
    return _settings_out(found)


@router.get(
    "/bot/settings",
    response={200: BotSettingsOut, **ERRORS},
    summary="The answer bot's settings for a team (team leads: their teams; admins)",
    operation_id="opora_api_bot_settings",
)
def bot_settings(request: HttpRequest, team: int | None = None) -> dict[str, Any]:
    user = current_user(request)
    access_team_bot(user, team)
    return _settings_out(bot_settings_of(team))


@router.get(
    "/bot/stats",
    response={200: BotStatsOut, **ERRORS},
    summary="What the answer bot did in a period, for a team or the desk",
    operation_id="opora_api_kb_bot_stats",
)
def bot_stats(
    request: HttpRequest,
    team: int | None = Query(None, description="one team's figures (its leads and admins)"),
    start: date | None = Query(None, description="first day, inclusive (UTC)"),
    end: date | None = Query(None, description="last day, inclusive (UTC)"),
) -> dict[str, Any]:
    access_team_bot_stats(current_user(request), team)
    if start is not None and end is not None and end < start:
        raise ValidationFailed(
            errors.INVALID_PERIOD, _("The end comes before the start."), field="end"
        )
    return asdict(
        bot.bot_stats(
            team_id=team,
            start=day_start(start) if start is not None else None,
            end=day_start(end + timedelta(days=1)) if end is not None else None,
        )
    )


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@router.post(
    "/bot/tickets/{number}/feedback",
    response={204: None, **ERRORS},
    summary="Answer “did this solve your question?”",
    operation_id="opora_api_kb_bot_feedback",
    openapi_extra=needs_scope(TICKETS),
)
def bot_feedback(request: HttpRequest, number: int, payload: FeedbackIn) -> Status[None]:
    ticket = access_bot_question(current_user(request), number)
    bot.give_feedback(ticket, solved=payload.solved)
    return Status(204, None)
