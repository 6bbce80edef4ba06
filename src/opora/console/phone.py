"""The Phone page of the console's Channels section: lines (list, add, change, delete),
their webhook addresses to copy into the PBX, "Send a test event" (a signed generic
event posted to the desk's own address) and the last error.

The secret field is write-only: a generated secret is shown once, right after it was
made, and never put back into the page; left empty when a line is changed, the saved
secret stays. Thin views: parse → `access_line` → one action → render; the API
(`api/phone.py`) calls the same actions.
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

from opora.accounts.models import Team
from opora.console.access import section_required
from opora.console.context import console_context
from opora.core.errors import NotFound, OporaError
from opora.pages import PageForm, add_action_error, current_user, not_found_as_404
from opora.telephony import actions
from opora.telephony.models import DEFAULT_CALLBACK_MINUTES, PhoneLine, Provider
from opora.telephony.selectors import access_line, visible_lines

channels_section = section_required("channels")
PAGE = "phone"
SHOWN_SECRET = "phone_secret_once"  # noqa: S105 - a session key


class LineForm(PageForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    provider = forms.ChoiceField(label=gettext_lazy("Provider"), choices=Provider.choices)
    secret = forms.CharField(
        label=gettext_lazy("Secret"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=gettext_lazy(
            "Twilio: the auth token; Zadarma: the API secret; generic: leave empty and "
            "one is generated. Never shown again once saved."
        ),
    )
    team = forms.TypedChoiceField(
        label=gettext_lazy("Team"), required=False, coerce=int, empty_value=None
    )
    numbers = forms.CharField(
        label=gettext_lazy("Numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("The desk's numbers on this line, one per line."),
    )
    extensions = forms.CharField(
        label=gettext_lazy("Extensions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line: 101 = agent@example.com"),
    )
    callback_minutes = forms.IntegerField(
        label=gettext_lazy("Call back within, business minutes"),
        min_value=1,
        max_value=actions.MAX_CALLBACK_MINUTES,
    )
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = Team.objects.order_by("name", "id").values_list("pk", "name")
        team = self.fields["team"]
        assert isinstance(team, forms.TypedChoiceField)
        team.choices = [("", _("No team"))] + [(pk, n) for pk, n in teams]


def _initial(line: PhoneLine) -> dict[str, Any]:
    return {
        "name": line.name,
        "provider": line.provider,
        "team": line.team_id or "",
        "numbers": line.numbers,
        "extensions": line.extensions,
        "callback_minutes": line.callback_minutes,
        "active": line.active,
    }


def _line(request: HttpRequest, line_id: int) -> PhoneLine:
    try:
        return access_line(current_user(request), line_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_GET
@channels_section
def lines(request: HttpRequest) -> HttpResponse:
    found = list(visible_lines(current_user(request)))
    return render(request, "console/phone_lines.html", console_context(request, PAGE, lines=found))


@require_http_methods(["GET", "POST"])
@channels_section
def new_line(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {
            "active": True,
            "provider": Provider.GENERIC,
            "callback_minutes": DEFAULT_CALLBACK_MINUTES,
        }
        return _page(request, LineForm(initial=initial), None)
    form = LineForm(request.POST)
    if not form.is_valid():
        return _page(request, form, None, status=400)
    try:
        saved = actions.create_line(by=current_user(request), values=form.cleaned_data)
    except OporaError as exc:
        add_action_error(form, exc)
        return _page(request, form, None, status=400)
    if not form.cleaned_data.get("secret"):
        request.session[SHOWN_SECRET] = [saved.line.pk, saved.secret]
    messages.success(request, _("Line added. Copy its webhook address into the PBX."))
    return redirect("console:phone_line", saved.line.pk)


@require_http_methods(["GET", "POST"])
@channels_section
def edit_line(request: HttpRequest, line_id: int) -> HttpResponse:
    line = _line(request, line_id)
    if request.method == "GET":
        return _page(request, LineForm(initial=_initial(line)), line)
    form = LineForm(request.POST)
    if not form.is_valid():
        return _page(request, form, line, status=400)
    try:
        actions.update_line(line, by=current_user(request), changes=form.cleaned_data)
    except OporaError as exc:
        add_action_error(form, exc)
        return _page(request, form, line, status=400)
    messages.success(request, _("Saved."))
    return redirect("console:phone_line", line.pk)


@require_POST
@channels_section
def new_secret(request: HttpRequest, line_id: int) -> HttpResponse:
    line = _line(request, line_id)
    saved = actions.new_line_secret(line, by=current_user(request))
    request.session[SHOWN_SECRET] = [line.pk, saved.secret]
    messages.success(request, _("A new secret was generated: put it into the PBX."))
    return redirect("console:phone_line", line.pk)


@require_POST
@channels_section
def delete_line(request: HttpRequest, line_id: int) -> HttpResponse:
    line = _line(request, line_id)
    actions.delete_line(line, by=current_user(request))
    messages.success(request, _("Line %(name)s deleted.") % {"name": line.name})
    return redirect("console:phone_lines")


@require_POST
@channels_section
def test_line(request: HttpRequest, line_id: int) -> HttpResponse:
    line = _line(request, line_id)
    result = actions.send_test_event(line, by=current_user(request))
    return _page(request, LineForm(initial=_initial(line)), line, check=result)


def _page(
    request: HttpRequest,
    form: LineForm,
    line: PhoneLine | None,
    *,
    status: int = 200,
    check: Any = None,
) -> HttpResponse:
    secret = ""
    if line is not None:
        line.refresh_from_db()
        shown = request.session.pop(SHOWN_SECRET, None)
        if isinstance(shown, list) and len(shown) == 2 and shown[0] == line.pk:
            secret = str(shown[1])
    context = console_context(
        request,
        PAGE,
        form=form,
        line=line,
        check=check,
        secret_once=secret,
        webhook_url=actions.webhook_url(line) if line is not None else "",
    )
    return render(request, "console/phone_line.html", context, status=status)
