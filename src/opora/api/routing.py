"""Ticket routing per team: its settings and the live load of its agents."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from opora.api.common import ErrorOut, StrictInput, current_user
from opora.automation import routing

router = Router(tags=["routing"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class RoutingIn(StrictInput):
    strategy: Literal["off", "round_robin", "least_loaded", "skills"]
    max_email: int = Field(10, ge=0, le=routing.MAX_LIMIT, description="e-mail, portal, API")
    max_chat: int = Field(3, ge=0, le=routing.MAX_LIMIT)
    max_messengers: int = Field(5, ge=0, le=routing.MAX_LIMIT, description="Telegram, VK")
    respect_hours: bool = False
    calendar: int | None = Field(None, description="business-hours calendar; null: default")
    respect_line: bool = True
    reassign_after: int | None = Field(
        None,
        ge=1,
        le=routing.MAX_REASSIGN_MINUTES,
        description="minutes an assignee may be offline before waiting work is routed again",
    )


class RoutingOut(Schema):
    team: int
    strategy: str
    max_email: int
    max_chat: int
    max_messengers: int
    respect_hours: bool
    calendar: int | None
    respect_line: bool
    reassign_after: int | None


class GroupLoadOut(Schema):
    group: str
    open: int
    limit: int
    full: bool


class AgentLoadOut(Schema):
    id: int
    name: str
    presence: str
    groups: list[GroupLoadOut]
    oldest_waiting: datetime | None = Field(description="created, of their oldest open ticket")


class TeamLoadOut(Schema):
    team: int
    strategy: str
    unassigned: int
    oldest_unassigned: datetime | None
    agents: list[AgentLoadOut]


def _out(found: Any) -> dict[str, Any]:
    return {"team": found.team_id, "calendar": found.calendar_id} | {
        name: getattr(found, name) for name in routing.SETTINGS_FIELDS if name != "calendar"
    }


@router.get(
    "/teams/{team_id}/routing",
    response={200: RoutingOut, **ERRORS},
    summary="A team's routing settings (team leads: their teams; admins)",
)
def get_routing(request: HttpRequest, team_id: int) -> dict[str, Any]:
    team = routing.access_team_routing(current_user(request), team_id)
    return _out(routing.settings_of(team.pk))


@router.put(
    "/teams/{team_id}/routing",
    response={200: RoutingOut, **ERRORS},
    summary="Set a team's routing: strategy, limits per channel group, hours, line",
)
def put_routing(request: HttpRequest, team_id: int, payload: RoutingIn) -> dict[str, Any]:
    user = current_user(request)
    routing.access_team_routing(user, team_id)
    found = routing.configure_routing(
        by=user, team_id=team_id, values=routing.RoutingInput(**payload.model_dump())
    )
    return _out(found)


@router.get(
    "/teams/{team_id}/load",
    response={200: TeamLoadOut, **ERRORS},
    summary="A team's agents now: presence, open tickets per channel group against limits",
)
def team_load(request: HttpRequest, team_id: int) -> dict[str, Any]:
    team = routing.access_team_routing(current_user(request), team_id)
    load = routing.team_load(team.pk)
    return {
        "team": team.pk,
        "strategy": load.settings.strategy,
        "unassigned": load.unassigned,
        "oldest_unassigned": load.oldest_unassigned,
        "agents": [
            {
                "id": a.agent.pk,
                "name": a.agent.display_name,
                "presence": a.presence,
                "groups": a.groups,
                "oldest_waiting": a.oldest_waiting,
            }
            for a in load.agents
        ],
    }
