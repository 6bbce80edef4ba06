"""The knowledge base's search synonyms in the console: groups of phrases customers and
articles use for one thing, per language; administrators add, change and delete them.

Thin views: parse → `access_*` → one action → redirect or render; an action's error
is shown beside its field (or next to the group it concerns).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from opora.accounts.models import Language, User
from opora.console.access import forbidden, section_required
from opora.console.context import console_context
from opora.core.errors import NotFound, OporaError
from opora.pages import PageForm, add_action_error, current_user, not_found_as_404
from opora.search import actions
from opora.search.models import SynonymGroup
from opora.search.selectors import access_synonym_group, synonym_groups

kb_section = section_required("kb")


class SynonymGroupForm(PageForm):
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Language.choices)
    phrases = forms.CharField(
        label=gettext_lazy("Phrases"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text=gettext_lazy(
            "One phrase a line. A search holding every word of one phrase also finds the others."
        ),
    )

    def phrase_list(self) -> list[str]:
        return [line for line in self.cleaned_data["phrases"].splitlines() if line.strip()]


def _language(request: HttpRequest) -> str | None:
    value = request.GET.get("language", "")
    return value if value in Language.values else None


def _page(
    request: HttpRequest,
    user: User,
    form: SynonymGroupForm,
    *,
    editing: SynonymGroup | None = None,
    edit_form: SynonymGroupForm | None = None,
    status: int = 200,
) -> HttpResponse:
    language = _language(request)
    context = console_context(
        request,
        "synonyms",
        groups=list(synonym_groups(user, language=language)),
        language=language,
        form=form,
        editing=editing,
        edit_form=edit_form,
    )
    return render(request, "console/kb_synonyms.html", context, status=status)


def _admin(request: HttpRequest) -> User | None:
    """Only administrators edit the vocabulary (agents may open the rest of the section)."""
    user = current_user(request)
    return user if user.is_active and user.is_admin else None


@require_http_methods(["GET", "POST"])
@kb_section
def synonyms(request: HttpRequest) -> HttpResponse:
    """Every group, the language filter, and the form that adds a group."""
    user = _admin(request)
    if user is None:
        return forbidden(request)
    if request.method == "GET":
        return _page(request, user, SynonymGroupForm(initial={"language": Language.RU}))
    form = SynonymGroupForm(request.POST)
    if not form.is_valid():
        return _page(request, user, form, status=400)
    try:
        actions.create_synonym_group(
            by=user, language=form.cleaned_data["language"], phrases=form.phrase_list()
        )
    except OporaError as exc:
        add_action_error(form, exc)
        return _page(request, user, form, status=400)
    messages.success(request, _("The synonym group was added."))
    return redirect("console:kb_synonyms")


def _group(user: User, group_id: int) -> SynonymGroup:
    try:
        return access_synonym_group(user, group_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_http_methods(["GET", "POST"])
@kb_section
def edit(request: HttpRequest, group_id: int) -> HttpResponse:
    """One group's phrases and language, changed in place on the list."""
    user = _admin(request)
    if user is None:
        return forbidden(request)
    group = _group(user, group_id)
    empty = SynonymGroupForm(initial={"language": Language.RU})
    if request.method == "GET":
        initial = {"language": group.language, "phrases": "\n".join(group.phrases)}
        return _page(request, user, empty, editing=group, edit_form=SynonymGroupForm(initial))
    form = SynonymGroupForm(request.POST)
    if not form.is_valid():
        return _page(request, user, empty, editing=group, edit_form=form, status=400)
    try:
        actions.update_synonym_group(
            group, by=user, language=form.cleaned_data["language"], phrases=form.phrase_list()
        )
    except OporaError as exc:
        add_action_error(form, exc)
        return _page(request, user, empty, editing=group, edit_form=form, status=400)
    messages.success(request, _("Saved."))
    return redirect("console:kb_synonyms")


@require_POST
@kb_section
def delete(request: HttpRequest, group_id: int) -> HttpResponse:
    user = _admin(request)
    if user is None:
        return forbidden(request)
    actions.delete_synonym_group(_group(user, group_id), by=user)
    messages.success(request, _("The synonym group was deleted."))
    return redirect("console:kb_synonyms")


@require_POST
@kb_section
def restore(request: HttpRequest) -> HttpResponse:
    """Add back the shipped groups that are missing (admins' own groups stay)."""
    user = _admin(request)
    if user is None:
        return forbidden(request)
    added = actions.restore_shipped_groups(by=user, language=_language(request))
    if added:
        messages.success(
            request,
            ngettext(
                "%(n)d shipped group was added back.",
                "%(n)d shipped groups were added back.",
                added,
            )
            % {"n": added},
        )
    else:
        messages.info(request, _("Every shipped group is already in the vocabulary."))
    return redirect("console:kb_synonyms")
