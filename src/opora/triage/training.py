"""Training: the desk's solved tickets (subject and first message) labelled with their
final team, type, priority and tags become one classifier per target.

The final values are the labels, so an agent who corrected a suggestion (moved the
ticket to another team, removed a tag) teaches the next model without anything else to
record: the ticket trains with the agent's value, not the suggestion.

A training is a `TrainingRun` (queued by an admin or the nightly job, done by a
background job), so the console can show what happened to it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery

from opora.core import clock
from opora.tickets.models import Message, Ticket, TicketStatus
from opora.triage import classifier
from opora.triage.models import RunStatus, Target, TrainingRun, TriageModel

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


def corpus() -> list[dict[str, Any]]:
    """Subject, first message and final labels (tags included) of the newest solved
    tickets."""
    first = Message.objects.filter(ticket=OuterRef("pk")).order_by("created_at", "id")
    rows = list(
        Ticket.objects.filter(
            status__in=(TicketStatus.SOLVED, TicketStatus.CLOSED), merged_into__isnull=True
        )
        .order_by("-id")
        .annotate(body=Subquery(first.values("body")[:1]))
        .values("id", "subject", "body", "team", "type", "priority")[:MAX_TICKETS]
    )
    tags: dict[int, list[str]] = defaultdict(list)
    links = Ticket.tags.through.objects.filter(ticket_id__in=[r["id"] for r in rows])
    for ticket_id, name in links.values_list("ticket_id", "tag__name"):
        tags[ticket_id].append(name)
    for row in rows:
        row["tags"] = sorted(tags[row["id"]])
    return rows


def train(targets: list[str] | None = None) -> list[Outcome]:
    """Fit and store a new version for each target (all by default)."""
    rows = corpus()
    texts = [classifier.ticket_text(str(r["subject"] or ""), str(r["body"] or "")) for r in rows]
    wanted = targets or list(Target.values)
    labels = {t: [label_of(r, t) for r in rows] for t in wanted if t != Target.TAGS}
    tag_lists = [r["tags"] for r in rows]

    def known(target: str) -> int:  # tickets with a value for the target
        if target == Target.TAGS:
            return sum(1 for tags in tag_lists if tags)
        return sum(1 for y in labels[target] if y is not None)

    learnable = any(classifier.usable(found) for found in labels.values()) or (
        Target.TAGS in wanted and classifier.usable_tags(tag_lists)
    )
    if not learnable:
        return [_refused(target, known(target)) for target in wanted]
    features, matrix = classifier.fit_features(texts)
    run = uuid.uuid4().hex
    outcomes = []
    for target in wanted:
        if target == Target.TAGS:
            fitted = classifier.fit_tags(features, matrix, tag_lists)
        else:
            team = target == Target.TEAM
            fitted = classifier.fit(features, matrix, labels[target], networks=team)
        if fitted is None:
            outcomes.append(_refused(target, known(target)))
        else:
            outcomes.append(Outcome(target, _store(target, fitted, run), fitted.samples))
    return outcomes


def _refused(target: str, known: int) -> Outcome:
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


def result_of(outcome: Outcome) -> dict[str, Any]:
    """What a run keeps of one target's training (shown by the console and the API)."""
    model = outcome.model
    if model is None:
        return {"target": outcome.target, "version": None, "samples": outcome.samples}
    return {
        "target": outcome.target,
        "version": model.version,
        "samples": model.samples,
        "classes": len(model.classes),
        "accuracy": round(model.accuracy, 4),
        "seconds": round(model.seconds, 1),
    }


def perform(run_id: int) -> TrainingRun | None:
    """Do a queued run: mark it running, train every target, record the figures (or the
    error). A run already started or finished (a job run twice) is left alone."""
    started = clock.now()
    claimed = TrainingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=started
    )
    if not claimed:
        return None
    tick = time.perf_counter()
    try:
        outcomes = train()
    except Exception as exc:  # the run shows the error; the job itself stays done
        logger.exception("triage training %s failed", run_id)
        TrainingRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED,
            finished_at=clock.now(),
            seconds=time.perf_counter() - tick,
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
    else:
        TrainingRun.objects.filter(pk=run_id).update(
            status=RunStatus.DONE,
            finished_at=clock.now(),
            seconds=time.perf_counter() - tick,
            results=[result_of(o) for o in outcomes],
        )
    return TrainingRun.objects.get(pk=run_id)


# A run still "queued" or "running" after this long lost its worker (a restart): it no
# longer holds back a new one.
STALE_AFTER = timedelta(hours=2)


def pending_run() -> TrainingRun | None:
    """The run queued or under way, if any: a second "Train now" joins it."""
    return (
        TrainingRun.objects.filter(
            status__in=(RunStatus.QUEUED, RunStatus.RUNNING),
            requested_at__gte=clock.now() - STALE_AFTER,
        )
        .order_by("-requested_at", "-id")
        .first()
    )


def latest_run() -> TrainingRun | None:
    return TrainingRun.objects.order_by("-requested_at", "-id").first()
