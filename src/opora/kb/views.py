"""The help center: public pages, readable without signing in, in the visitor's language.

Thin views: pick the language, load through `kb.selectors`, render. Votes, suggestions
and deflections go through the JSON API from small scripts on these pages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST

from opora.accounts.models import Language, User
from opora.core.errors import NotFound, OporaError
from opora.core.numbers import parse_id
from opora.kb import actions
from opora.kb.models import Category
from opora.kb.selectors import access_article, search_articles, translations, visible_articles
from opora.tickets.actions import create_ticket


def _viewer(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_active else None


def _language(request: HttpRequest) -> str:
    """As on the portal: the user's own language, else ?lang=, the cookie, the browser."""
    user = _viewer(request)
    if user is not None and user.language in Language.values:
        return user.language
    chosen = request.GET.get("lang", "")
    if chosen in Language.values:
        return chosen
    # LocaleMiddleware has already read the language cookie and the browser's choice.
    current = translation.get_language() or settings.LANGUAGE_CODE
    return Language.RU if current.startswith("ru") else Language.EN


def _next_path(request: HttpRequest) -> str:
    """This page without ?lang=, for the language switcher: a stale ?lang would win."""
    query = request.GET.copy()
    query.pop("lang", None)
    encoded = query.urlencode()
    return request.path + (f"?{encoded}" if encoded else "")


def in_visitor_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render the page in the visitor's language; a visitor's ?lang= sticks in the cookie."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = _language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = view(request, *args, **kwargs)
        if request.GET.get("lang") == language and _viewer(request) is None:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    return wrapper


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "lang": request.LANGUAGE_CODE,
        "language_next": _next_path(request),
        "nav": "help",
        **extra,
    }


@in_visitor_language
def home(request: HttpRequest) -> HttpResponse:
    context = _context(request)
    lang = context["lang"]
    articles = visible_articles(_viewer(request)).filter(language=lang)
    sections = []
    for category in Category.objects.order_by("position", "slug"):
        listed = list(articles.filter(category=category).order_by("title")[:6])
        if listed:
            sections.append({"category": category, "name": category.name(lang), "articles": listed})
    popular = list(articles.order_by("-view_count", "title")[:5])
    return render(request, "kb/home.html", {**context, "sections": sections, "popular": popular})


@in_visitor_language
def search(request: HttpRequest) -> HttpResponse:
    context = _context(request)
    q = request.GET.get("q", "").strip()[:500]
    results = search_articles(_viewer(request), q, language=context["lang"], limit=20) if q else []
    return render(request, "kb/search.html", {**context, "q": q, "results": results})


@in_visitor_language
def category(request: HttpRequest, slug: str) -> HttpResponse:
    context = _context(request)
    found = get_object_or_404(Category, slug=slug)
    articles = (
        visible_articles(_viewer(request))
        .filter(category=found, language=context["lang"])
        .order_by("title")
    )
    return render(
        request,
        "kb/category.html",
        {**context, "category": found, "name": found.name(context["lang"]), "articles": articles},
    )


@ensure_csrf_cookie
@in_visitor_language
def article(request: HttpRequest, article_id: int) -> HttpResponse:
    user = _viewer(request)
    try:
        found = access_article(user, article_id)
    except NotFound:
        raise Http404("article") from None
    actions.record_view(found, by=user)
    if request.GET.get("q"):  # opened from the search results (kb/search.html)
        actions.record_search_click(found, request.GET["q"], by=user, session=request.session)
    context = _context(request)
    other = {a.language: a for a in translations(found, user)}
    return render(
        request,
        "kb/article.html",
        {**context, "article": found, "translations": other},
    )


@login_required
@require_http_methods(["GET", "POST"])
@in_visitor_language
def ask(request: HttpRequest) -> HttpResponse:
    """A new request, with matching articles suggested while it is typed."""
    context = _context(request, nav="ask")
    user = request.user
    assert isinstance(user, User)
    error = ""
    if request.method == "POST":
        try:
            ticket = create_ticket(
                requester=user,
                subject=request.POST.get("subject", ""),
                body=request.POST.get("body", ""),
                by=user,
                channel="web",
                language=context["lang"],
            )
        except OporaError as exc:
            error = exc.message
        else:
            read = parse_id(request.POST.get("read", ""))
            if read is not None:
                # Read a suggested article, then sent the request anyway: not deflected.
                actions.withdraw_deflection(user=user, article_id=read)
            return redirect("kb:sent", number=ticket.number)
    return render(request, "kb/ask.html", {**context, "error": error, "form": request.POST})


@require_POST
def deflected(request: HttpRequest) -> HttpResponse:
    """The visitor left an article opened from a suggestion without sending the request.

    Sent with navigator.sendBeacon (a form with the CSRF token) as the page closes.
    """
    user = _viewer(request)
    article_id = parse_id(request.POST.get("article", ""))
    if article_id is None:
        return HttpResponse(status=400)
    try:
        found = access_article(user, article_id)
    except NotFound:
        return HttpResponse(status=400)
    actions.record_deflection(
        "deflected", article=found, user=user, query=request.POST.get("query", "")
    )
    return HttpResponse(status=204)


@login_required
@in_visitor_language
def ask_sent(request: HttpRequest, number: int) -> HttpResponse:
    return render(request, "kb/sent.html", _context(request, nav="ask", number=number))


__all__ = ["article", "ask", "category", "home", "search"]
