"""The reply coach: the live check the composer calls, its rules, and each agent's
share of replies meeting the etiquette."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.params.functions import Query

from opora.accounts.selectors import require_agent
from opora.accounts.tokens import TICKETS
from opora.api.automation import day_start
from opora.api.common import ErrorOut, StrictInput, current_user, needs_scope
from opora.automation import actions, coach, errors
from opora.automation.selectors import access_coach_report, access_coach_rules
from opora.core.errors import ValidationFailed
from opora.tickets.selectors import access_ticket

router = Router(tags=["reply coach"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
MAX_BODY = 20000


class CheckIn(StrictInput):
    body: str = Field(max_length=MAX_BODY)


class ProblemOut(Schema):
    rule: str
    label: str
    hint: str
    found: str = Field(description="the words that set a warning off")
    fix: str = Field(description="'greeting' or 'closing' when one click fixes it, else ''")
    fixed: str = Field(description="the whole reply with that fix applied")


class AdviceOut(Schema):
    language: str
    passed: bool
    problems: list[ProblemOut]


class RuleOut(Schema):
    key: str
    label: str
    kind: str = Field(description="required (must be there) or forbidden (must not)")
    enabled: bool
    phrases: dict[str, list[str]]
    unless: dict[str, list[str]] = Field(description="phrases that lift the warning")
    fix: dict[str, str]


class RuleIn(StrictInput):
    enabled: bool
    phrases: dict[str, list[str]] | None = None
    unless: dict[str, list[str]] | None = None
    fix: dict[str, str] | None = None


class AgentShareOut(Schema):
    agent: int
    name: str
    replies: int
    passed: int
    share: float = Field(description="passed / replies")


def _rule_out(rule: coach.Rule) -> dict[str, Any]:
    return {
        "key": rule.key,
        "label": rule.label,
        "kind": rule.kind,
        "enabled": rule.enabled,
        "phrases": rule.phrases,
        "unless": rule.unless,
        "fix": rule.fix,
    }


@router.post(
    "/tickets/{number}/coach",
    response={200: AdviceOut, **ERRORS},
    summary="Check a draft reply against the reply coach's rules (writes nothing)",
    operation_id="opora_api_coach_check",
    openapi_extra=needs_scope(TICKETS),
)
def check_reply(request: HttpRequest, number: int, payload: CheckIn) -> dict[str, Any]:
    user = current_user(request)
    require_agent(user)
    ticket = access_ticket(user, number)
    advice = coach.check_reply(ticket, payload.body)
    return {
        "language": advice.language,
        "passed": advice.passed,
        "problems": [p.__dict__ for p in advice.problems],
    }


@router.get(
    "/coach/rules",
    response={200: list[RuleOut], **ERRORS},
    summary="The reply coach's rules (admins)",
    operation_id="opora_api_coach_rules",
)
def rules(request: HttpRequest) -> list[dict[str, Any]]:
    access_coach_rules(current_user(request))
    return [_rule_out(r) for r in coach.rule_set()]


@router.post(
    "/coach/rules/{rule}",
    response={200: RuleOut, **ERRORS},
    summary="Change a reply coach rule: on/off, phrases per language, its fix",
    operation_id="opora_api_coach_rule_update",
)
def update_rule(request: HttpRequest, rule: str, payload: RuleIn) -> dict[str, Any]:
    saved = actions.configure_coach_rule(
        by=current_user(request),
        key=rule,
        enabled=payload.enabled,
        phrases=payload.phrases,
        unless=payload.unless,
        fix=payload.fix,
    )
    return _rule_out(saved)


@router.get(
    "/coach/report",
    response={200: list[AgentShareOut], **ERRORS},
    summary="Per agent: the share of public replies meeting the etiquette in a period",
    operation_id="opora_api_coach_report",
)
def report(
    request: HttpRequest,
    start: date | None = Query(None, description="first day, inclusive (UTC)"),
    end: date | None = Query(None, description="last day, inclusive (UTC)"),
    team: int | None = Query(None, description="replies on this team's tickets"),
) -> list[dict[str, Any]]:
    access_coach_report(current_user(request))
    if start is not None and end is not None and end < start:
        raise ValidationFailed(
            errors.INVALID_PERIOD, _("The end comes before the start."), field="end"
        )
    rows = coach.etiquette_by_agent(
        start=day_start(start) if start is not None else None,
        end=day_start(end + timedelta(days=1)) if end is not None else None,
        team_id=team,
    )
    return [
        {
            "agent": r.agent_id,
            "name": r.name,
            "replies": r.replies,
            "passed": r.passed,
            "share": r.share,
        }
        for r in rows
    ]
