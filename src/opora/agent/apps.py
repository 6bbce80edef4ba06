from __future__ import annotations

from django.apps import AppConfig


class AgentConfig(AppConfig):
    name = "opora.agent"
    label = "agent"
    verbose_name = "Agent workspace"
