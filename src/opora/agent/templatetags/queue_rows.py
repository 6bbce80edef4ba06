"""The queue's ticket rows, written in Python.

The queue page is the page an agent loads most, and its 25 rows were two thirds of its
template time: about forty template nodes a row, each resolving variables through
Django's lookup chain. Here a row is one format string with its values escaped, the
same markup as before (`agent/_queue_list.html` calls `{% queue_rows %}`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import template
from django.urls import reverse
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.formats import get_format, localize
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince, timeuntil
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from opora.tickets.models import Priority, Ticket, TicketStatus, TicketType

register = template.Library()

ROW = (
    '<tr class="ticket-row" data-href="{url}" data-number="{number}">'
    '<td class="c-check"><input type="checkbox" name="ticket" value="{number}" '
    'aria-label="#{number}"></td>'
    '<td class="c-num">{number}</td>'
    '<td class="c-subject"><a href="{url}" class="subject">{subject}</a>'
    '<div class="sub">{requester}{organization} · {type}{tags}</div></td>'
    '<td><span class="badge status-{status}">{status_label}</span></td>'
    '<td class="c-prio"><span class="prio prio-{priority}">{priority_label}</span></td>'
    '<td class="c-person">{assignee}</td>'
    '<td class="c-team">{team}</td>'
    '<td class="c-sla">{sla}</td>'
    '<td class="c-time" title="{updated_title}">{updated}</td>'
    "</tr>\n"
)
NOBODY = '<span class="muted">—</span>'


@register.simple_tag
def queue_rows(tickets: Iterable[Ticket], now: datetime) -> SafeString:
    """The table rows of `tickets` (with requester, organization, assignee, team,
    `tag_names` and `sla_cell` loaded by the view)."""
    # Ticket URLs differ only in the number: reverse once. The same for the labels and
    # the date format in the viewer's language (a model's `get_FOO_display` rebuilds
    # its choices, translating every label, on each call: half of a row's time).
    url = reverse("agent:ticket", args=[0])[:-1]
    page = _Page(
        url=url,
        now=now,
        labels={
            "status": _labels(TicketStatus.choices),
            "priority": _labels(Priority.choices),
            "type": _labels(TicketType.choices),
        },
        moment=_split(get_format("DATETIME_FORMAT")),
    )
    return mark_safe("".join(_row(t, page) for t in tickets))  # noqa: S308 - all escaped


@dataclass(frozen=True)
class _Page:
    url: str
    now: datetime
    labels: dict[str, dict[Any, str]]
    # The DATETIME_FORMAT of the active language, split once: (a format character or
    # None, literal text). Django's `date` filter splits it anew for every value.
    moment: tuple[tuple[str | None, str], ...]

    def label(self, field: str, value: Any) -> str:
        return escape(self.labels[field].get(value, value))

    def local(self, moment: datetime) -> str:
        """As the template's `date:'DATETIME_FORMAT'`: in the viewer's time zone."""
        formatter = DateFormat(localtime(moment))
        return escape(
            "".join(str(getattr(formatter, code)()) if code else text for code, text in self.moment)
        )


def _split(moment: str) -> tuple[tuple[str | None, str], ...]:
    """A date format's pieces, as `DateFormat.format` reads them."""
    pieces: list[tuple[str | None, str]] = []
    for i, piece in enumerate(re_formatchars.split(moment)):
        if i % 2:
            pieces.append((piece, ""))
        elif piece:
            pieces.append((None, re_escaped.sub(r"\1", piece)))
    return tuple(pieces)


def _labels(choices: Iterable[tuple[Any, Any]]) -> dict[Any, str]:
    return {value: str(label) for value, label in choices}


def _row(t: Ticket, page: _Page) -> str:
    organization = t.organization
    assignee = t.assignee
    team = t.team
    names = t.tag_names  # type: ignore[attr-defined]  # set by `attach_names`
    tags = "".join(f' <span class="chip">{escape(name)}</span>' for name in names)
    return ROW.format(
        url=f"{page.url}{t.number}",
        number=t.number,
        subject=escape(t.subject),
        requester=escape(t.requester.display_name),
        organization=f" · {escape(organization.name)}" if organization else "",
        type=page.label("type", t.type),
        tags=tags,
        status=escape(t.status),
        status_label=page.label("status", t.status),
        priority=escape(t.priority),
        priority_label=page.label("priority", t.priority),
        assignee=escape(assignee.display_name) if assignee else NOBODY,
        team=escape(team.name) if team else NOBODY,
        sla=_sla(getattr(t, "sla_cell", None), page),
        updated_title=page.local(t.updated_at),
        updated=escape(timesince(t.updated_at)),
    )


def _sla(cell: Any, page: _Page) -> str:
    """The countdown to the next running target, "Breached" when none runs but one was
    missed, else a dash (`agent.queues.sla_cell`)."""
    if cell is None or (cell.due_at is None and not cell.state):
        return NOBODY
    state = escape(cell.state)
    if cell.due_at is None:
        return (
            f'<span class="sla-cell sla-state-{state}" data-sla-state="{state}">'
            f"{escape(_('Breached'))}</span>"
        )
    if cell.overdue:
        text = _("overdue by %(time)s") % {"time": timesince(cell.due_at, page.now)}
    else:
        text = _("in %(time)s") % {"time": timeuntil(cell.due_at, page.now)}
    return (
        f'<span class="sla-cell sla-state-{state}" data-sla-state="{state}" '
        f'title="{page.local(cell.due_at)}">{escape(text)}</span>'
    )


VIEW = (
    '<li><a href="?view={key}" class="{on}" data-view="{key}"><span>{label}</span>'
    '<span class="count">{count}</span></a></li>'
)


@register.simple_tag
def queue_views(queues: Iterable[tuple[Any, int]], group: str, current: str) -> SafeString:
    """The sidebar's views of one group, with their counts (`current` highlighted)."""
    return mark_safe(  # noqa: S308 - all escaped
        "".join(
            VIEW.format(
                key=escape(q.key),
                on="on" if q.key == current else "",
                label=escape(q.label),
                count=escape(localize(count)),
            )
            for q, count in queues
            if q.group == group
        )
    )


@register.simple_tag
def options(choices: Iterable[Any], chosen: Any = None) -> SafeString:
    """`<option>`s of a filter: `choices` are (value, label) pairs or rows with `pk` and
    `name`; `chosen` one value or several (compared as text, as the form sends them)."""
    if chosen is None or chosen == "":
        picked: set[str] = set()
    elif isinstance(chosen, (list, tuple, set, frozenset)):
        picked = {str(value) for value in chosen}
    else:
        picked = {str(chosen)}
    out = []
    for choice in choices:
        value, label = (choice.pk, choice.name) if hasattr(choice, "pk") else choice
        selected = " selected" if str(value) in picked else ""
        out.append(f'<option value="{escape(value)}"{selected}>{escape(label)}</option>')
    return mark_safe("".join(out))  # noqa: S308 - all escaped
