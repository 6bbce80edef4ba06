"""Writes of triage's set-up, each with its audit record."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core import clock
from opora.core.audit import record_change
from opora.core.errors import ValidationFailed
from opora.core.tasks import enqueue_after_commit
from opora.triage import errors, training
from opora.triage.models import Target, TrainingRun, TriageSettings
from opora.triage.selectors import access_triage_settings
from opora.triage.tasks import train_triage_task


@transaction.atomic
def configure_target(*, by: User, target: str, enabled: bool, threshold: float) -> TriageSettings:
    """Turn a target's suggestions on or off and set the confidence that applies them
    without an agent (1 means never)."""
    access_triage_settings(by)
    if target not in Target.values:
        raise ValidationFailed(errors.UNKNOWN_TARGET, _("No such triage target."), field="target")
    if not 0 <= threshold <= 1:
        raise ValidationFailed(
            errors.INVALID_THRESHOLD, _("A threshold from 0 to 1."), field="threshold"
        )
    current, _created = TriageSettings.objects.select_for_update().get_or_create(target=target)
    changes: dict[str, list[object]] = {}
    if current.enabled != enabled:
        changes["enabled"] = [current.enabled, enabled]
    if current.threshold != threshold:
        changes["threshold"] = [current.threshold, threshold]
    current.enabled, current.threshold, current.updated_at = enabled, threshold, clock.now()
    current.save()
    record_change(
        actor=by, area="triage", action="changed", target=current, label=target, changes=changes
    )
    return current


@transaction.atomic
def request_training(*, by: User) -> TrainingRun:
    """The admin's "Train now": a training run queued for a background job (training
    10,000 tickets takes tens of seconds, too long for a request), noted in the audit
    log. While a run is queued or under way, asking again returns that run."""
    access_triage_settings(by)
    pending = training.pending_run()
    if pending is not None:
        return pending
    run = TrainingRun.objects.create(requested_by=by, requested_at=clock.now())
    record_change(actor=by, area="triage", action="trained", target=run, label=f"training {run.pk}")
    enqueue_after_commit(train_triage_task, run.pk)
    return run
