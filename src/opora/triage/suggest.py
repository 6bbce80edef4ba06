"""Suggestions for new tickets: the newest model of each target labels the ticket, the
result is stored (TicketSuggestion) and, above the admin's threshold, applied through
`update_ticket` by the desk's triage account, so the history says who set it.

Tags are suggested from probability TAG_FLOOR (at most MAX_TAGS of them, each with its
own confidence); those above the tags threshold are added to the ticket."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from opora.accounts.models import Role, Team, User
from opora.core.errors import OporaError
from opora.tickets.actions import TicketChanges, update_ticket
from opora.tickets.models import Message, Priority, Ticket, TicketStatus
from opora.triage import classifier
from opora.triage.models import Target, TicketSuggestion, TriageModel, TriageSettings

TRIAGE_EMAIL = "triage@opora.invalid"
TAG_FLOOR = 0.5
MAX_TAGS = 5

# target -> (version, training run, fitted pipeline): loaded once per process per run.
_CACHE: dict[str, tuple[int, str, Any]] = {}
_CACHE_LOCK = threading.Lock()


def triage_user() -> User:
    """The author of the changes triage applies: an agent that cannot sign in."""
    user, _ = User.objects.get_or_create(
        email=TRIAGE_EMAIL,
        defaults={"name": "Triage", "role": Role.AGENT, "is_active": False},
    )
    return user


def settings_of(target: str) -> TriageSettings:
    found = TriageSettings.objects.filter(target=target).first()
    return found or TriageSettings(target=target)


def current_models() -> dict[str, tuple[int, str, Any]]:
    """target -> (version, run, pipeline) of each target's newest model: one small query
    (a few versions are kept per target), and a model is loaded from the database only
    when its training run is new to this process."""
    newest: dict[str, tuple[int, str]] = {}
    kept = TriageModel.objects.order_by("target", "-version").values_list(
        "target", "version", "run"
    )
    for target, version, run in kept:
        newest.setdefault(target, (version, run))
    for target, (version, run) in newest.items():
        cached = _CACHE.get(target)
        # By run, not version: a run id is never reused, a version number may be (the
        # models deleted, the desk trained again from scratch).
        if cached is None or cached[1] != run:
            data = TriageModel.objects.values_list("pipeline", flat=True).get(
                target=target, version=version
            )
            with _CACHE_LOCK:
                _CACHE[target] = (version, run, classifier.load(bytes(data)))
    return {target: _CACHE[target] for target in newest}


@dataclass(frozen=True)
class Guess:
    """One target's answer for a text: the label and its probability; for tags, the
    tags from TAG_FLOOR with theirs (`label` then empty, `confidence` the highest)."""

    label: str
    confidence: float
    version: int
    tags: tuple[tuple[str, float], ...] = ()


def predict(subject: str, body: str) -> dict[str, Guess]:
    """target -> its guess, for the targets with a model that are switched on."""
    text = classifier.ticket_text(subject, body)
    off = set(TriageSettings.objects.filter(enabled=False).values_list("target", flat=True))
    rows: dict[str, Any] = {}  # run -> the text's features, computed once per run
    found = {}
    for target, (version, run, pipeline) in current_models().items():
        if target in off:
            continue
        if run not in rows or not run:
            rows[run] = classifier.features_of(pipeline.named_steps["features"], text)
        if target == Target.TAGS:
            tags = classifier.tag_probabilities(pipeline, rows[run], floor=TAG_FLOOR, most=MAX_TAGS)
            top = tags[0][1] if tags else 0.0
            found[target] = Guess("", top, version, tuple(tags))
        else:
            label, confidence = classifier.probabilities(pipeline, rows[run])
            found[target] = Guess(label, confidence, version)
    return found


def suggest_ticket(ticket_id: int) -> TicketSuggestion | None:
    """Label a new ticket once (idempotent), then apply what is confident enough."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or TicketSuggestion.objects.filter(ticket_id=ticket_id).exists():
        return None
    first = Message.objects.filter(ticket_id=ticket_id).order_by("created_at", "id").first()
    found = predict(ticket.subject, first.body if first else "")
    if not found:
        return None
    suggestion = TicketSuggestion(ticket=ticket, versions={t: g.version for t, g in found.items()})
    if "team" in found:
        team_id = int(found["team"].label)
        if Team.objects.filter(pk=team_id).exists():  # a team deleted since training
            suggestion.team_id = team_id
            suggestion.team_confidence = found["team"].confidence
    if "type" in found:
        suggestion.type, suggestion.type_confidence = found["type"].label, found["type"].confidence
    if "priority" in found:
        suggestion.priority = int(found["priority"].label)
        suggestion.priority_confidence = found["priority"].confidence
    if "tags" in found:
        suggestion.tags = [{"name": n, "confidence": round(p, 4)} for n, p in found["tags"].tags]
    try:
        with transaction.atomic():
            suggestion.save()
    except IntegrityError:
        return None  # another worker suggested first
    _apply_confident(ticket, suggestion)
    return suggestion


def _apply_confident(ticket: Ticket, suggestion: TicketSuggestion) -> None:
    """Apply each target above its threshold, if no person has set it in the meantime:
    the team only to a ticket in no team, type, priority and tags while the ticket is
    new (tags are added, never removed)."""
    ticket.refresh_from_db()
    changes = TicketChanges()
    applied = []
    untouched = ticket.status == TicketStatus.NEW
    candidates = [
        ("team", suggestion.team_id, ticket.team_id is None, suggestion.team_confidence),
        (
            "type",
            suggestion.type,
            untouched and suggestion.type != ticket.type,
            suggestion.type_confidence,
        ),
        (
            "priority",
            suggestion.priority,
            untouched and suggestion.priority != ticket.priority,
            suggestion.priority_confidence,
        ),
    ]
    for target, value, allowed, confidence in candidates:
        if value and allowed and _confident(target, confidence):
            setattr(changes, target, value)
            applied.append(target)
    if untouched and suggestion.tags:
        present = set(ticket.tags.values_list("name", flat=True))
        confident = [
            t["name"]
            for t in suggestion.tags
            if t["name"] not in present and _confident(Target.TAGS, t["confidence"])
        ]
        if confident:
            changes.add_tags = confident
            applied.append(Target.TAGS)
    if not applied:
        return
    try:
        update_ticket(ticket, changes, by=triage_user())
    except OporaError:
        return  # closed or changed meanwhile: the suggestion stays a suggestion
    TicketSuggestion.objects.filter(pk=suggestion.pk).update(applied=applied)
    suggestion.applied = applied


def _confident(target: str, confidence: float) -> bool:
    current = settings_of(target)
    return current.enabled and current.threshold < 1 and confidence >= current.threshold


def record_outcomes(ticket_ids: list[int]) -> None:
    """On solve: per target, whether the ticket ended with the suggested value."""
    suggestions = TicketSuggestion.objects.filter(ticket_id__in=ticket_ids).select_related("ticket")
    for s in suggestions:
        accepted = {}
        if s.team_id is not None:
            accepted["team"] = s.ticket.team_id == s.team_id
        if s.type:
            accepted["type"] = s.ticket.type == s.type
        if s.priority is not None:
            accepted["priority"] = s.ticket.priority == s.priority
        if s.tags:  # kept: every suggested tag is still on the ticket
            final = set(s.ticket.tags.values_list("name", flat=True))
            accepted["tags"] = all(t["name"] in final for t in s.tags)
        TicketSuggestion.objects.filter(pk=s.pk).update(accepted=accepted)


def suggestion_of(ticket: Ticket) -> dict[str, Any] | None:
    """The suggestion as the API and the ticket page show it (None when there is none)."""
    s = TicketSuggestion.objects.filter(ticket_id=ticket.pk).select_related("team").first()
    if s is None:
        return None
    return {
        "team": {"id": s.team.pk, "name": s.team.name} if s.team else None,
        "type": s.type or None,
        "priority": Priority(s.priority).code if s.priority else None,
        "confidence": {
            "team": round(s.team_confidence, 3) if s.team else None,
            "type": round(s.type_confidence, 3) if s.type else None,
            "priority": round(s.priority_confidence, 3) if s.priority else None,
        },
        "tags": [{"name": t["name"], "confidence": round(t["confidence"], 3)} for t in s.tags],
        "applied": list(s.applied),
    }
