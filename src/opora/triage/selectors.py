"""Reads of triage and who may see or change its set-up."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import Forbidden
from opora.triage import errors
from opora.triage.models import RunStatus, Target, TicketSuggestion, TrainingRun, TriageModel
from opora.triage.suggest import settings_of
from opora.triage.training import latest_run


def access_triage_settings(user: User) -> None:
    """Triage labels every ticket of the desk: its set-up is the admins'."""
    if not (user.is_active and user.is_admin):
        raise Forbidden(errors.ADMINS_ONLY, _("Only admins configure triage."))


def overview() -> list[dict[str, Any]]:
    """Per target: its settings, the newest model's figures and how suggestions fared."""
    found = []
    for target, label in Target.choices:
        current = settings_of(target)
        model = (
            TriageModel.objects.filter(target=target).order_by("-version").defer("pipeline").first()
        )
        judged = TicketSuggestion.objects.filter(accepted__has_key=target)
        total = judged.count()
        right = judged.filter(**{f"accepted__{target}": True}).count() if total else 0
        found.append(
            {
                "target": target,
                "label": label,
                "enabled": current.enabled,
                "threshold": current.threshold,
                "model": None
                if model is None
                else {
                    "version": model.version,
                    "trained_at": model.trained_at,
                    "samples": model.samples,
                    "classes": len(model.classes),
                    "accuracy": round(model.accuracy, 3),
                    "seconds": round(model.seconds, 1),
                },
                "judged": total,
                "accepted": right,
            }
        )
    return found


def training_of(run: TrainingRun) -> dict[str, Any]:
    """A training run as the console and the API show it; each target's figures carry
    its label."""
    labels = dict(Target.choices)
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": RunStatus(run.status).label,
        "pending": run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
        "requested_at": run.requested_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "seconds": round(run.seconds, 1),
        "results": [
            {**result, "label": labels.get(result["target"], result["target"])}
            for result in run.results
        ],
        "error": run.error,
    }


def latest_training() -> dict[str, Any] | None:
    """The newest training run (queued, under way or finished), if there was one."""
    run = latest_run()
    return None if run is None else training_of(run)
