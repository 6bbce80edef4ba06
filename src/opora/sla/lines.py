"""The names of the support levels (lines 1-3 and the team lead) as the desk calls them.

An administrator may rename them in the console ("Experts", "Developers"…), per
language; wherever a level is shown, its label comes from `level_label`, which falls back
to the built-in names for a level left unnamed. The handful of rows is kept per process
like the SLA configuration (sla/config.py): dropped at once here when a name changes,
in other processes when the version in the shared cache moves, else after a while.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from opora.sla.models import SupportLineName

LEVELS = ("1", "2", "3", "lead")
DEFAULT_LABELS: dict[str, str | Promise] = {
    "1": _("1st line"),
    "2": _("2nd line"),
    "3": _("3rd line"),
    "lead": _("Team lead"),
}


def _language(language: str | None) -> str:
    code = language or translation.get_language() or "en"
    return "ru" if code.startswith("ru") else "en"


VERSION_KEY = "opora:sla:line-names"
MAX_AGE_SECONDS = 30
_kept: tuple[Any, float, dict[str, tuple[str, str]]] | None = None


def custom_names() -> dict[str, tuple[str, str]]:
    """{level: (English name, Russian name)} of the levels an administrator named."""
    global _kept
    version = cache.get(VERSION_KEY)
    kept = _kept
    if kept is not None and kept[0] == version and time.monotonic() - kept[1] < MAX_AGE_SECONDS:
        return kept[2]
    names = {
        row.level: (row.name_en, row.name_ru)
        for row in SupportLineName.objects.filter(level__in=LEVELS)
    }
    _kept = (version, time.monotonic(), names)
    return names


def forget() -> None:
    global _kept
    _kept = None


def _changed(**kwargs: Any) -> None:
    forget()
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet
        cache.set(VERSION_KEY, 1, timeout=None)
    transaction.on_commit(forget)


post_save.connect(_changed, sender=SupportLineName, dispatch_uid="sla-line-names-save")
post_delete.connect(_changed, sender=SupportLineName, dispatch_uid="sla-line-names-delete")


def level_label(level: str | int, language: str | None = None) -> str:
    """The label of a level ("1", 2, "lead"…) in `language` (default: the active one)."""
    key = str(level)
    return level_labels(language).get(key, key)


def level_labels(language: str | None = None) -> dict[str, str]:
    """Every level's label in `language`, in order (one query)."""
    lang = _language(language)
    named = custom_names()
    labels = {}
    for level in LEVELS:
        en, ru = named.get(level, ("", ""))
        chosen = ru if lang == "ru" else en
        labels[level] = chosen or builtin_label(level, lang)
    return labels


def builtin_label(level: str, lang: str) -> str:
    if _language(None) == lang:  # the usual case: no switch of the active catalog
        return str(DEFAULT_LABELS[level])
    with translation.override(lang):
        return str(DEFAULT_LABELS[level])


def line_choices(language: str | None = None) -> list[tuple[int, str]]:
    """(1, label), (2, label), (3, label): for the ticket's "line" select."""
    labels = level_labels(language)
    return [(int(level), labels[level]) for level in LEVELS if level != "lead"]
