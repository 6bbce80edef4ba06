"""The WhatsApp page of the console's Channels section: numbers (list, add, change,
delete), "Test" (the number's display name from the Graph API, or what went wrong),
"Send a test message", the webhook URL and verify token to copy into Meta's app
dashboard, and the last error.

The access token and the app secret are write-only: never put back into the page;
left empty when a number is changed, the saved ones stay. The views are the shared
ones of `console/connection_pages.py`; the API (`api/whatsapp.py`) calls the same
actions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from opora.accounts.models import Language
from opora.console.connection_pages import (
    ConnectionKind,
    ConnectionPages,
    TeamChoices,
    team_field,
    test_text_field,
    write_only,
)
from opora.messengers.models import GRAPH_API, GRAPH_API_VERSION, WhatsAppNumber
from opora.messengers.whatsapp import actions
from opora.messengers.whatsapp.selectors import access_number, visible_numbers
from opora.pages import PageForm


class NumberForm(TeamChoices):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    phone_number_id = forms.CharField(label=gettext_lazy("Phone number id"), max_length=32)
    business_account_id = forms.CharField(
        label=gettext_lazy("Business account id"), max_length=32, required=False
    )
    access_token = write_only(
        gettext_lazy("Access token"),
        gettext_lazy("A system user's permanent token. Never shown again once saved."),
        1000,
    )
    app_secret = write_only(
        gettext_lazy("App secret"),
        gettext_lazy("It signs every webhook. Never shown again once saved."),
        1000,
    )
    api_base = forms.CharField(
        label=gettext_lazy("Graph API server"), max_length=500, initial=GRAPH_API
    )
    api_version = forms.CharField(
        label=gettext_lazy("Graph API version"), max_length=16, initial=GRAPH_API_VERSION
    )
    team = team_field()
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Language.choices)
    templates = forms.CharField(
        label=gettext_lazy("Approved templates"),
        required=False,
        max_length=60_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Template names, one per line, as approved in WhatsApp Manager."),
    )
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False)


class TestMessageForm(PageForm):
    to = forms.CharField(
        label=gettext_lazy("Recipient's number"),
        max_length=20,
        help_text=gettext_lazy(
            "International form, such as +15551234567. WhatsApp delivers free text only "
            "to someone who wrote to the number within 24 hours."
        ),
    )
    text = test_text_field()


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


pages = ConnectionPages(
    ConnectionKind(
        page="whatsapp",
        one="number",
        many="numbers",
        form=NumberForm,
        test_form=TestMessageForm,
        recipient="to",
        access=access_number,
        visible=visible_numbers,
        initial=_initial,
        defaults={
            "active": True,
            "api_base": GRAPH_API,
            "api_version": GRAPH_API_VERSION,
            "language": "en",
        },
        create=actions.create_number,
        update=actions.update_number,
        delete=actions.delete_number,
        check=actions.check_number,
        send_test=actions.send_test_message,
        address=("webhook_url", actions.webhook_url),
        added=gettext_lazy("Number added. Test it, then give Meta the webhook URL."),
        deleted=gettext_lazy("Number %(name)s deleted."),
    )
)
numbers, new_number, edit_number = pages.list, pages.new, pages.edit
delete_number, test_number, send_test = pages.delete, pages.test, pages.send_test
