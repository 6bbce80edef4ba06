from __future__ import annotations

from django.apps import AppConfig


class RemoteConfig(AppConfig):
    name = "opora.remote"
    label = "remote"
    verbose_name = "Remote sessions"
