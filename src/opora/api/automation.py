"""The answer bot: its settings per team, its figures, and the requester's answer to it.

The operation ids keep the names these endpoints had when they lived in api/kb.py:
generated clients are built from them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from opora.accounts.tokens import TICKETS
from opora.api.common import ErrorOut, StrictInput, current_user, needs_scope
from opora.automation import actions, bot
from opora.automation.selectors import (
    access_bot_question,
    access_bot_settings,
    access_bot_stats,
)

router = Router(tags=["answer bot"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class BotSettingsIn(StrictInput):
    team: int | None = None
    enabled: bool
    threshold: float = Field(0.5, ge=0, le=1)


class BotSettingsOut(Schema):
    team: int | None
    enabled: bool
    threshold: float


class FeedbackIn(StrictInput):
    solved: bool


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
        by=user, team_id=payload.team, enabled=payload.enabled, threshold=payload.threshold
    )
    return {"team": found.team_id, "enabled": found.enabled, "threshold": found.threshold}


@router.get(
    "/bot/stats",
    response={200: BotStatsOut, **ERRORS},
    summary="Bot resolution and deflection rates",
    operation_id="opora_api_kb_bot_stats",
)
def bot_stats(request: HttpRequest) -> dict[str, Any]:
    access_bot_stats(current_user(request))
    return asdict(bot.bot_stats())


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
