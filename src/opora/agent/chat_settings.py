"""Live chat settings for admins: widgets (list, create, edit, the public key with the
snippet to embed, a new key) and how many chats each agent takes at once."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from opora.accounts.models import Team, User
from opora.chat.actions import set_capacity
from opora.chat.models import ChatWidget, PrechatMode
from opora.chat.selectors import (
    access_chat_agent,
    access_widget_for_admin,
    access_widgets,
    chat_agents,
)
from opora.chat.widgets import WidgetFields, change_widget_key, save_widget
from opora.core.errors import NotFound, OporaError
from opora.pages import PageForm, agent_required, current_user


class WidgetForm(PageForm):
    name = forms.CharField(label=_lazy("Name"), max_length=120)
    team = forms.ModelChoiceField(label=_lazy("Team"), queryset=Team.objects.order_by("name"))
    prechat_name = forms.ChoiceField(label=_lazy("Ask for the name"), choices=PrechatMode.choices)
    prechat_email = forms.ChoiceField(
        label=_lazy("Ask for the e-mail"), choices=PrechatMode.choices
    )
    greeting_en = forms.CharField(
        label=_lazy("Greeting (English)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    greeting_ru = forms.CharField(
        label=_lazy("Greeting (Russian)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    active = forms.BooleanField(label=_lazy("Active"), required=False, initial=True)


def snippet(widget: ChatWidget) -> str:
    return (
        f'<script src="{settings.BASE_URL}/chat/widget.js" '
        f'data-key="{widget.public_key}" async></script>'
    )


def _initial(widget: ChatWidget) -> dict[str, Any]:
    return {
        "name": widget.name,
        "team": widget.team_id,
        "prechat_name": widget.prechat_name,
        "prechat_email": widget.prechat_email,
        "greeting_en": widget.greeting_en,
        "greeting_ru": widget.greeting_ru,
        "active": widget.active,
    }


def _page(
    request: HttpRequest,
    form: WidgetForm,
    editing: ChatWidget | None,
    status: int = 200,
    capacity_errors: dict[int, str] | None = None,
) -> HttpResponse:
    widgets = list(ChatWidget.objects.select_related("team").order_by("name", "id"))
    errors = capacity_errors or {}
    return render(
        request,
        "agent/chat_settings.html",
        {
            "nav": "chat-settings",
            "widgets": [(w, snippet(w)) for w in widgets],
            "form": form,
            "editing": editing,
            "agents": [(a, p, errors.get(a.pk, "")) for a, p in chat_agents()],
        },
        status=status,
    )


def _new_key(request: HttpRequest, user: User, widget: ChatWidget | None) -> HttpResponse:
    if widget is None:
        raise Http404(NotFound(_("chat widget")).message)
    change_widget_key(widget, by=user)
    messages.success(
        request,
        _("The widget “%(name)s” has a new key: put the new snippet on your site.")
        % {"name": widget.name},
    )
    return redirect("agent:chat_widget", widget_id=widget.pk)


def _capacities(request: HttpRequest, user: User, editing: ChatWidget | None) -> HttpResponse:
    """Every agent's capacity from one form: fields `capacity-<agent id>`."""
    wanted: dict[int, int] = {}
    problems: dict[int, str] = {}
    for name in request.POST:
        if not name.startswith("capacity-"):
            continue
        value = request.POST.get(name, "")
        try:
            agent_id = int(name.removeprefix("capacity-"))
            agent = access_chat_agent(user, agent_id)
        except (ValueError, NotFound):
            continue
        try:
            wanted[agent.pk] = int(value)
        except ValueError:
            problems[agent.pk] = _("Capacity is from 1 to 50 chats.")
            continue
        if not 1 <= wanted[agent.pk] <= 50:
            problems[agent.pk] = _("Capacity is from 1 to 50 chats.")
    if problems:
        form = WidgetForm(initial=_initial(editing) if editing else {"active": True})
        return _page(request, form, editing, status=422, capacity_errors=problems)
    agents = {a.pk: (a, p) for a, p in chat_agents()}
    for agent_id, capacity in wanted.items():
        agent, presence = agents[agent_id]
        if presence.capacity != capacity:
            set_capacity(agent, capacity, by=user)
    messages.success(request, _("The agents' chat capacity is saved."))
    if editing is not None:
        return redirect("agent:chat_widget", widget_id=editing.pk)
    return redirect("agent:chat_settings")


@require_http_methods(["GET", "POST"])
@agent_required
def widgets(request: HttpRequest, widget_id: int | None = None) -> HttpResponse:
    user = current_user(request)
    try:
        access_widgets(user)
        editing = access_widget_for_admin(user, widget_id) if widget_id is not None else None
    except NotFound as exc:
        raise Http404(exc.message) from None
    except OporaError:
        raise Http404(_("Only administrators manage chat widgets.")) from None
    if request.method == "GET":
        form = WidgetForm(initial=_initial(editing) if editing else {"active": True})
        return _page(request, form, editing)
    action = request.POST.get("action", "")
    if action == "new-key":
        return _new_key(request, user, editing)
    if action == "capacity":
        return _capacities(request, user, editing)
    form = WidgetForm(request.POST)
    if not form.is_valid():
        return _page(request, form, editing, status=422)
    data = form.cleaned_data
    try:
        widget = save_widget(
            editing,
            WidgetFields(
                name=data["name"],
                team_id=data["team"].pk,
                prechat_name=data["prechat_name"],
                prechat_email=data["prechat_email"],
                greeting_en=data["greeting_en"],
                greeting_ru=data["greeting_ru"],
                active=data["active"],
            ),
            by=user,
        )
    except OporaError as exc:
        form.add_error(None, exc.message)
        return _page(request, form, editing, status=422)
    messages.success(request, _("The widget “%(name)s” is saved.") % {"name": widget.name})
    return redirect("agent:chat_widget", widget_id=widget.pk)
