"""The page behind the rating link in the e-mail: no sign-in, the signed token is the key."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from opora.core.errors import OporaError
from opora.core.numbers import parse_int
from opora.feedback.actions import rate_ticket, ticket_for_token
from opora.feedback.models import Rating


def rate(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ticket = ticket_for_token(token)
    except OporaError as exc:
        return render(request, "feedback/rate.html", {"error": exc.message}, status=404)
    rating = Rating.objects.filter(ticket=ticket).first()
    context = {
        "ticket": ticket,
        "scores": range(1, 6),
        "score": rating.score if rating else None,
        "comment": rating.comment if rating else "",
    }
    status = 200
    if request.method == "POST":
        try:
            score = parse_int(request.POST.get("score", ""), maximum=100) or 0
            rating = rate_ticket(
                ticket, by=ticket.requester, score=score, comment=request.POST.get("comment", "")
            )
            context.update(saved=True, score=rating.score, comment=rating.comment)
        except OporaError as exc:
            context["error"] = exc.message
            status = exc.status
    elif parse_int(request.GET.get("score", ""), minimum=1, maximum=5) is not None:
        context["score"] = parse_int(request.GET["score"])
    return render(request, "feedback/rate.html", context, status=status)
