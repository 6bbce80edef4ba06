"""The knowledge-base section of the console: articles, their editor, translations side
by side, version history, and categories.

Thin views: parse → `access_*` → one action (or a save and a state change, committed
together) → redirect or render. Errors of the actions are shown beside their field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opora.accounts.models import Language, User
from opora.console.access import section_required
from opora.console.context import console_context
from opora.core.errors import NotFound, OporaError
from opora.core.numbers import parse_id, parse_int
from opora.kb import actions
from opora.kb.markdown import render_markdown
from opora.kb.models import LIVE_STATUSES, Article, ArticleStatus, Category
from opora.kb.selectors import (
    access_article,
    access_category,
    article_page,
    article_versions,
    categories,
    category_tree,
    may_publish_articles,
    translation_columns,
    version_diff,
)
from opora.pages import PageForm, add_action_error, current_user, not_found_as_404, safe_next
from opora.tickets.selectors import access_ticket

PAGE_SIZE = 25
kb_section = section_required("kb")


def _article(user: User, article_id: int) -> Article:
    try:
        return access_article(user, article_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


def _category(category_id: int) -> Category:
    try:
        return access_category(category_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


def _category_choices(*, blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [
        (str(node.category.pk), "— " * node.depth + node.category.name(_language()))
        for node in category_tree()
    ]


def _language() -> str:
    """The page's language, as an article language: new articles start in it."""
    return Language.RU if (translation.get_language() or "").startswith("ru") else Language.EN


# Articles


@require_GET
@kb_section
def articles(request: HttpRequest) -> HttpResponse:
    """Every article, filtered by status, language, category, audience and title."""
    user = current_user(request)
    status = request.GET.get("status", "")
    language = request.GET.get("language", "")
    audience = request.GET.get("audience", "")
    category = parse_id(request.GET.get("category", ""))
    found = article_page(
        user,
        status=status if status in ArticleStatus.values else None,
        language=language if language in Language.values else None,
        category=category,
        internal={"internal": True, "public": False}.get(audience),
        q=request.GET.get("q", "")[:255],
        page=parse_int(request.GET.get("page", ""), minimum=1, maximum=100_000) or 1,
        page_size=PAGE_SIZE,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = console_context(
        request,
        "articles",
        found=found,
        statuses=ArticleStatus.choices,
        languages=Language.choices,
        categories=_category_choices(blank=_("Any category")),
        chosen={
            "status": status,
            "language": language,
            "audience": audience,
            "category": str(category or ""),
            "q": request.GET.get("q", ""),
        },
        query=query.urlencode(),
    )
    return render(request, "console/kb_articles.html", context)


class ArticleForm(PageForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=255)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Language.choices)
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Separated by commas."),
    )
    internal = forms.BooleanField(
        label=gettext_lazy("Internal: for the desk only, never shown to customers"),
        required=False,
    )
    body = forms.CharField(
        label=gettext_lazy("Text (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 18, "data-preview-source": ""}),
        max_length=actions.MAX_BODY_CHARS,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _category_choices(blank=_("No category"))

    def category_id(self) -> int | None:
        return parse_id(self.cleaned_data.get("category") or "")

    def tag_list(self) -> list[str]:
        return [t for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]


def _initial(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "language": article.language,
        "category": str(article.category_id or ""),
        "tags": ", ".join(article.tags),
        "internal": article.internal,
        "body": article.body,
    }


# The buttons of the editor: the state change each makes after saving.
TRANSITIONS: dict[str, Callable[..., Article]] = {
    "review": actions.submit_for_review,
    "publish": actions.publish,
    "unpublish": actions.unpublish,
}
DONE = {
    "save": gettext_lazy("Saved."),
    "review": gettext_lazy("Sent for review."),
    "publish": gettext_lazy("Published."),
    "unpublish": gettext_lazy("Unpublished."),
}


def buttons(article: Article | None, user: User) -> list[str]:
    """The state changes the editor offers for this article now."""
    status = article.status if article else ArticleStatus.DRAFT
    offered = []
    if status in (ArticleStatus.DRAFT, ArticleStatus.ARCHIVED):
        offered.append("review")
    if may_publish_articles(user):
        offered.append("unpublish" if status in LIVE_STATUSES else "publish")
    return offered


def _save(form: ArticleForm, article: Article | None, *, by: User) -> Article:
    data = form.cleaned_data
    if article is None:
        return actions.create_article(
            by=by,
            title=data["title"],
            body=data["body"],
            language=data["language"],
            category=form.category_id(),
            tags=form.tag_list(),
            internal=data["internal"],
        )
    changes = actions.ArticleChanges(
        title=data["title"],
        body=data["body"],
        language=data["language"],
        category=form.category_id(),
        clear_category=form.category_id() is None,
        tags=form.tag_list(),
        internal=data["internal"],
    )
    return actions.update_article(article, changes, by=by)


def _editor(
    request: HttpRequest, form: ArticleForm, article: Article | None, *, status: int = 200
) -> HttpResponse:
    user = current_user(request)
    context = console_context(
        request,
        "articles",
        form=form,
        article=article,
        buttons=buttons(article, user),
        preview=render_markdown(form["body"].value() or "") if form["body"].value() else "",
        columns=translation_columns(article) if article else {},
    )
    return render(request, "console/kb_editor.html", context, status=status)


@require_http_methods(["GET", "POST"])
@kb_section
def new_article(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method == "GET":
        return _editor(request, ArticleForm(initial={"language": _language()}), None)
    return _submit(request, ArticleForm(request.POST), None, by=user)


@require_http_methods(["GET", "POST"])
@kb_section
def edit_article(request: HttpRequest, article_id: int) -> HttpResponse:
    user = current_user(request)
    article = _article(user, article_id)
    if request.method == "GET":
        return _editor(request, ArticleForm(initial=_initial(article)), article)
    return _submit(request, ArticleForm(request.POST), article, by=user)


def _submit(
    request: HttpRequest, form: ArticleForm, article: Article | None, *, by: User
) -> HttpResponse:
    """Save the text, then make the state change of the button pressed: both or neither."""
    action = request.POST.get("action", "save")
    if action not in DONE:
        action = "save"
    if not form.is_valid():
        return _editor(request, form, article, status=400)
    try:
        with transaction.atomic():
            saved = _save(form, article, by=by)
            if action in TRANSITIONS:
                saved = TRANSITIONS[action](saved, by=by)
    except OporaError as exc:
        add_action_error(form, exc)
        return _editor(request, form, article, status=400)
    messages.success(request, DONE[action])
    return redirect(safe_next(request, reverse("console:kb_article", args=[saved.pk])))


@require_POST
@kb_section
def preview(request: HttpRequest) -> HttpResponse:
    """The editor's live preview: the same renderer and sanitizer as the help center."""
    body = request.POST.get("body", "")
    if len(body) > actions.MAX_BODY_CHARS:
        return HttpResponse(_("The article text is too long."), status=413)
    return HttpResponse(render_markdown(body), content_type="text/html; charset=utf-8")


# Translations


@require_GET
@kb_section
def translations(request: HttpRequest, article_id: int) -> HttpResponse:
    """The article in Russian and English side by side, each editable in place."""
    user = current_user(request)
    article = _article(user, article_id)
    columns = [
        (lang, label, found, _column_form(found))
        for lang, label in Language.choices
        for found in [translation_columns(article)[lang]]
    ]
    context = console_context(request, "articles", article=article, columns=columns)
    return render(request, "console/kb_translations.html", context)


class ColumnForm(PageForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=255)
    body = forms.CharField(
        label=gettext_lazy("Text (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 16}),
        max_length=actions.MAX_BODY_CHARS,
    )


def _column_form(article: Article | None) -> ColumnForm | None:
    if article is None:
        return None
    return ColumnForm(initial={"title": article.title, "body": article.body})


@require_POST
@kb_section
def save_translation(request: HttpRequest, article_id: int) -> HttpResponse:
    """One column of the side-by-side page: its title and text."""
    user = current_user(request)
    article = _article(user, article_id)
    form = ColumnForm(request.POST)
    back = reverse("console:kb_translations", args=[article.pk])
    if not form.is_valid():
        messages.error(request, _("A title and a text are required."))
        return redirect(back)
    data = form.cleaned_data
    changes = actions.ArticleChanges(title=data["title"], body=data["body"])
    try:
        actions.update_article(article, changes, by=user)
    except OporaError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("Saved."))
    return redirect(back)


@require_POST
@kb_section
def add_translation(request: HttpRequest, article_id: int) -> HttpResponse:
    """The other language's draft, prefilled with this text, beside it to translate."""
    user = current_user(request)
    article = _article(user, article_id)
    try:
        actions.add_translation(article, by=user)
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("A draft translation was added: translate it in place."))
    return redirect("console:kb_translations", article_id=article.pk)


# History


@require_GET
@kb_section
def history(request: HttpRequest, article_id: int) -> HttpResponse:
    """Every version with its author and time; the diff of one against the current."""
    user = current_user(request)
    article = _article(user, article_id)
    compared = parse_id(request.GET.get("diff", ""))
    diff = None
    if compared is not None and compared != article.version:
        try:
            diff = version_diff(article, article.version, since=compared)
        except NotFound as exc:
            raise not_found_as_404(exc) from None
    context = console_context(
        request,
        "articles",
        article=article,
        versions=list(reversed(article_versions(article))),
        compared=compared,
        diff_lines=_diff_lines(diff.diff) if diff else None,
    )
    return render(request, "console/kb_history.html", context)


def _diff_lines(diff: str) -> list[tuple[str, str]]:
    """Each line of a unified diff with its kind, for colours: add, del, hunk or same."""
    kinds = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        kinds.append((kind, line))
    return kinds


@require_POST
@kb_section
def restore(request: HttpRequest, article_id: int, number: int) -> HttpResponse:
    user = current_user(request)
    article = _article(user, article_id)
    try:
        actions.restore_version(article, number, by=user)
    except NotFound as exc:
        raise not_found_as_404(exc) from None
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Version %(n)s was restored as a new version.") % {"n": number})
    return redirect("console:kb_history", article_id=article.pk)


# From a ticket


@require_POST
@kb_section
def from_ticket(request: HttpRequest, number: int) -> HttpResponse:
    """ "Turn into article" on a solved ticket: a draft of the agent's answer, to edit."""
    user = current_user(request)
    try:
        ticket = access_ticket(user, number)
    except NotFound as exc:
        raise not_found_as_404(exc) from None
    try:
        article = actions.draft_from_ticket(ticket, by=user)
    except OporaError as exc:
        messages.error(request, exc.message)
        return redirect("agent:ticket", number=ticket.number)
    messages.success(request, _("A draft article was made from this ticket."))
    return redirect("console:kb_article", article_id=article.pk)


# Categories


class CategoryForm(PageForm):
    name_en = forms.CharField(label=gettext_lazy("Name in English"), max_length=120)
    name_ru = forms.CharField(label=gettext_lazy("Name in Russian"), max_length=120)
    slug = forms.CharField(
        label=gettext_lazy("Slug"),
        max_length=80,
        help_text=gettext_lazy("In the help center's address: Latin letters, digits, hyphens."),
    )
    parent = forms.ChoiceField(label=gettext_lazy("Inside"), required=False)
    position = forms.IntegerField(
        label=gettext_lazy("Position"), min_value=0, max_value=100_000, initial=0
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["parent"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _category_choices(blank=_("Top level"))

    def parent_id(self) -> int | None:
        return parse_id(self.cleaned_data.get("parent") or "")


def _categories_page(
    request: HttpRequest, form: CategoryForm, *, status: int = 200
) -> HttpResponse:
    context = console_context(request, "categories", nodes=category_tree(), form=form)
    return render(request, "console/kb_categories.html", context, status=status)


@require_http_methods(["GET", "POST"])
@kb_section
def category_list(request: HttpRequest) -> HttpResponse:
    """The category tree, and the form that adds one."""
    user = current_user(request)
    if request.method == "GET":
        return _categories_page(request, CategoryForm(initial={"position": len(categories())}))
    form = CategoryForm(request.POST)
    if not form.is_valid():
        return _categories_page(request, form, status=400)
    data = form.cleaned_data
    try:
        actions.create_category(
            by=user,
            slug=data["slug"],
            name_en=data["name_en"],
            name_ru=data["name_ru"],
            parent=form.parent_id(),
            position=data["position"],
        )
    except OporaError as exc:
        add_action_error(form, exc)
        return _categories_page(request, form, status=400)
    messages.success(request, _("The category was added."))
    return redirect("console:kb_categories")


@require_http_methods(["GET", "POST"])
@kb_section
def category_edit(request: HttpRequest, category_id: int) -> HttpResponse:
    """Rename a category, move it under another parent, or change its position."""
    user = current_user(request)
    category = _category(category_id)
    if request.method == "GET":
        form = CategoryForm(
            initial={
                "name_en": category.name_en,
                "name_ru": category.name_ru,
                "slug": category.slug,
                "parent": str(category.parent_id or ""),
                "position": category.position,
            }
        )
        return _category_page(request, category, form)
    form = CategoryForm(request.POST)
    if not form.is_valid():
        return _category_page(request, category, form, status=400)
    data = form.cleaned_data
    changes = actions.CategoryChanges(
        slug=data["slug"],
        name_en=data["name_en"],
        name_ru=data["name_ru"],
        parent=form.parent_id(),
        clear_parent=form.parent_id() is None,
        position=data["position"],
    )
    try:
        actions.update_category(category, changes, by=user)
    except OporaError as exc:
        add_action_error(form, exc)
        return _category_page(request, category, form, status=400)
    messages.success(request, _("Saved."))
    return redirect("console:kb_categories")


def _category_page(
    request: HttpRequest, category: Category, form: CategoryForm, *, status: int = 200
) -> HttpResponse:
    context = console_context(request, "categories", category=category, form=form)
    return render(request, "console/kb_category.html", context, status=status)


@require_POST
@kb_section
def category_move(request: HttpRequest, category_id: int) -> HttpResponse:
    user = current_user(request)
    category = _category(category_id)
    actions.move_category(category, up=request.POST.get("direction") == "up", by=user)
    return redirect("console:kb_categories")


@require_POST
@kb_section
def category_delete(request: HttpRequest, category_id: int) -> HttpResponse:
    user = current_user(request)
    category = _category(category_id)
    try:
        actions.delete_category(category, by=user)
    except OporaError as exc:
        messages.error(request, exc.message)
        return redirect("console:kb_categories")
    messages.success(request, _("The category was deleted."))
    return redirect("console:kb_categories")
