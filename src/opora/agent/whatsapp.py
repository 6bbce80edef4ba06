"""The WhatsApp card of a ticket page: whether the 24-hour window is open, and, when
it is closed, the number's approved templates to send instead of free text (a template
name, its language and its parameters). The API does the same with
`POST /api/v1/tickets/{number}/whatsapp-template`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from opora.core.errors import OporaError
from opora.messengers.whatsapp import actions, window
from opora.pages import PageForm, add_action_error, agent_required, current_user
from opora.tickets.models import Ticket

# A template's language code for the number's language, as the form suggests it.
DEFAULT_LANGUAGE = {"en": "en_US", "ru": "ru"}


class TemplateForm(PageForm):
    name = forms.ChoiceField(label=_("Template"))
    language = forms.CharField(
        label=_("Language code"),
        max_length=16,
        help_text=_("As the template was approved: en_US, ru …"),
    )
    params = forms.CharField(
        label=_("Parameters"),
        required=False,
        max_length=20 * 1025,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: {{1}}, {{2}} … of the template's text."),
    )

    def __init__(self, templates: list[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name = self.fields["name"]
        assert isinstance(name, forms.ChoiceField)
        name.choices = [(t, t) for t in templates]


def panel(ticket: Ticket, form: TemplateForm | None = None) -> dict[str, Any] | None:
    """The card's content; None for a ticket of another channel."""
    found = window.window_for(ticket)
    if found is None:
        return None
    language = DEFAULT_LANGUAGE.get(found.number.language, "en_US") if found.number else "en_US"
    return {
        "window": found,
        "closed_message": "" if found.open else window.closed_message(found.conversation),
        "form": form or TemplateForm(found.templates, initial={"language": language}),
    }


@require_POST
@agent_required
def send_template(request: HttpRequest, number: int) -> HttpResponse:
    from opora.agent.ticket import _access, _done, _render

    user = current_user(request)
    ticket = _access(user, number)
    found = window.window_for(ticket)
    form = TemplateForm(found.templates if found else [], request.POST)
    if not form.is_valid():
        return _render(request, ticket, whatsapp_form=form, status=400)
    try:
        actions.send_template_reply(
            ticket,
            by=user,
            name=form.cleaned_data["name"],
            language=form.cleaned_data["language"],
            params=form.cleaned_data["params"],
        )
    except OporaError as exc:
        add_action_error(form, exc)
        return _render(request, ticket, whatsapp_form=form, status=400)
    return _done(request, ticket)
