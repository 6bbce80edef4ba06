"""The WhatsApp page of the console's Channels section: numbers (list, add, change,
delete), "Test" (the number's display name from the Graph API, or what went wrong),
"Send a test message", the webhook URL and verify token to copy into Meta's app
dashboard, and the last error.

The access token and the app secret are write-only: never put back into the page;
left empty when a number is changed, the saved ones stay. Thin views: parse →
`access_number` → one action → render; the API (`api/whatsapp.py`) calls the same
actions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from opora.messengers.models import GRAPH_API, GRAPH_API_VERSION, WhatsAppNumber
from opora.messengers.whatsapp import actions
from opora.messengers.whatsapp.selectors import access_number, visible_numbers
from opora.pages import PageForm, add_action_error, current_user, not_found_as_404

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

channels_section = section_required("channels")
PAGE = "whatsapp"


def _secret_field(label: StrOrPromise, help_text: StrOrPromise) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=1000,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=help_text,
    )


class NumberForm(PageForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    phone_number_id = forms.CharField(label=gettext_lazy("Phone number id"), max_length=32)
    business_account_id = forms.CharField(
        label=gettext_lazy("Business account id"), max_length=32, required=False
    )
    access_token = _secret_field(
        gettext_lazy("Access token"),
        gettext_lazy("A system user's permanent token. Never shown again once saved."),
    )
    app_secret = _secret_field(
        gettext_lazy("App secret"),
        gettext_lazy("It signs every webhook. Never shown again once saved."),
    )
    api_base = forms.CharField(
        label=gettext_lazy("Graph API server"), max_length=500, initial=GRAPH_API
    )
    api_version = forms.CharField(
        label=gettext_lazy("Graph API version"), max_length=16, initial=GRAPH_API_VERSION
    )
    team = forms.TypedChoiceField(
        label=gettext_lazy("Team"), required=False, coerce=int, empty_value=None
    )
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Language.choices)
    templates = forms.CharField(
        label=gettext_lazy("Approved templates"),
        required=False,
        max_length=60_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Template names, one per line, as approved in WhatsApp Manager."),
    )
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = Team.objects.order_by("name", "id").values_list("pk", "name")
        team = self.fields["team"]
        assert isinstance(team, forms.TypedChoiceField)
        team.choices = [("", _("No team"))] + [(pk, n) for pk, n in teams]


class TestMessageForm(PageForm):
    to = forms.CharField(
        label=gettext_lazy("Recipient's number"),
        max_length=20,
        help_text=gettext_lazy(
            "International form, such as +15551234567. WhatsApp delivers free text only "
            "to someone who wrote to the number within 24 hours."
        ),
    )
    text = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=4096,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _initial(number: WhatsAppNumber) -> dict[str, Any]:
    return {
        "name": number.name,
        "phone_number_id": number.phone_number_id,
        "business_account_id": number.business_account_id,
        "api_base": number.api_base,
        "api_version": number.api_version,
        "team": number.team_id or "",
        "language": number.language,
        "templates": "\n".join(number.templates),
        "active": number.active,
    }


def _number(request: HttpRequest, number_id: int) -> WhatsAppNumber:
    try:
        return access_number(current_user(request), number_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_GET
@channels_section
def numbers(request: HttpRequest) -> HttpResponse:
    found = list(visible_numbers(current_user(request)))
    context = console_context(request, PAGE, numbers=found)
    return render(request, "console/whatsapp_numbers.html", context)


@require_http_methods(["GET", "POST"])
@channels_section
def new_number(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {
            "active": True,
            "api_base": GRAPH_API,
            "api_version": GRAPH_API_VERSION,
            "language": "en",
        }
        return _page(request, NumberForm(initial=initial), None)
    form = NumberForm(request.POST)
    if not form.is_valid():
        return _page(request, form, None, status=400)
    try:
        number = actions.create_number(by=current_user(request), values=form.cleaned_data)
    except OporaError as exc:
        add_action_error(form, exc)
        return _page(request, form, None, status=400)
    messages.success(request, _("Number added. Test it, then give Meta the webhook URL."))
    return redirect("console:whatsapp_number", number.pk)


@require_http_methods(["GET", "POST"])
@channels_section
def edit_number(request: HttpRequest, number_id: int) -> HttpResponse:
    number = _number(request, number_id)
    if request.method == "GET":
        return _page(request, NumberForm(initial=_initial(number)), number)
    form = NumberForm(request.POST)
    if not form.is_valid():
        return _page(request, form, number, status=400)
    try:
        actions.update_number(number, by=current_user(request), changes=form.cleaned_data)
    except OporaError as exc:
        add_action_error(form, exc)
        return _page(request, form, number, status=400)
    messages.success(request, _("Saved."))
    return redirect("console:whatsapp_number", number.pk)


@require_POST
@channels_section
def delete_number(request: HttpRequest, number_id: int) -> HttpResponse:
    number = _number(request, number_id)
    actions.delete_number(number, by=current_user(request))
    messages.success(request, _("Number %(name)s deleted.") % {"name": number.name})
    return redirect("console:whatsapp_numbers")


@require_POST
@channels_section
def test_number(request: HttpRequest, number_id: int) -> HttpResponse:
    number = _number(request, number_id)
    result = actions.check_number(number, by=current_user(request))
    return _page(request, NumberForm(initial=_initial(number)), number, check=result)


@require_POST
@channels_section
def send_test(request: HttpRequest, number_id: int) -> HttpResponse:
    number = _number(request, number_id)
    form = TestMessageForm(request.POST)
    blank = NumberForm(initial=_initial(number))
    if not form.is_valid():
        return _page(request, blank, number, test_form=form, status=400)
    try:
        result = actions.send_test_message(
            number,
            by=current_user(request),
            to=form.cleaned_data["to"],
            text=form.cleaned_data["text"],
        )
    except OporaError as exc:
        add_action_error(form, exc, default_field="to")
        return _page(request, blank, number, test_form=form, status=400)
    return _page(request, blank, number, check=result, test_form=form)


def _page(
    request: HttpRequest,
    form: NumberForm,
    number: WhatsAppNumber | None,
    *,
    status: int = 200,
    check: Any = None,
    test_form: TestMessageForm | None = None,
) -> HttpResponse:
    if number is not None:
        number.refresh_from_db()
    context = console_context(
        request,
        PAGE,
        form=form,
        number=number,
        check=check,
        test_form=test_form or TestMessageForm(),
        webhook_url=actions.webhook_url(number) if number is not None else "",
    )
    return render(request, "console/whatsapp_number.html", context, status=status)
