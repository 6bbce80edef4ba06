# ruff: noqa: RUF001
"""The help center: public pages, readable without signing in, in the visitor's language.

Thin views: pick the language, load through `kb.selectors`, render. Votes, suggestions
and deflections go through the JSON API from small scripts on these pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST

from opora.accounts.models import Language, User
from opora.core.errors import NotFound, OporaError
from opora.kb import actions
from opora.kb.models import Category
from opora.kb.selectors import access_article, search_articles, translations, visible_articles
from opora.tickets.actions import create_ticket


def _viewer(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_active else None


def _language(request: HttpRequest) -> str:
    """?lang= first, then the signed-in user's language, then the browser's."""
    chosen = request.GET.get("lang", "")
    if chosen in Language.values:
        return chosen
    user = _viewer(request)
    if user is not None:
        return user.language
    browser = translation.get_language_from_request(request)
    return Language.RU if browser and browser.startswith("ru") else Language.EN


# The help center's own words, in both languages.
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Help center",
        "search": "Search",
        "placeholder": "Describe your question…",
        "popular": "Popular articles",
        "results": "Results for",
        "nothing": "Nothing found. Try other words or send us a request.",
        "helpful": "Was this article helpful?",
        "yes": "Yes",
        "no": "No",
        "thanks": "Thank you for your answer!",
        "views": "views",
        "ask": "Send a request",
        "subject": "Subject",
        "body": "Describe the problem",
        "send": "Send",
        "suggest": "These articles may answer your question:",
        "sent": "Your request has been sent. Its number is",
        "other": "Русский",
        "back": "All articles",
        "internal": "Internal article: customers do not see it.",
    },
    "ru": {
        "title": "Центр помощи",
        "search": "Найти",
        "placeholder": "Опишите ваш вопрос…",
        "popular": "Популярные статьи",
        "results": "Результаты по запросу",
        "nothing": "Ничего не найдено. Попробуйте другие слова или отправьте обращение.",
        "helpful": "Статья была полезна?",
        "yes": "Да",
        "no": "Нет",
        "thanks": "Спасибо за ответ!",
        "views": "просмотров",
        "ask": "Отправить обращение",
        "subject": "Тема",
        "body": "Опишите проблему",
        "send": "Отправить",
        "suggest": "Возможно, ответ есть в этих статьях:",
        "sent": "Обращение отправлено. Его номер",
        "other": "English",
        "back": "Все статьи",
        "internal": "Внутренняя статья: клиенты её не видят.",
    },
}


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    language = _language(request)
    translation.activate(language)
    other = "en" if language == "ru" else "ru"
    return {"lang": language, "other_lang": other, "t": TEXTS[language], **extra}


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


def search(request: HttpRequest) -> HttpResponse:
    context = _context(request)
    q = request.GET.get("q", "").strip()[:500]
    results = search_articles(_viewer(request), q, language=context["lang"], limit=20) if q else []
    return render(request, "kb/search.html", {**context, "q": q, "results": results})


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
def article(request: HttpRequest, article_id: int) -> HttpResponse:
    user = _viewer(request)
    try:
        found = access_article(user, article_id)
    except NotFound:
        raise Http404("article") from None
    if user is None or not user.is_agent:
        actions.record_view(found)
        found.view_count += 1
    context = _context(request)
    context["lang"] = found.language
    context["t"] = TEXTS[found.language]
    other = {a.language: a for a in translations(found, user)}
    return render(
        request,
        "kb/article.html",
        {**context, "article": found, "translations": other},
    )


@login_required
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    """A new request, with matching articles suggested while it is typed."""
    context = _context(request)
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
            read = request.POST.get("read", "")
            if read.isdigit():
                # Read a suggested article, then sent the request anyway: not deflected.
                actions.withdraw_deflection(user=user, article_id=int(read))
            return redirect(f"/help/ask/sent/{ticket.number}/?lang={context['lang']}")
    return render(request, "kb/ask.html", {**context, "error": error, "form": request.POST})


@require_POST
def deflected(request: HttpRequest) -> HttpResponse:
    """The visitor left an article opened from a suggestion without sending the request.

    Sent with navigator.sendBeacon (a form with the CSRF token) as the page closes.
    """
    user = _viewer(request)
    try:
        found = access_article(user, int(request.POST.get("article", "")))
    except (ValueError, NotFound):
        return HttpResponse(status=400)
    actions.record_deflection(
        "deflected", article=found, user=user, query=request.POST.get("query", "")
    )
    return HttpResponse(status=204)


@login_required
def ask_sent(request: HttpRequest, number: int) -> HttpResponse:
    return render(request, "kb/sent.html", {**_context(request), "number": number})


__all__ = ["article", "ask", "category", "home", "search"]
