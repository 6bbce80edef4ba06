"""The weekly KPI digest: last week's numbers against the week before, mailed on Monday
morning (the desk's time zone) to team leads (for their teams) and admins (the whole
desk), in each recipient's language, as HTML and text, with links to the dashboard.

A week is Monday to Sunday in the desk's zone, read as whole UTC days like every report,
so the dashboard a link opens shows the same numbers. `send_due_digests` is run by a
periodic job and sends each person's digest of a week once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from opora.accounts.models import Role, Team, User
from opora.core.text import render_text
from opora.reports import kpis
from opora.reports.models import DigestSent
from opora.reports.selectors import build_filter
from opora.reports.tiles import Tile, build_tiles, previous_period

logger = logging.getLogger("opora.reports")
SEND_HOUR = 8  # Monday, local time of the desk: from 08:00 on


@dataclass(frozen=True)
class Section:
    team: Team | None  # None: the whole desk
    name: str
    tiles: list[Tile]
    url: str


def desk_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def last_week(now: datetime) -> tuple[date, date]:
    """Monday and Sunday of the week before the one `now` falls in (desk's zone)."""
    today = now.astimezone(desk_zone()).date()
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=7), monday - timedelta(days=1)


def is_due(now: datetime) -> bool:
    """Monday, from SEND_HOUR on, in the desk's time zone."""
    local = now.astimezone(desk_zone())
    return local.weekday() == 0 and local.hour >= SEND_HOUR


def recipients() -> list[User]:
    """Active team leads and admins with an address who did not turn the digest off."""
    people = (
        User.objects.filter(is_active=True, role__in=[Role.AGENT, Role.ADMIN])
        .filter(Q(is_team_lead=True) | Q(role=Role.ADMIN))
        .exclude(digest_preference__weekly_digest=False)
        .exclude(email="")
        .order_by("id")
    )
    return [u for u in people if u.reachable_by_email]


def _teams_of(user: User) -> list[Team | None]:
    """Admins read the whole desk; a lead each of their teams (the desk without one)."""
    if user.is_admin:
        return [None]
    teams: list[Team | None] = list(user.teams.order_by("name"))
    return teams or [None]


def dashboard_url(first: date, last: date, team: Team | None) -> str:
    query = {"start": first.isoformat(), "end": last.isoformat()}
    if team is not None:
        query["team"] = str(team.pk)
    return f"{settings.BASE_URL}/reports/?" + urlencode(query)


def sections(user: User, first: date, last: date) -> list[Section]:
    """The digest's parts for `user`, in the active language."""
    found = []
    for team in _teams_of(user):
        f = build_filter(start=first, end=last, team=None if team is None else team.pk)
        query = {"start": first.isoformat(), "end": last.isoformat()}
        if team is not None:
            query["team"] = str(team.pk)
        before = kpis.all_kpis(previous_period(f))
        tiles = build_tiles(kpis.all_kpis(f), before, query, base=settings.BASE_URL)
        found.append(
            Section(
                team=team,
                name=team.name if team is not None else _("All teams"),
                tiles=tiles,
                url=dashboard_url(first, last, team),
            )
        )
    return found


def render_digest(user: User, first: date, last: date) -> tuple[str, str, str]:
    """Subject, text and HTML of `user`'s digest for the week first..last."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        period = _("%(start)s \u2013 %(end)s") % {
            "start": date_format(first, "SHORT_DATE_FORMAT"),
            "end": date_format(last, "SHORT_DATE_FORMAT"),
        }
        context: dict[str, Any] = {
            "user": user,
            "period": period,
            "sections": sections(user, first, last),
            "settings_url": f"{settings.BASE_URL}/reports/#digest",
        }
        subject = _("Support KPIs for the week %(period)s") % {"period": period}
        text = render_text("reports/emails/digest.txt", context)
        html = render_to_string("reports/emails/digest.html", context)
    return subject, text, html


def send_digest(user: User, first: date) -> bool:
    """Mail `user` the digest of the week starting `first`, unless it went out already."""
    last = first + timedelta(days=6)
    try:
        with transaction.atomic():
            DigestSent.objects.create(user=user, week_start=first)
    except IntegrityError:
        return False
    subject, text, html = render_digest(user, first, last)
    mail = EmailMultiAlternatives(subject, text, None, [user.email])
    mail.attach_alternative(html, "text/html")
    try:
        mail.send()
    except OSError:  # the mail server is away: try again on the next run
        DigestSent.objects.filter(user=user, week_start=first).delete()
        logger.exception("could not send the weekly digest to user %s", user.pk)
        return False
    return True


def send_due_digests(now: datetime | None = None) -> int:
    """On Monday morning, each recipient's digest of last week; how many went out."""
    moment = now or timezone.now()
    if not is_due(moment):
        return 0
    first, _last = last_week(moment)
    return sum(send_digest(user, first) for user in recipients())
