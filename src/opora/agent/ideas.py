"""The desk's idea pages: the list (with the moderation queue and the CSV for the
product team), an idea (status, official reply, comments to approve, linked tickets
and voters), and merging a suggestion ticket into an idea from the ticket page.

Thin views: parse → access → one action → redirect back with a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opora.core.errors import NotFound, OporaError
from opora.core.numbers import parse_id
from opora.ideas import actions
from opora.ideas.models import Idea, IdeaStatus
from opora.ideas.selectors import (
    SORTS,
    access_comment,
    access_idea,
    approved_comments,
    board,
    export_csv,
    linked_tickets,
    pending_comments,
)
from opora.pages import agent_required, current_user, not_found_as_404
from opora.tickets.models import Ticket
from opora.tickets.selectors import access_ticket


def _idea(idea_id: int) -> Idea:
    try:
        return access_idea(idea_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


def _ticket(request: HttpRequest, number: int) -> Ticket:
    try:
        return access_ticket(current_user(request), number)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_GET
@agent_required
def idea_list(request: HttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", "votes")
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()[:200]
    context = {
        "ideas": board(
            sort=sort if sort in SORTS else "votes",
            status=status if status in IdeaStatus.values else "",
            q=q,
        ),
        "sort": sort,
        "status": status,
        "q": q,
        "statuses": IdeaStatus.choices,
        "pending": pending_comments()[:50],
        "nav": "ideas",
    }
    return render(request, "agent/ideas/list.html", context)


@require_GET
@agent_required
def idea_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        export_csv(board(limit=100_000)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="ideas.csv"'
    return response


@require_POST
@agent_required
def idea_new(request: HttpRequest) -> HttpResponse:
    try:
        idea = actions.create_idea(
            by=current_user(request),
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
        )
    except OporaError as exc:
        messages.error(request, exc.message)
        return redirect("agent:ideas")
    return redirect("agent:idea", idea_id=idea.pk)


@require_GET
@agent_required
def idea_page(request: HttpRequest, idea_id: int) -> HttpResponse:
    idea = _idea(idea_id)
    context = {
        "idea": idea,
        "statuses": IdeaStatus.choices,
        "comments": approved_comments(idea),
        "pending": pending_comments(idea),
        "links": linked_tickets(idea),
        "votes": idea.votes.select_related("customer", "ticket"),
        "history": idea.status_changes.select_related("by"),
        "nav": "ideas",
    }
    return render(request, "agent/ideas/idea.html", context)


@require_POST
@agent_required
def idea_update(request: HttpRequest, idea_id: int) -> HttpResponse:
    """The idea's title, description and status, in one form."""
    idea = _idea(idea_id)
    user = current_user(request)
    try:
        if "title" in request.POST:
            idea = actions.edit_idea(
                idea,
                by=user,
                title=request.POST.get("title", ""),
                description=request.POST.get("description", ""),
            )
        status = request.POST.get("status", "")
        if status and status != idea.status:
            actions.change_status(idea, status, by=user)
            messages.success(request, _("Status changed: every voter will be told."))
    except OporaError as exc:
        messages.error(request, exc.message)
    return redirect("agent:idea", idea_id=idea.pk)


@require_POST
@agent_required
def idea_reply(request: HttpRequest, idea_id: int) -> HttpResponse:
    idea = _idea(idea_id)
    try:
        actions.official_reply(idea, by=current_user(request), body=request.POST.get("body", ""))
    except OporaError as exc:
        messages.error(request, exc.message)
    return redirect("agent:idea", idea_id=idea.pk)


@require_POST
@agent_required
def comment_moderate(request: HttpRequest, comment_id: int) -> HttpResponse:
    try:
        comment = access_comment(comment_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None
    approve = request.POST.get("decision") == "approve"
    try:
        actions.moderate(comment, by=current_user(request), approve=approve)
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Comment published.") if approve else _("Comment rejected."))
    back = request.POST.get("back") == "list"
    return redirect("agent:ideas") if back else redirect("agent:idea", idea_id=comment.idea_id)


@require_POST
@agent_required
def ticket_to_idea(request: HttpRequest, number: int) -> HttpResponse:
    """The ticket's Ideas card: merge the suggestion into an idea, or make a new one."""
    ticket = _ticket(request, number)
    user = current_user(request)
    try:
        if request.POST.get("new"):
            idea = actions.create_idea(
                by=user,
                title=request.POST.get("title") or ticket.subject,
                description=request.POST.get("description", ""),
                ticket=ticket,
            )
            messages.success(request, _("A new idea was made from this suggestion."))
        else:
            idea_id = parse_id(request.POST.get("idea", ""))
            if idea_id is None:
                raise Http404
            idea = actions.merge_suggestion(_idea(idea_id), ticket, by=user)
            messages.success(
                request,
                _("Merged into the idea “%(title)s”; votes: %(n)s.")
                % {"title": idea.title, "n": idea.vote_count},
            )
    except OporaError as exc:
        messages.error(request, exc.message)
    return redirect("agent:ticket", number=ticket.number)
