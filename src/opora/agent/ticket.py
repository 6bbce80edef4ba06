"""The ticket page: thread, composer, side panel, requester card, history, merge, problem.

Every form posts here; htmx requests get the ticket area back (partial update), plain
form posts are redirected back to the page (or re-rendered with their errors).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from opora.accounts.models import SupportLine, Team, User
from opora.accounts.selectors import access_user
from opora.agent.forms import (
    ComposerForm,
    EscalateForm,
    FollowerForm,
    HandoffForm,
    MergeForm,
    ProblemForm,
    TimeForm,
)
from opora.agent.new_ticket import team_assignees
from opora.agent.records import ticket_fields_context
from opora.agent.whatsapp import panel as whatsapp_panel
from opora.automation.macros import apply_macro_by_id
from opora.core.errors import NotFound, OporaError, ValidationFailed
from opora.core.numbers import parse_id
from opora.core.security import allow_remote_images
from opora.inbox.actions import retry_delivery
from opora.inbox.email.selectors import access_raw_message, full_content, raw_of_messages
from opora.inbox.selectors import access_delivery, latest_deliveries
from opora.kb.actions import draft_from_ticket
from opora.kb.selectors import related_articles
from opora.pages import (
    add_action_error,
    agent_required,
    current_user,
    incoming_files,
    is_htmx,
    not_found_as_404,
)
from opora.sla import actions as sla_actions
from opora.sla.clock import LEVELS
from opora.sla.models import DevHandoff
from opora.sla.selectors import access_desk_ticket, sla_state, sla_targets, ticket_sla
from opora.tickets import actions
from opora.tickets import errors as ticket_errors
from opora.tickets.models import (
    ALLOWED_TRANSITIONS,
    Channel,
    Event,
    EventKind,
    Priority,
    Ticket,
    TicketStatus,
    TicketType,
)
from opora.tickets.selectors import (
    access_ticket,
    time_totals,
    visible_tickets,
)
from opora.tickets.thread import Window, decode_position, message_window

OTHER_TICKETS = 5


def _access(user: User, number: int) -> Ticket:
    try:
        return access_ticket(user, number)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


def _value_label(kind: str, value: str, names: dict[str, str]) -> str:
    if value == "":
        return "—"
    if kind == EventKind.STATUS or kind == EventKind.CREATED:
        return str(TicketStatus(value).label) if value in TicketStatus.values else value
    if kind == EventKind.PRIORITY and value.upper() in Priority.names:
        return str(Priority.by_name(value).label)
    if kind == EventKind.TYPE and value in TicketType.values:
        return str(TicketType(value).label)
    if kind in (EventKind.ASSIGNED, EventKind.TEAM, EventKind.REQUESTER_MERGED):
        return names.get(f"{kind}:{value}", value)
    if kind == EventKind.LINE and value.isdigit() and int(value) in SupportLine.values:
        return str(SupportLine(int(value)).label)
    if kind in (
        EventKind.MERGED_INTO,
        EventKind.MERGED_FROM,
        EventKind.PROBLEM_LINKED,
        EventKind.PROBLEM_UNLINKED,
    ):
        return f"#{value}"
    if kind in (EventKind.REPLY, EventKind.NOTE):
        return ""
    if kind == EventKind.REMOTE_ENDED and value.isdigit():
        minutes = int(value)
        return ngettext("%(minutes)s minute logged", "%(minutes)s minutes logged", minutes) % {
            "minutes": minutes
        }
    if kind == EventKind.BOT_HANDOFF:
        reasons = {"declined": _("the customer said no"), "replied": _("the customer replied")}
        return str(reasons.get(value, value))
    return value


def history(ticket: Ticket, *, limit: int | None = None) -> list[dict[str, Any]]:
    """The audit events in the reader's language, oldest first; user and team ids
    become names. `limit`: only the newest that many."""
    query = Event.objects.filter(ticket=ticket).select_related("actor")
    if limit is None:
        events = list(query.order_by("created_at", "id"))
    else:
        events = list(query.order_by("-created_at", "-id")[:limit])
        events.reverse()
    people = (EventKind.ASSIGNED, EventKind.REQUESTER_MERGED)
    user_ids = {int(v) for e in events if e.kind in people for v in (e.old, e.new) if v.isdigit()}
    team_ids = {
        int(v) for e in events if e.kind == EventKind.TEAM for v in (e.old, e.new) if v.isdigit()
    }
    names = {
        f"{kind}:{u.pk}": u.display_name
        for u in User.objects.filter(pk__in=user_ids)
        for kind in people
    }
    names |= {f"{EventKind.TEAM}:{t.pk}": t.name for t in Team.objects.filter(pk__in=team_ids)}
    return [
        {
            "at": e.created_at,
            "actor": e.actor,
            "label": EventKind(e.kind).label if e.kind in EventKind.values else e.kind,
            "old": _value_label(e.kind, e.old, names) if e.old else "",
            "new": _value_label(e.kind, e.new, names),
            "via": _via(e.data),
        }
        for e in events
    ]


def _history_context(ticket: Ticket) -> dict[str, Any]:
    """The History card: the newest HISTORY_EVENTS events (the API's /events has all),
    and whether older ones were left out."""
    events = history(ticket, limit=HISTORY_EVENTS + 1)
    return {"history": events[-HISTORY_EVENTS:], "history_more": len(events) > HISTORY_EVENTS}


def _via(data: Any) -> str:
    """What made a change for a person, in words: a trigger, a time automation, routing."""
    if not isinstance(data, dict):
        return ""
    if data.get("trigger_name"):
        return _("by trigger “%(name)s”") % {"name": data["trigger_name"]}
    if data.get("automation_name"):
        return _("by automation “%(name)s”") % {"name": data["automation_name"]}
    if data.get("routing"):
        strategies = {
            "round_robin": _("round robin"),
            "least_loaded": _("least loaded"),
            "skills": _("skills"),
        }
        strategy = strategies.get(data["routing"], data["routing"])
        return _("by routing (%(strategy)s)") % {"strategy": strategy}
    if data.get("complaint"):
        return _("by the complaint rules")
    return ""


_REMOTE_IMAGE = re.compile(r"<img\b[^>]*\bsrc=[\"']?(?:https?:)?//", re.IGNORECASE)


HISTORY_EVENTS = 100


def _thread(
    user: User, ticket: Ticket, *, expanded: int | None = None, before: str | None = None
) -> Window:
    """The newest messages (or those before the cursor `before`), each public one of the
    desk with the delivery that took it to the customer (`m.delivery`, None if none),
    each e-mail with its stored original (`m.raw`): one query for each, whatever the
    thread's length. The message `expanded` names also carries its whole original,
    quoted history included (`m.quoted`), read from the stored e-mail."""
    window = message_window(user, ticket, before=before)
    ids = [m.pk for m in window.messages]
    deliveries = latest_deliveries(ids)
    raws = raw_of_messages(ids)
    for message in window.messages:
        message.delivery = deliveries.get(message.pk)  # type: ignore[attr-defined]
        raw = message.raw = raws.get(message.pk)  # type: ignore[attr-defined]
        message.quoted = None  # type: ignore[attr-defined]
        if raw is not None and raw.trimmed and message.pk == expanded:
            text, markup = full_content(raw.raw_id)
            # Sanitized when it was read (full_content): safe to show as it is.
            message.quoted = mark_safe(markup) if markup else linebreaksbr(text)  # type: ignore[attr-defined]  # noqa: S308
    return window


def _before(request: HttpRequest) -> str | None:
    """The thread cursor of the page's address; a cursor the desk did not give out
    shows the newest messages rather than an error page."""
    before = request.GET.get("before", "")
    if not before:
        return None
    try:
        decode_position(before)
    except OporaError:
        return None
    return before


def _render(
    request: HttpRequest,
    ticket: Ticket,
    *,
    composer: ComposerForm | None = None,
    panel_error: str = "",
    panel: dict[str, str] | None = None,
    panel_errors: dict[str, str] | None = None,
    side_form: forms.Form | None = None,
    time_form: TimeForm | None = None,
    follower_form: FollowerForm | None = None,
    escalate_form: EscalateForm | None = None,
    handoff_form: HandoffForm | None = None,
    whatsapp_form: Any = None,
    status: int = 200,
    extra: dict[str, Any] | None = None,
    fresh: bool = False,
) -> HttpResponse:
    user = current_user(request)
    if not fresh:
        ticket = _access(user, ticket.number)  # read again, after any change
    tags = ", ".join(t.name for t in ticket.tags.all())
    # What the Properties form shows: the ticket's values, or after a refusal the ones
    # the agent chose, so a refused save loses none of them.
    shown = panel or _panel_values(ticket, tags)
    teams = list(Team.objects.order_by("name"))
    choices = team_assignees(teams)
    assignees = list(choices.get(shown["team"], []))
    if shown["assignee"] and all(str(a["id"]) != shown["assignee"] for a in assignees):
        # The current (or chosen) assignee stays visible, so the form never changes it
        # silently; saving it with a team it is not in is refused next to the field.
        current = User.objects.filter(pk=parse_id(shown["assignee"]) or 0).first()
        if current is not None:
            assignees.append({"id": current.pk, "name": current.display_name})
    others = (
        visible_tickets(user)
        .filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .order_by("-updated_at")[:OTHER_TICKETS]
    )
    sla = ticket_sla(ticket)
    before = _before(request)
    window = _thread(user, ticket, expanded=parse_id(request.GET.get("quoted", "")), before=before)
    thread = window.messages
    # Images from other sites are not loaded unless the agent asks (the page's policy
    # blocks them): a tracking pixel would tell the sender when and where she read it.
    remote_images = any(_REMOTE_IMAGE.search(m.body_html) for m in thread)
    show_remote = remote_images and request.GET.get("images") == "remote"
    if show_remote:
        allow_remote_images(request)
    context = {
        "ticket": ticket,
        "remote_images": remote_images,
        "show_remote": show_remote,
        "nav": "queue",
        "sla": sla,
        "sla_state": sla_state(sla),
        "sla_targets": sla_targets(ticket, sla),
        "now": timezone.now(),
        "thread": thread,
        "earlier": window.earlier,
        "before": before or "",
        "composer": composer or ComposerForm(),
        "panel_error": panel_error,
        "side_form": side_form,
        "time_form": time_form,
        "time": time_totals(ticket, user),
        # Costs are for the people who plan budgets, not for every agent.
        "show_cost": user.is_admin or user.is_team_lead,
        "tags": tags,
        "panel": shown,
        "panel_errors": panel_errors or {},
        "assignees": assignees,
        "assignee_choices": choices,
        "followers": list(ticket.followers.order_by("name", "email")),
        "follower_form": follower_form,
        "escalation": _escalation(user, ticket, escalate_form, sla.level),
        "handoff": _handoff(user, ticket, handoff_form),
        "whatsapp": whatsapp_panel(ticket, whatsapp_form) if user.is_agent else None,
        "others": list(others),
        **_history_context(ticket),
        "statuses": _allowed_statuses(ticket),
        "priorities": [(p.code, p.label) for p in Priority],
        "current_priority": Priority(ticket.priority).code,
        "types": TicketType.choices,
        "lines": SupportLine.choices,
        "teams": teams,
        "incidents": list(ticket.incidents.order_by("number")[:20])
        if ticket.type == TicketType.PROBLEM
        else [],
        **ticket_fields_context(user, ticket),
        **(extra or {}),  # a card's own form state (the remote-session card's)
    }
    if is_htmx(request):
        # htmx swaps only 2xx answers by default: errors travel in the fragment (a 422
        # of the Properties form is swapped too, by ticket-tools.js).
        return render(request, "agent/_ticket.html", context, status=422 if status == 422 else 200)
    return render(request, "agent/ticket.html", context, status=status)


def _panel_values(ticket: Ticket, tags: str) -> dict[str, str]:
    return {
        "status": ticket.status,
        "priority": Priority(ticket.priority).code,
        "type": ticket.type,
        "assignee": str(ticket.assignee_id or ""),
        "team": str(ticket.team_id or ""),
        "line": str(ticket.line),
        "tags": tags,
    }


def _allowed_statuses(ticket: Ticket) -> list[tuple[str, Any]]:
    """The current status and those it may move to: the form offers nothing the
    ticket would refuse."""
    allowed = ALLOWED_TRANSITIONS.get(ticket.status, frozenset())
    return [(v, label) for v, label in TicketStatus.choices if v == ticket.status or v in allowed]


def _escalation(
    user: User, ticket: Ticket, form: EscalateForm | None, level: str
) -> dict[str, Any] | None:
    """The Escalate card: the levels above the current one (`level`, the SLA row's, as
    `sla.actions.current_level` reads it); None when there is none."""
    if not user.is_agent or ticket.status == TicketStatus.CLOSED:
        return None
    higher = LEVELS[LEVELS.index(level) + 1 :] if level in LEVELS else []
    labels = dict(EscalateForm.LEVELS)
    return {
        "level": level,
        "level_label": labels.get(level, _("Line 1")),
        "choices": [(value, labels[value]) for value in higher if value in labels],
        "form": form,
    }


def _handoff(user: User, ticket: Ticket, form: HandoffForm | None) -> dict[str, Any] | None:
    """The hand-off card: only with a development webhook configured, for agents."""
    if not user.is_agent or not settings.DEV_WEBHOOK_URL:
        return None
    problem_id = ticket.problem_id or ticket.pk
    found = DevHandoff.objects.filter(problem_id=problem_id).select_related("problem").first()
    reference = found.dev_reference if found else ""
    return {
        "state": found,
        "reference": reference,
        "reference_is_link": reference.startswith(("https://", "http://")),
        "form": form,
        "open": ticket.status != TicketStatus.CLOSED,
    }


def _done(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    if is_htmx(request):
        return _render(request, ticket)
    return redirect("agent:ticket", number=ticket.number)


@require_GET
@agent_required
def ticket_page(request: HttpRequest, number: int) -> HttpResponse:
    return _render(request, _access(current_user(request), number), fresh=True)


@require_GET
@agent_required
def earlier(request: HttpRequest, number: int) -> HttpResponse:
    """ "Load earlier": the messages before the cursor, as a fragment htmx puts in place
    of the button (with the next button above them). Without htmx the link opens the
    page at that point of the thread instead."""
    user = current_user(request)
    ticket = _access(user, number)
    before = _before(request)
    if not is_htmx(request) or before is None:
        query = f"?before={before}" if before else ""
        return redirect(f"/agent/tickets/{ticket.number}{query}#thread")
    window = _thread(user, ticket, before=before)
    context = {"ticket": ticket, "thread": window.messages, "earlier": window.earlier}
    return render(request, "agent/_thread.html", context | {"before": before})


@require_POST
@agent_required
def reply(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    ticket = _access(user, number)
    form = ComposerForm(request.POST)
    if not form.is_valid():
        return _render(request, ticket, composer=form, status=400)
    internal = form.cleaned_data["kind"] == "note"
    reply: Callable[..., object] = actions.add_message
    macro_id = parse_id(request.POST.get("macro", ""))
    if macro_id is not None:
        # A macro picked in the composer: its changes go with the reply, all or nothing.
        reply = partial(apply_macro_by_id, macro_id=macro_id)
    try:
        # The reply and the status it sets are one change: both or neither.
        reply(
            ticket,
            by=user,
            body=form.cleaned_data["body"],
            internal=internal,
            # Replies go back on the customer's channel; notes stay in the desk.
            channel=Channel.WEB if internal else ticket.channel,
            attachments=incoming_files(request),
            status=form.cleaned_data["status"] or None,
        )
    except OporaError as exc:
        add_action_error(form, exc, default_field="body" if exc.field == "body" else None)
        return _render(request, ticket, composer=form, status=400)
    return _done(request, ticket)


@require_GET
@agent_required
def message_original(request: HttpRequest, number: int, message_id: int) -> HttpResponse:
    """ "Download original (.eml)": the e-mail a message came from, exactly as received."""
    try:
        raw = access_raw_message(current_user(request), number, message_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None
    response = HttpResponse(bytes(raw.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{message_id}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@agent_required
def retry(request: HttpRequest, number: int, delivery_id: int) -> HttpResponse:
    """ "Send again": a failed delivery of a reply goes back into the outbox."""
    user = current_user(request)
    try:
        found = access_delivery(user, number, delivery_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None
    try:
        retry_delivery(found, by=user)
    except OporaError as exc:
        return _render(request, found.ticket, panel_error=exc.message, status=exc.status)
    return _done(request, found.ticket)


def _int_or_none(value: str) -> int | None:
    return parse_id(value)


def _panel_changes(request: HttpRequest, ticket: Ticket, user: User) -> actions.TicketChanges:
    """Only fields the form sent and that differ from the ticket become changes."""
    post = request.POST
    changes = actions.TicketChanges()
    if post.get("take"):
        changes.assignee = user.pk
        return changes
    if "status" in post and post["status"] != ticket.status:
        changes.status = post["status"]
    if "priority" in post and post["priority"] != Priority(ticket.priority).code:
        changes.priority = post["priority"]
    if "type" in post and post["type"] != ticket.type:
        changes.type = post["type"]
    if "assignee" in post:
        assignee = _int_or_none(post["assignee"])
        if assignee != ticket.assignee_id:
            if assignee is None:
                changes.unassign = True
            else:
                changes.assignee = assignee
    if "team" in post:
        team = _int_or_none(post["team"])
        if team != ticket.team_id:
            if team is None:
                changes.clear_team = True
            else:
                changes.team = team
    if "line" in post:
        line = _int_or_none(post["line"])
        if line is None:
            raise ValidationFailed(
                ticket_errors.INVALID_CHOICE,
                _("The support line must be 1, 2 or 3."),
                field="line",
            )
        if line != ticket.line:
            changes.line = line
    if "tags" in post:
        changes.tags = [t for t in post["tags"].replace(",", " ").split() if t]
    return changes


PANEL_FIELDS = ("status", "priority", "type", "assignee", "team", "line", "tags")


@require_POST
@agent_required
def update(request: HttpRequest, number: int) -> HttpResponse:
    """Save the Properties form: every change in it, or (refused) none, and the form
    back as the agent filled it with the reason next to the field (422)."""
    user = current_user(request)
    ticket = _access(user, number)
    try:
        actions.update_ticket(ticket, _panel_changes(request, ticket, user), by=user)
    except OporaError as exc:
        chosen = _panel_values(ticket, ", ".join(t.name for t in ticket.tags.all()))
        chosen |= {k: request.POST[k] for k in PANEL_FIELDS if k in request.POST}
        if exc.field in PANEL_FIELDS:
            errors, general = {str(exc.field): exc.message}, ""
        else:
            errors, general = {}, exc.message
        return _render(
            request, ticket, panel=chosen, panel_errors=errors, panel_error=general, status=422
        )
    return _done(request, ticket)


@require_POST
@agent_required
def follower_add(request: HttpRequest, number: int) -> HttpResponse:
    """Add a follower (a customer or an agent found by the search, or by e-mail)."""
    user = current_user(request)
    ticket = _access(user, number)
    form = FollowerForm(request.POST)
    if form.is_valid():
        person = _person(user, form.cleaned_data["person_id"], form.cleaned_data["person"])
        if person is None:
            form.add_error("person", _("Nobody with this e-mail; pick a person from the list."))
        elif person.pk == ticket.requester_id:
            form.add_error("person", _("The requester gets every reply already."))
        else:
            actions.add_followers(ticket, [person], by=user)
            return _done(request, ticket)
    return _render(request, ticket, follower_form=form, status=422)


def _person(viewer: User, person_id: int | None, text: str) -> User | None:
    if person_id is not None:
        try:
            return access_user(viewer, person_id)
        except NotFound:
            return None
    address = text.strip().rsplit("<", 1)[-1].rstrip(">").strip().lower()
    return User.objects.filter(email=address, is_active=True, merged_into__isnull=True).first()


@require_POST
@agent_required
def follower_remove(request: HttpRequest, number: int, user_id: int) -> HttpResponse:
    user = current_user(request)
    ticket = _access(user, number)
    follower = ticket.followers.filter(pk=user_id).first()
    if follower is None:
        raise Http404
    actions.remove_followers(ticket, [follower], by=user)
    return _done(request, ticket)


@require_POST
@agent_required
def escalate(request: HttpRequest, number: int) -> HttpResponse:
    """Move the ticket up to line 2, 3 or the team lead, with the reason (sla actions)."""
    user = current_user(request)
    try:
        ticket = access_desk_ticket(user, number)
    except NotFound as exc:
        raise not_found_as_404(exc) from None
    form = EscalateForm(request.POST)
    if form.is_valid():
        try:
            sla_actions.escalate_ticket(
                ticket, to=form.cleaned_data["to"], reason=form.cleaned_data["reason"], by=user
            )
        except OporaError as exc:
            add_action_error(form, exc, default_field="to")
        else:
            return _done(request, ticket)
    return _render(request, ticket, escalate_form=form, status=422)


@require_POST
@agent_required
def hand_off(request: HttpRequest, number: int) -> HttpResponse:
    """Hand the ticket (its problem) to development: the summary and the reason go into
    an internal note in the same transaction, then the signed webhook is queued."""
    user = current_user(request)
    try:
        ticket = access_desk_ticket(user, number)
    except NotFound as exc:
        raise not_found_as_404(exc) from None
    form = HandoffForm(request.POST)
    if form.is_valid():
        note = _("Handed to development: %(summary)s") % {"summary": form.cleaned_data["summary"]}
        try:
            with transaction.atomic():
                actions.add_message(
                    ticket,
                    by=user,
                    body=f"{note}\n\n{form.cleaned_data['reason']}",
                    internal=True,
                    channel=Channel.WEB,
                )
                sla_actions.hand_to_development(_access(user, number), by=user)
        except OporaError as exc:
            add_action_error(form, exc, default_field="summary")
        else:
            return _done(request, ticket)
    return _render(request, ticket, handoff_form=form, status=422)


@require_POST
@agent_required
def merge(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    ticket = _access(user, number)
    form = MergeForm(request.POST)
    if form.is_valid():
        try:
            target = access_ticket(user, form.cleaned_data["into"])
            actions.merge_tickets(ticket, target, by=user)
        except NotFound:
            form.add_error("into", _("No such ticket."))
        except OporaError as exc:
            form.add_error("into", exc.message)
        else:
            if is_htmx(request):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = f"/agent/tickets/{target.number}"
                return response
            return redirect("agent:ticket", number=target.number)
    return _render(request, ticket, side_form=form, status=400)


@require_POST
@agent_required
def problem(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    ticket = _access(user, number)
    if request.POST.get("unlink"):
        actions.unlink_problem(ticket, by=user)
        return _done(request, ticket)
    form = ProblemForm(request.POST)
    if form.is_valid():
        try:
            found = access_ticket(user, form.cleaned_data["problem"])
            actions.link_problem(ticket, found, by=user)
        except NotFound:
            form.add_error("problem", _("No such ticket."))
        except OporaError as exc:
            form.add_error("problem", exc.message)
        else:
            return _done(request, ticket)
    return _render(request, ticket, side_form=form, status=400)


@require_POST
@agent_required
def time_card(request: HttpRequest, number: int) -> HttpResponse:
    """The Time card: start or stop the viewer's timer, or log minutes by hand."""
    user = current_user(request)
    ticket = _access(user, number)
    form = TimeForm(request.POST)
    try:
        if request.POST.get("timer") == "start":
            actions.start_timer(ticket, by=user)
        elif request.POST.get("timer") == "stop":
            actions.stop_timer(ticket, by=user)
        elif form.is_valid():
            actions.log_time(
                ticket,
                by=user,
                minutes=form.cleaned_data["minutes"],
                note=form.cleaned_data["note"],
            )
        else:
            return _render(request, ticket, time_form=form, status=400)
    except OporaError as exc:
        add_action_error(form, exc, default_field="minutes" if exc.field == "minutes" else None)
        return _render(request, ticket, time_form=form, status=400)
    return _done(request, ticket)


@require_GET
@agent_required
def related(request: HttpRequest, number: int) -> HttpResponse:
    """The Related articles card's list: loaded after the page, and for the card's search."""
    user = current_user(request)
    ticket = _access(user, number)
    q = request.GET.get("q", "").strip()
    context = {"ticket": ticket, "q": q, "articles": related_articles(user, ticket, q=q)}
    return render(request, "agent/_related.html", context)


@require_POST
@agent_required
def to_article(request: HttpRequest, number: int) -> HttpResponse:
    """Turn a solved ticket's answer into a draft article and open it."""
    user = current_user(request)
    ticket = _access(user, number)
    try:
        article = draft_from_ticket(ticket, by=user)
    except OporaError as exc:
        return _render(request, ticket, panel_error=exc.message, status=400)
    messages.success(request, _("A draft article was made from this ticket."))
    return redirect("kb:article", article_id=article.pk)
