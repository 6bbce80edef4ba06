"""The Remote sessions page of the console's Channels section: the tools agents invite
customers with (list, add, change, delete), each a RustDesk link or a link template
(AnyDesk, TeamViewer, a download page) with the customer's instructions in English and
Russian, and the address a self-hosted tool reports sessions to.

The secret that signs those reports is write-only: never put back into the page; left
empty when a tool is changed, the saved one stays. Thin views: parse → `access_tool` →
one action → render; the API (`api/remote.py`) calls the same actions.
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

from opora.console.access import section_required
from opora.console.context import console_context
from opora.core.errors import NotFound, OporaError
from opora.pages import PageForm, add_action_error, current_user, not_found_as_404
from opora.remote import actions
from opora.remote.models import RUSTDESK_TEMPLATE, RemoteTool, ToolKind
from opora.remote.selectors import access_tool, visible_tools

channels_section = section_required("channels")
PAGE = "remote"
PLACEHOLDERS_HELP = gettext_lazy(
    "Placeholders: {id} (the session ID), {password}, {ticket} (the ticket number)."
)


class ToolForm(PageForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ToolKind.choices)
    template = forms.CharField(
        label=gettext_lazy("Link template"),
        max_length=1000,
        required=False,
        help_text=PLACEHOLDERS_HELP,
    )
    instructions_en = forms.CharField(
        label=gettext_lazy("Instructions (English)"),
        max_length=actions.INSTRUCTIONS_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    instructions_ru = forms.CharField(
        label=gettext_lazy("Instructions (Russian)"),
        max_length=actions.INSTRUCTIONS_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    secret = forms.CharField(
        label=gettext_lazy("Secret for the tool's reports"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=gettext_lazy(
            "Only for a self-hosted tool that reports when a session starts and ends. "
            "Never shown again once saved."
        ),
    )
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False)


def _initial(tool: RemoteTool) -> dict[str, Any]:
    return {
        "name": tool.name,
        "kind": tool.kind,
        "template": tool.template,
        "instructions_en": tool.instructions_en,
        "instructions_ru": tool.instructions_ru,
        "active": tool.active,
    }


def _tool(request: HttpRequest, tool_id: int) -> RemoteTool:
    try:
        return access_tool(current_user(request), tool_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_GET
@channels_section
def tools(request: HttpRequest) -> HttpResponse:
    found = list(visible_tools(current_user(request)))
    return render(request, "console/remote_tools.html", console_context(request, PAGE, tools=found))


@require_http_methods(["GET", "POST"])
@channels_section
def new_tool(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {"active": True, "kind": ToolKind.RUSTDESK, "template": RUSTDESK_TEMPLATE}
        return _page(request, ToolForm(initial=initial), None)
    form = ToolForm(request.POST)
    if not form.is_valid():
        return _page(request, form, None, status=400)
    try:
        tool = actions.create_tool(by=current_user(request), values=form.cleaned_data)
    except OporaError as exc:
        add_action_error(form, exc)
        return _page(request, form, None, status=400)
    messages.success(request, _("Tool added: agents can invite with it from a ticket."))
    return redirect("console:remote_tool", tool.pk)


@require_http_methods(["GET", "POST"])
@channels_section
def edit_tool(request: HttpRequest, tool_id: int) -> HttpResponse:
    tool = _tool(request, tool_id)
    if request.method == "GET":
        return _page(request, ToolForm(initial=_initial(tool)), tool)
    form = ToolForm(request.POST)
    if not form.is_valid():
        return _page(request, form, tool, status=400)
    try:
        actions.update_tool(tool, by=current_user(request), changes=form.cleaned_data)
    except OporaError as exc:
        add_action_error(form, exc)
        return _page(request, form, tool, status=400)
    messages.success(request, _("Saved."))
    return redirect("console:remote_tool", tool.pk)


@require_POST
@channels_section
def delete_tool(request: HttpRequest, tool_id: int) -> HttpResponse:
    tool = _tool(request, tool_id)
    try:
        actions.delete_tool(tool, by=current_user(request))
    except OporaError as exc:
        form = ToolForm(initial=_initial(tool))
        form.add_error(None, exc.message)
        return _page(request, form, tool, status=400)
    messages.success(request, _("Tool %(name)s deleted.") % {"name": tool.name})
    return redirect("console:remote_tools")


def _page(
    request: HttpRequest, form: ToolForm, tool: RemoteTool | None, *, status: int = 200
) -> HttpResponse:
    if tool is not None:
        tool.refresh_from_db()
    context = console_context(
        request,
        PAGE,
        form=form,
        tool=tool,
        webhook_url=actions.webhook_url(tool) if tool is not None else "",
        rustdesk_template=RUSTDESK_TEMPLATE,
    )
    return render(request, "console/remote_tool.html", context, status=status)
