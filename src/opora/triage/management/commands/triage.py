"""opora triage train: fit the triage models (team, type, priority, tags) from the desk's
solved tickets now, instead of waiting for the nightly job."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from opora.triage import training
from opora.triage.models import Target


class Command(BaseCommand):
    help = "Triage. train: fit the suggestion models from the solved tickets."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="fit a new version of each target's model")
        train.add_argument(
            "--target", action="append", choices=Target.values, help="only this target"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for outcome in training.train(options.get("target")):
            model = outcome.model
            if model is None:
                rule = (
                    "at least 50 tickets and a tag on 10 of them"
                    if outcome.target == Target.TAGS
                    else "at least 50 and two classes of 5"
                )
                self.stdout.write(
                    f"{outcome.target}: not enough data ({outcome.samples} labelled tickets; "
                    f"{rule} are needed), no model"
                )
                continue
            self.stdout.write(
                f"{outcome.target}: v{model.version}, {model.samples} tickets, "
                f"{len(model.classes)} classes, held-out accuracy {model.accuracy:.3f}, "
                f"{model.seconds:.1f} s"
            )
