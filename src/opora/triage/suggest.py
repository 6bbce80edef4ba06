"""Suggestions for new tickets: the newest model of each target labels the ticket, the
result is stored (TicketSuggestion) and, above the admin's threshold, applied through
`update_ticket` by the desk's triage account, so the history says who set it."""

from __future__ import annotations

import threading
from typing import Any

from django.db import IntegrityError, transaction

from opora.accounts.models import Role, Team, User
from opora.core.errors import OporaError
from opora.tickets.actions import TicketChanges, update_ticket
from opora.tickets.models import Message, Priority, Ticket, TicketStatus
from opora.triage import classifier
from opora.triage.models import TicketSuggestion, TriageModel, TriageSettings

TRIAGE_EMAIL = "triage@opora.invalid"

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


def predict(subject: str, body: str) -> dict[str, tuple[str, float, int]]:
    """target -> (label, confidence, model version), for the targets with a model on."""
    text = classifier.ticket_text(subject, body)
    off = set(TriageSettings.objects.filter(enabled=False).values_list("target", flat=True))
    rows: dict[str, Any] = {}  # run -> the text's features, computed once per run
    found = {}
    for target, (version, run, pipeline) in current_models().items():
        if target in off:
            continue
        if run not in rows or not run:
            rows[run] = pipeline.named_steps["features"].transform([text])
        label, confidence = classifier.probabilities(pipeline, rows[run])
        found[target] = (label, confidence, version)
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
    suggestion = TicketSuggestion(ticket=ticket, versions={t: v[2] for t, v in found.items()})
    if "team" in found:
        team_id = int(found["team"][0])
        if Team.objects.filter(pk=team_id).exists():  # a team deleted since training
            suggestion.team_id = team_id
            suggestion.team_confidence = found["team"][1]
    if "type" in found:
        suggestion.type, suggestion.type_confidence = found["type"][0], found["type"][1]
    if "priority" in found:
        suggestion.priority = int(found["priority"][0])
        suggestion.priority_confidence = found["priority"][1]
    try:
        with transaction.atomic():
            suggestion.save()
    except IntegrityError:
        return None  # another worker suggested first
    _apply_confident(ticket, suggestion)
    return suggestion


def _apply_confident(ticket: Ticket, suggestion: TicketSuggestion) -> None:
    """Apply each target above its threshold, if no person has set it in the meantime:
    the team only to a ticket in no team, type and priority while the ticket is new."""
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
        "applied": list(s.applied),
    }
