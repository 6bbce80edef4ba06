"""The public ideas board: anyone reads; signed-in customers vote once and comment
(held until an agent approves). Writes are POST forms with the CSRF token."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opora.core.errors import NotFound, OporaError
from opora.ideas import actions
from opora.ideas.models import IdeaStatus
from opora.ideas.selectors import (
    SORTS,
    access_idea,
    approved_comments,
    board,
    has_voted,
    own_pending_comments,
)
from opora.pages import signed_in_user


def _idea(idea_id: int):  # type: ignore[no-untyped-def]
    try:
        return access_idea(idea_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


@require_GET
def idea_list(request: HttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", "votes")
    sort = sort if sort in SORTS else "votes"
    status = request.GET.get("status", "")
    status = status if status in IdeaStatus.values else ""
    q = request.GET.get("q", "").strip()[:200]
    context = {
        "ideas": board(sort=sort, status=status, q=q),
        "sort": sort,
        "status": status,
        "q": q,
        "statuses": IdeaStatus.choices,
        "nav": "ideas",
    }
    return render(request, "portal/ideas/board.html", context)


@require_GET
def idea_page(request: HttpRequest, idea_id: int) -> HttpResponse:
    idea = _idea(idea_id)
    user = signed_in_user(request)
    customer = user is not None and not user.is_agent
    context = {
        "idea": idea,
        "comments": approved_comments(idea),
        "pending": own_pending_comments(idea, user) if user else [],
        "voted": user is not None and has_voted(idea, user),
        "customer": customer,
        "nav": "ideas",
    }
    return render(request, "portal/ideas/idea.html", context)


def _signed_in_customer(request: HttpRequest, idea_id: int) -> HttpResponse | None:
    """Visitors go to sign in (and come back); agents answer on the desk's idea page."""
    user = signed_in_user(request)
    if user is None:
        return redirect_to_login(f"/ideas/{idea_id}")
    return None


@require_POST
def idea_vote(request: HttpRequest, idea_id: int) -> HttpResponse:
    idea = _idea(idea_id)
    refused = _signed_in_customer(request, idea_id)
    if refused is not None:
        return refused
    user = signed_in_user(request)
    assert user is not None
    try:
        actions.vote(idea, by=user)
    except OporaError as exc:
        flash.error(request, exc.message)
        return redirect("ideas:idea", idea_id=idea.pk)
    flash.success(request, _("Thank you: your vote is counted."))
    return redirect("ideas:idea", idea_id=idea.pk)


@require_POST
def idea_comment(request: HttpRequest, idea_id: int) -> HttpResponse:
    idea = _idea(idea_id)
    refused = _signed_in_customer(request, idea_id)
    if refused is not None:
        return refused
    user = signed_in_user(request)
    assert user is not None
    try:
        actions.comment(idea, by=user, body=request.POST.get("body", ""))
    except OporaError as exc:
        flash.error(request, exc.message)
        return redirect("ideas:idea", idea_id=idea.pk)
    flash.success(request, _("Thank you: your comment appears once the team has read it."))
    return redirect("ideas:idea", idea_id=idea.pk)
