"""Triage's set-up, admins only: per target on/off and the auto-apply threshold, the
newest model's figures, and training on demand. (The suggestion itself is on the
ticket: `suggested` in GET /tickets/{number}.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from opora.api.common import ErrorOut, StrictInput, current_user
from opora.triage import actions
from opora.triage.selectors import access_triage_settings, overview

router = Router(tags=["triage"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
TargetName = Literal["team", "type", "priority"]


class TriageModelOut(Schema):
    version: int
    trained_at: datetime
    samples: int
    classes: int
    accuracy: float = Field(description="share of held-out solved tickets labelled right")
    seconds: float


class TriageTargetOut(Schema):
    target: TargetName
    enabled: bool
    threshold: float = Field(description="confidence from which it applies itself; 1: never")
    model: TriageModelOut | None
    judged: int = Field(description="solved tickets that had a suggestion")
    accepted: int = Field(description="of those, tickets that ended with the suggested value")


class TriageTargetIn(StrictInput):
    enabled: bool
    threshold: float = Field(ge=0, le=1)


def _rows() -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "label"} for row in overview()]


@router.get("/triage", response={200: list[TriageTargetOut], **ERRORS}, summary="Triage set-up")
def triage_overview(request: HttpRequest) -> list[dict[str, Any]]:
    access_triage_settings(current_user(request))
    return _rows()


@router.post(
    "/triage/train",
    response={200: list[TriageTargetOut], **ERRORS},
    summary="Train the triage models now from the solved tickets",
)
def train_triage(request: HttpRequest) -> list[dict[str, Any]]:
    actions.train_now(by=current_user(request))
    return _rows()


# After /triage/train: a path parameter would take "train" as a target.
@router.put(
    "/triage/{target}",
    response={200: TriageTargetOut, **ERRORS},
    summary="Turn a triage target on or off and set its threshold",
)
def configure_triage(
    request: HttpRequest, target: TargetName, payload: TriageTargetIn
) -> dict[str, Any]:
    actions.configure_target(
        by=current_user(request),
        target=target,
        enabled=payload.enabled,
        threshold=payload.threshold,
    )
    return next(row for row in _rows() if row["target"] == target)
