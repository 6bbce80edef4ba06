"""Triage's set-up, admins only: per target on/off and the auto-apply threshold, the
newest model's figures, and training on demand: a run queued for a background job,
whose state is read back. (The suggestion itself is on the ticket: `suggested` in
GET /tickets/{number}.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from opora.api.common import ErrorOut, StrictInput, current_user
from opora.core.errors import NotFound
from opora.triage import actions
from opora.triage.models import TrainingRun
from opora.triage.selectors import access_triage_settings, overview, training_of

router = Router(tags=["triage"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
TargetName = Literal["team", "type", "priority", "tags"]
RunStatusName = Literal["queued", "running", "done", "failed"]


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


class TrainingResultOut(Schema):
    target: TargetName
    version: int | None = Field(description="the model it made; null: not enough data")
    samples: int
    classes: int | None = None
    accuracy: float | None = Field(
        None, description="held-out accuracy (tags: micro-F1 over the tags)"
    )
    seconds: float | None = None


class TrainingRunOut(Schema):
    id: int
    status: RunStatusName
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float = Field(description="the whole training, all targets")
    results: list[TrainingResultOut]
    error: str = Field(description="why it failed (status failed), else empty")


class TriageTargetIn(StrictInput):
    enabled: bool
    threshold: float = Field(ge=0, le=1)


def _rows() -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "label"} for row in overview()]


@router.get("/triage", response={200: list[TriageTargetOut], **ERRORS}, summary="Triage set-up")
def triage_overview(request: HttpRequest) -> list[dict[str, Any]]:
    access_triage_settings(current_user(request))
    return _rows()


def _run_out(run: TrainingRun) -> dict[str, Any]:
    shown = training_of(run)
    shown["results"] = [
        {k: v for k, v in result.items() if k != "label"} for result in shown["results"]
    ]
    return shown


@router.post(
    "/triage/train",
    response={202: TrainingRunOut, **ERRORS},
    summary="Queue a training of the triage models from the solved tickets",
    description="Training runs in a background job; read its state with GET "
    "/triage/train/{run_id}. While a run is queued or under way, this returns that run.",
)
def train_triage(request: HttpRequest) -> Status[Any]:
    run = actions.request_training(by=current_user(request))
    return Status(202, _run_out(run))


@router.get(
    "/triage/train/{run_id}",
    response={200: TrainingRunOut, **ERRORS},
    summary="A training run's state and figures",
)
def training_run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    access_triage_settings(current_user(request))
    run = TrainingRun.objects.filter(pk=run_id).first()
    if run is None:
        raise NotFound(_("training run"))
    return _run_out(run)


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
