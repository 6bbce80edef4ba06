"""The VK page of the console's Channels section: communities (list, add, change,
delete), "Test" (groups.getById: the community's name, or what went wrong) and "Send a
test message", with the callback address to enter at VK and the last error shown.

The token and secret key fields are write-only: never put back into the page; left
empty when a community is changed, the saved values stay. Thin views: parse →
`access_community` → one action → render; the API (`api/vk.py`) calls the same actions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opora.accounts.models import Language, Team
from opora.console.access import section_required
from opora.console.context import console_context
from opora.core.errors import NotFound, OporaError
from opora.messengers.models import VK_API, VK_API_VERSION, VkCommunity
from opora.messengers.vk import actions
from opora.messengers.vk.selectors import access_community, visible_communities
from opora.pages import PageForm, add_action_error, current_user, not_found_as_404

channels_section = section_required("channels")
PAGE = "vk"


def _write_only(label: Any, help_text: Any, max_length: int) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=help_text,
    )


class CommunityForm(PageForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    group_id = forms.CharField(
        label=gettext_lazy("Community id"),
        max_length=40,
        help_text=gettext_lazy("The digits in the community's address: club123456."),
    )
    token = _write_only(
        gettext_lazy("Access token"),
        gettext_lazy(
            "Manage → API usage → Access tokens, with messages, photos, documents and "
            "wall allowed. Never shown again once saved."
        ),
        512,
    )
    confirmation = forms.CharField(
        label=gettext_lazy("Confirmation string"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("Shown by VK in Manage → API usage → Callback API."),
    )
    secret_key = _write_only(
        gettext_lazy("Secret key"),
        gettext_lazy("The same key as in the Callback API settings. Never shown again."),
        50,
    )
    api_base = forms.CharField(
        label=gettext_lazy("VK API server"),
        max_length=500,
        initial=VK_API,
        help_text=gettext_lazy("Change only when told to."),
    )
    api_version = forms.CharField(
        label=gettext_lazy("API version"), max_length=16, initial=VK_API_VERSION
    )
    team = forms.TypedChoiceField(
        label=gettext_lazy("Team"), required=False, coerce=int, empty_value=None
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=Language.choices,
        help_text=gettext_lazy("New customers' language (VK does not say theirs)."),
    )
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = Team.objects.order_by("name", "id").values_list("pk", "name")
        team = self.fields["team"]
        assert isinstance(team, forms.TypedChoiceField)
        team.choices = [("", _("No team"))] + [(pk, n) for pk, n in teams]


class TestMessageForm(PageForm):
    peer_id = forms.CharField(
        label=gettext_lazy("VK id"),
        max_length=40,
        help_text=gettext_lazy(
            "Your own VK id (the digits of vk.com/id…): write to the community first."
        ),
    )
    text = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=4096,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _initial(community: VkCommunity) -> dict[str, Any]:
    return {
        "name": community.name,
        "group_id": community.group_id,
        "confirmation": community.confirmation,
        "api_base": community.api_base,
        "api_version": community.api_version,
        "team": community.team_id or "",
        "language": community.language,
        "active": community.active,
    }


def _community(request: HttpRequest, community_id: int) -> VkCommunity:
    try:
        return access_community(current_user(request), community_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_GET
@channels_section
def communities(request: HttpRequest) -> HttpResponse:
    found = list(visible_communities(current_user(request)))
    context = console_context(request, PAGE, communities=found)
    return render(request, "console/vk_communities.html", context)


@require_http_methods(["GET", "POST"])
@channels_section
def new_community(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {
            "active": True,
            "api_base": VK_API,
            "api_version": VK_API_VERSION,
            "language": "ru",
        }
        return _page(request, CommunityForm(initial=initial), None)
    form = CommunityForm(request.POST)
    if not form.is_valid():
        return _page(request, form, None, status=400)
    try:
        found = actions.create_community(by=current_user(request), values=form.cleaned_data)
    except OporaError as exc:
        add_action_error(form, exc)
        return _page(request, form, None, status=400)
    messages.success(request, _("Community added. Test it, then enter the address at VK."))
    return redirect("console:vk_community", found.pk)


@require_http_methods(["GET", "POST"])
@channels_section
def edit_community(request: HttpRequest, community_id: int) -> HttpResponse:
    found = _community(request, community_id)
    if request.method == "GET":
        return _page(request, CommunityForm(initial=_initial(found)), found)
    form = CommunityForm(request.POST)
    if not form.is_valid():
        return _page(request, form, found, status=400)
    try:
        actions.update_community(found, by=current_user(request), changes=form.cleaned_data)
    except OporaError as exc:
        add_action_error(form, exc)
        return _page(request, form, found, status=400)
    messages.success(request, _("Saved."))
    return redirect("console:vk_community", found.pk)


@require_POST
@channels_section
def delete_community(request: HttpRequest, community_id: int) -> HttpResponse:
    found = _community(request, community_id)
    actions.delete_community(found, by=current_user(request))
    messages.success(request, _("Community %(name)s deleted.") % {"name": found.name})
    return redirect("console:vk_communities")


@require_POST
@channels_section
def test_community(request: HttpRequest, community_id: int) -> HttpResponse:
    found = _community(request, community_id)
    result = actions.check_community(found, by=current_user(request))
    return _page(request, CommunityForm(initial=_initial(found)), found, check=result)


@require_POST
@channels_section
def send_test(request: HttpRequest, community_id: int) -> HttpResponse:
    found = _community(request, community_id)
    form = TestMessageForm(request.POST)
    if not form.is_valid():
        return _page(
            request, CommunityForm(initial=_initial(found)), found, test_form=form, status=400
        )
    try:
        result = actions.send_test_message(
            found,
            by=current_user(request),
            peer_id=form.cleaned_data["peer_id"],
            text=form.cleaned_data["text"],
        )
    except OporaError as exc:
        add_action_error(form, exc, default_field="peer_id")
        return _page(
            request, CommunityForm(initial=_initial(found)), found, test_form=form, status=400
        )
    return _page(
        request, CommunityForm(initial=_initial(found)), found, check=result, test_form=form
    )


def _page(
    request: HttpRequest,
    form: CommunityForm,
    community: VkCommunity | None,
    *,
    status: int = 200,
    check: Any = None,
    test_form: TestMessageForm | None = None,
) -> HttpResponse:
    if community is not None:
        community.refresh_from_db()
    context = console_context(
        request,
        PAGE,
        form=form,
        community=community,
        check=check,
        test_form=test_form or TestMessageForm(),
        callback_url=actions.callback_url(community) if community is not None else "",
    )
    return render(request, "console/vk_community.html", context, status=status)
