"""Writes of triage's set-up, each with its audit record."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core import clock
from opora.core.audit import record_change
from opora.core.errors import ValidationFailed
from opora.triage import errors, training
from opora.triage.models import Target, TriageSettings
from opora.triage.selectors import access_triage_settings


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


def train_now(*, by: User) -> list[training.Outcome]:
    """Train every target at once (the admin's "Train now"), noted in the audit log."""
    access_triage_settings(by)
    outcomes = training.train()
    record_change(
        actor=by,
        area="triage",
        action="trained",
        target_type="triage",
        label=", ".join(
            f"{o.target} v{o.model.version}" if o.model else f"{o.target}: -" for o in outcomes
        ),
    )
    return outcomes
