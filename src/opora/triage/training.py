"""Training: the desk's solved tickets (subject and first message) labelled with their
final team, type and priority become one classifier per target.

The final values are the labels, so an agent who corrected a suggestion teaches the
next model without anything else to record.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, Subquery

from opora.core import clock
from opora.tickets.models import Message, Ticket, TicketStatus
from opora.triage import classifier
from opora.triage.models import Target, TriageModel

logger = logging.getLogger("opora.triage")
# The newest solved tickets only: the desk's teams and habits change over the years.
MAX_TICKETS = 50_000
KEPT_VERSIONS = 3


@dataclass(frozen=True)
class Outcome:
    target: str
    model: TriageModel | None  # None: the minimum data rule refused
    samples: int


def label_of(ticket_values: dict[str, object], target: str) -> str | None:
    value = ticket_values[target]
    return None if value is None else str(value)


def corpus() -> list[dict[str, object]]:
    """Subject, first message and final labels of the newest solved tickets."""
    first = Message.objects.filter(ticket=OuterRef("pk")).order_by("created_at", "id")
    rows = (
        Ticket.objects.filter(
            status__in=(TicketStatus.SOLVED, TicketStatus.CLOSED), merged_into__isnull=True
        )
        .order_by("-id")
        .annotate(body=Subquery(first.values("body")[:1]))
        .values("subject", "body", "team", "type", "priority")[:MAX_TICKETS]
    )
    return list(rows)


def train(targets: list[str] | None = None) -> list[Outcome]:
    """Fit and store a new version for each target (all by default)."""
    rows = corpus()
    texts = [classifier.ticket_text(str(r["subject"] or ""), str(r["body"] or "")) for r in rows]
    wanted = targets or list(Target.values)
    labels = {target: [label_of(r, target) for r in rows] for target in wanted}
    if not any(classifier.usable(found) for found in labels.values()):
        return [_refused(target, labels[target]) for target in wanted]
    features, matrix = classifier.fit_features(texts)
    run = uuid.uuid4().hex
    outcomes = []
    for target in wanted:
        fitted = classifier.fit(features, matrix, labels[target])
        if fitted is None:
            outcomes.append(_refused(target, labels[target]))
        else:
            outcomes.append(Outcome(target, _store(target, fitted, run), fitted.samples))
    return outcomes


def _refused(target: str, labels: list[str | None]) -> Outcome:
    known = sum(1 for y in labels if y is not None)
    logger.info("triage %s: not enough data (%d tickets)", target, known)
    return Outcome(target, None, known)


@transaction.atomic
def _store(target: str, fitted: classifier.Fitted, run: str) -> TriageModel:
    last = (
        TriageModel.objects.select_for_update()
        .filter(target=target)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    model = TriageModel.objects.create(
        target=target,
        version=(last or 0) + 1,
        trained_at=clock.now(),
        samples=fitted.samples,
        classes=fitted.classes,
        accuracy=fitted.accuracy,
        seconds=fitted.seconds,
        run=run,
        pipeline=classifier.dump(fitted.pipeline),
    )
    # Older versions are kept a little (a process may still be using one), not forever.
    old = TriageModel.objects.filter(target=target).order_by("-version")[KEPT_VERSIONS:]
    TriageModel.objects.filter(pk__in=list(old.values_list("pk", flat=True))).delete()
    return model
