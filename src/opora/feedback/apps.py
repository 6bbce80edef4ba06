from __future__ import annotations

from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "opora.feedback"
    label = "feedback"
    verbose_name = "Customer satisfaction"
