from __future__ import annotations

from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "opora.search"
    label = "search"
    verbose_name = "Search"
