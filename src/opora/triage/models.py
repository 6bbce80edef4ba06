"""Triage: the classifiers learned from the desk's solved tickets, their settings, the
training runs, and what they suggested for each new ticket."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Target(models.TextChoices):
    TEAM = "team", _("Team")
    TYPE = "type", _("Type")
    PRIORITY = "priority", _("Priority")
    TAGS = "tags", _("Tags")


class TriageModel(models.Model):
    """One fitted classifier for one target; the newest version of a target is used."""

    target = models.CharField(max_length=16, choices=Target.choices)
    version = models.PositiveIntegerField()
    trained_at = models.DateTimeField(default=timezone.now)
    samples = models.PositiveIntegerField(default=0)
    classes = models.JSONField(default=list)
    # Share of the held-out tickets the model labelled right (0..1).
    accuracy = models.FloatField(default=0)
    seconds = models.FloatField(default=0)  # training time
    # The training run: targets trained together share the text features, so a new
    # ticket's text is turned into features once for all of them.
    run = models.CharField(max_length=32, blank=True)
    pipeline = models.BinaryField()  # the fitted scikit-learn pipeline, pickled by joblib

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["target", "version"], name="triage_model_version")
        ]

    def __str__(self) -> str:
        return f"triage {self.target} v{self.version}"


class TriageSettings(models.Model):
    """Per target: whether suggestions are made and above which confidence they apply."""

    target = models.CharField(max_length=16, choices=Target.choices, unique=True)
    enabled = models.BooleanField(_("suggest"), default=True)
    # Confidence (0..1) from which the suggestion is applied without an agent; 1 = never.
    threshold = models.FloatField(_("apply automatically from"), default=1.0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"triage settings {self.target}"


class TicketSuggestion(models.Model):
    """What triage suggested when the ticket opened, and what became of it."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="triage_suggestion"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team_confidence = models.FloatField(default=0)
    type = models.CharField(max_length=16, blank=True)
    type_confidence = models.FloatField(default=0)
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    priority_confidence = models.FloatField(default=0)
    # [{"name": tag, "confidence": 0..1}], most likely first.
    tags = models.JSONField(default=list, blank=True)
    # Targets applied without an agent (above the threshold), e.g. ["team"].
    applied = models.JSONField(default=list, blank=True)
    # Per target, once the ticket is solved: did its final value equal the suggestion?
    accepted = models.JSONField(default=dict, blank=True)
    versions = models.JSONField(default=dict, blank=True)  # target -> model version
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"triage suggestion for ticket {self.ticket_id}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class TrainingRun(models.Model):
    """One training of the models: asked for by an admin ("Train now", the API) or by
    the nightly job (no one), done in a background job; the console shows its state."""

    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    requested_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(default=0)  # the whole training, all targets
    # Per target: {"target", "version", "samples", "classes", "accuracy", "seconds"}, or
    # {"target", "samples", "version": None} where the minimum data rule refused.
    results = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["-requested_at"], name="triage_run_recent")]

    def __str__(self) -> str:
        return f"triage training {self.pk} ({self.status})"
