"""The answer bot: its settings per team, its figures, and the requester's answer to it.

The operation ids keep the names these endpoints had when they lived in api/kb.py:
generated clients are built from them.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from opora.accounts.selectors import require_agent
from opora.api.common import ErrorOut, StrictInput, current_user
from opora.automation import bot
from opora.tickets.selectors import access_ticket

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
    require_agent(user)
    if not (user.is_admin or user.is_team_lead):
        from opora.core.errors import Forbidden

        raise Forbidden("leads_only", "Only team leads and admins configure the bot.")
    found = bot.configure_bot(
        team_id=payload.team, enabled=payload.enabled, threshold=payload.threshold
    )
    return {"team": found.team_id, "enabled": found.enabled, "threshold": found.threshold}


@router.get(
    "/bot/stats",
    response={200: BotStatsOut, **ERRORS},
    summary="Bot resolution and deflection rates",
    operation_id="opora_api_kb_bot_stats",
)
def bot_stats(request: HttpRequest) -> dict[str, Any]:
    require_agent(current_user(request))
    return bot.bot_stats().__dict__


@router.post(
    "/bot/tickets/{number}/feedback",
    response={204: None, **ERRORS},
    summary="Answer “did this solve your question?”",
    operation_id="opora_api_kb_bot_feedback",
)
def bot_feedback(request: HttpRequest, number: int, payload: FeedbackIn) -> Status[None]:
    user = current_user(request)
    ticket = access_ticket(user, number)
    if ticket.requester_id != user.pk:
        from opora.core.errors import Forbidden

        raise Forbidden("requester_only", "Only the requester answers the bot.")
    bot.give_feedback(ticket, solved=payload.solved)
    return Status(204, None)
