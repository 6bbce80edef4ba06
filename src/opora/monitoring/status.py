"""The public status page's snapshot: everything /status/ and its badge show, read
from the database once and kept in the shared cache.

The page must stay up when many customers look at once, so a request reads one cache
key and nothing else: the snapshot is rebuilt after each change that shows on the page
(a public monitor changing state, an incident opening, resolving or getting an update,
maintenance planned or removed, a monitor edited) and by the rollup job every few
minutes (the uptime bars). The rendered page is kept per process and language, keyed
by the snapshot's version, so a warm request renders nothing either.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opora.core.transaction import after_commit
from opora.monitoring.models import (
    Incident,
    IncidentUpdate,
    MaintenanceWindow,
    Monitor,
    Period,
    Rollup,
    State,
)

CACHE_KEY = "monitoring:status:snapshot"
# A safety net: the rollup job rebuilds every five minutes, changes rebuild at once.
TIMEOUT_SECONDS = 15 * 60
# Without a shared cache (no Redis) each process keeps its own snapshot and hears of
# no other process's change: a monitor going down in a worker process would show
# only when the copy expires, so that copy lives half a minute.
LOCAL_TIMEOUT_SECONDS = 30
DAYS = 90
HISTORY_DAYS = 14
HISTORY_LIMIT = 20

# State words, by severity: the page's overall state is the worst of its components.
SEVERITY = {"up": 0, "unknown": 1, "maintenance": 2, "down": 3}


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def build() -> dict[str, Any]:
    """Read what the page shows (a handful of queries, whatever the traffic)."""
    now = timezone.now()
    monitors = list(
        Monitor.objects.filter(public=True, active=True).order_by("public_group", "name", "id")
    )
    ids = [m.pk for m in monitors]
    windows = list(
        MaintenanceWindow.objects.filter(
            Q(monitor__in=ids) | Q(monitor__isnull=True), ends_at__gt=now
        ).order_by("starts_at", "id")[:20]
    )
    under = {w.monitor_id for w in windows if w.starts_at <= now}
    first_day = _day(now) - timedelta(days=DAYS - 1)
    daily: dict[int, dict[datetime, tuple[int, int]]] = {}
    for monitor_id, start, checks, ok in Rollup.objects.filter(
        monitor__in=ids, period=Period.DAY, start__gte=first_day
    ).values_list("monitor", "start", "checks", "ok"):
        daily.setdefault(monitor_id, {})[_day(start)] = (checks, ok)
    days = [first_day + timedelta(days=i) for i in range(DAYS)]
    groups: dict[str, list[dict[str, Any]]] = {}
    for monitor in monitors:
        state = monitor.state
        if state != State.DOWN and (None in under or monitor.pk in under):
            state = "maintenance"
        sums = daily.get(monitor.pk, {})
        bars = [_uptime(*sums[d]) if d in sums else None for d in days]
        checks = sum(c for c, _o in sums.values())
        good = sum(o for _c, o in sums.values())
        groups.setdefault(monitor.public_group, []).append(
            {
                "id": monitor.pk,
                "name": monitor.shown_name,
                "state": state,
                "uptime": _uptime(checks, good),
                "bars": bars,
            }
        )
    overall = max(
        (c["state"] for cs in groups.values() for c in cs),
        key=lambda state: SEVERITY[state],
        default="up",
    )
    names = {m.pk: m.shown_name for m in monitors}
    return {
        "version": secrets.token_hex(8),
        "built_at": now,
        "overall": overall,
        "days": days,
        "groups": [{"name": name, "components": found} for name, found in groups.items()],
        "incidents": _incidents(now, set(ids), names),
        "maintenance": [
            {
                "starts_at": w.starts_at,
                "ends_at": w.ends_at,
                "note": w.note,
                "components": [names[w.monitor_id]] if w.monitor_id in names else [],
                "now": w.starts_at <= now,
            }
            for w in windows
        ],
    }


def _uptime(checks: int, ok: int) -> float | None:
    return round(100 * ok / checks, 2) if checks else None


def _incidents(now: datetime, public_ids: set[int], names: dict[int, str]) -> list[dict[str, Any]]:
    """Open incidents and those of the last two weeks that concern a public component
    or have a public update, newest first, with their public updates."""
    since = now - timedelta(days=HISTORY_DAYS)
    with_updates = IncidentUpdate.objects.filter(public=True).values("incident")
    found = list(
        Incident.objects.filter(
            Q(monitor__in=public_ids) | Q(pk__in=with_updates),
            Q(resolved_at__isnull=True) | Q(detected_at__gte=since),
        ).order_by("-detected_at", "-id")[:HISTORY_LIMIT]
    )
    updates: dict[int, list[dict[str, Any]]] = {}
    for update in IncidentUpdate.objects.filter(incident__in=found, public=True).order_by(
        "-created_at", "-id"
    ):
        updates.setdefault(update.incident_id, []).append(
            {"status": update.status, "body": update.body, "at": update.created_at}
        )
    return [
        {
            "id": incident.pk,
            "title": incident.public_title
            or ("" if incident.monitor_id in names else incident.title),
            "component": names.get(incident.monitor_id or 0, ""),
            "started_at": incident.started_at,
            "resolved_at": incident.resolved_at,
            "updates": updates.get(incident.pk, []),
        }
        for incident in found
    ]


def lifetime() -> int:
    """How long a snapshot is kept: long in a cache all processes share, short in one
    process's own memory."""
    backend = str(settings.CACHES["default"]["BACKEND"])
    return LOCAL_TIMEOUT_SECONDS if backend.endswith(".LocMemCache") else TIMEOUT_SECONDS


def rebuild() -> dict[str, Any]:
    snapshot = build()
    cache.set(CACHE_KEY, snapshot, lifetime())
    return snapshot


def rebuild_after_commit() -> None:
    """Call inside a change that shows on the page: rebuilt once it is committed."""
    after_commit(rebuild)


def current() -> dict[str, Any]:
    """The snapshot: one cache read, and a rebuild only when the cache is cold."""
    found = cache.get(CACHE_KEY)
    if found is None:
        found = rebuild()
    return found  # type: ignore[no-any-return]


# --- Rendering (per process, per version and language) ------------------------------


@dataclass
class _Rendered:
    version: str
    pages: dict[str, bytes]


_rendered = _Rendered("", {})


def state_label(state: str) -> str:
    return {
        "up": _("Operational"),
        "down": _("Outage"),
        "maintenance": _("Maintenance"),
        "unknown": _("No data"),
    }[state]


def overall_label(state: str) -> str:
    return {
        "up": _("All systems operational"),
        "down": _("Some systems are down"),
        "maintenance": _("Scheduled maintenance in progress"),
        "unknown": _("Checking the systems"),
    }[state]


def _bar_class(value: float | None) -> str:
    if value is None:
        return "none"
    if value >= 99.9:
        return "good"
    if value >= 99:
        return "fair"
    if value >= 95:
        return "poor"
    return "bad"


def _context(snapshot: dict[str, Any], language: str) -> dict[str, Any]:
    days = snapshot["days"]
    groups = [
        {
            "name": group["name"],
            "components": [
                c
                | {
                    "label": state_label(c["state"]),
                    "cells": [
                        {"day": day, "value": value, "kind": _bar_class(value)}
                        for day, value in zip(days, c["bars"], strict=True)
                    ],
                }
                for c in group["components"]
            ],
        }
        for group in snapshot["groups"]
    ]
    incidents = [
        i
        | {
            "shown_title": i["title"] or _("%(name)s is unavailable") % {"name": i["component"]},
        }
        for i in snapshot["incidents"]
    ]
    return {
        "lang": language,
        "overall": snapshot["overall"],
        "overall_label": overall_label(snapshot["overall"]),
        "groups": groups,
        "incidents": incidents,
        "open_incidents": [i for i in incidents if i["resolved_at"] is None],
        "past_incidents": [i for i in incidents if i["resolved_at"] is not None],
        "maintenance": snapshot["maintenance"],
        "built_at": snapshot["built_at"],
        "days": DAYS,
    }


def render_page(snapshot: dict[str, Any], language: str) -> bytes:
    """The page in `language`, rendered once per snapshot version in this process."""
    global _rendered
    if _rendered.version != snapshot["version"]:
        _rendered = _Rendered(snapshot["version"], {})
    page = _rendered.pages.get(language)
    if page is None:
        with translation.override(language):
            page = render_to_string("status/page.html", _context(snapshot, language)).encode()
        _rendered.pages[language] = page
    return page


BADGE_COLORS = {"up": "#2e7d32", "down": "#c62828", "maintenance": "#1565c0", "unknown": "#757575"}


def render_badge(snapshot: dict[str, Any], language: str) -> bytes:
    key = f"badge:{language}"
    if _rendered.version != snapshot["version"]:
        render_page(snapshot, language)
    badge = _rendered.pages.get(key)
    if badge is None:
        with translation.override(language):
            label = _("status")
            value = state_label(snapshot["overall"]).lower()
        left = 8 + 7 * len(label)
        right = 8 + 7 * len(value)
        badge = render_to_string(
            "status/badge.svg",
            {
                "label": label,
                "value": value,
                "left": left,
                "right": right,
                "width": left + right,
                "color": BADGE_COLORS[snapshot["overall"]],
                "label_x": left / 2,
                "value_x": left + right / 2,
            },
        ).encode()
        _rendered.pages[key] = badge
    return badge
