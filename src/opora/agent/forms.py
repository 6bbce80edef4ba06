"""Forms of the ticket page: the composer; the side panel is read field by field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opora.accounts.identities import clean_phone
from opora.pages import PageForm
from opora.tickets.models import Priority, TicketStatus, TicketType


def _status_after_choices() -> list[tuple[str, Any]]:
    keep: list[tuple[str, Any]] = [("", _("keep status"))]
    return keep + [
        (value, label)
        for value, label in TicketStatus.choices
        if value in ("open", "pending", "on_hold", "solved")
    ]


class ComposerForm(PageForm):
    KINDS = [("reply", _("Public reply")), ("note", _("Internal note"))]

    kind = forms.ChoiceField(choices=KINDS, initial="reply", widget=forms.RadioSelect)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}))
    status = forms.ChoiceField(
        label=_("and set status"), choices=_status_after_choices, required=False
    )


class MergeForm(PageForm):
    into = forms.IntegerField(label=_("Merge into ticket number"), min_value=1)


class ProblemForm(PageForm):
    problem = forms.IntegerField(label=_("Problem ticket number"), min_value=1)


class TimeForm(PageForm):
    """A manual time entry; the action checks the range and answers in the user's language."""

    minutes = forms.IntegerField(label=_("Minutes"))
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


# How a ticket the agent opens reached the desk: (choice, ticket channel, extra tag).
# The desk has no channel of its own for a visit, so a walk-in is a desk-entered ticket
# tagged "walk-in" (reports can still tell them apart).
INTAKE = {
    "phone": ("phone", ""),
    "walk_in": ("api", "walk-in"),
    "email": ("email", ""),
    "other": ("api", ""),
}


class NewTicketForm(PageForm):
    """An agent opens a ticket for a customer: found by the type-ahead, or new."""

    WHO = [("existing", _("A known customer")), ("new", _("A new customer"))]
    CHANNELS = [
        ("phone", _("Phone call")),
        ("walk_in", _("In person")),
        ("email", _("E-mail on behalf of the customer")),
        ("other", _("Other")),
    ]

    who = forms.ChoiceField(choices=WHO, initial="existing", widget=forms.RadioSelect)
    requester = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    requester_label = forms.CharField(label=_("Customer"), required=False, max_length=300)
    new_name = forms.CharField(label=_("Name"), required=False, max_length=150)
    new_email = forms.EmailField(label=_("E-mail"), required=False)
    new_phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    channel = forms.ChoiceField(label=_("Channel"), choices=CHANNELS, initial="phone")
    subject = forms.CharField(label=_("Subject"), max_length=255)
    body = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}))
    priority = forms.ChoiceField(label=_("Priority"), choices=(), initial="normal")
    type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices, initial="question")
    team = forms.IntegerField(label=_("Team"), required=False, min_value=1)
    assignee = forms.IntegerField(label=_("Assignee"), required=False, min_value=1)
    tags = forms.CharField(label=_("Tags"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        priority = self.fields["priority"]
        assert isinstance(priority, forms.ChoiceField)
        priority.choices = [(p.code, p.label) for p in Priority]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("who") == "existing" and not data.get("requester"):
            self.add_error("requester_label", _("Pick the customer from the search results."))
        if data.get("who") == "new":
            if not (data.get("new_email") or "").strip() and not clean_phone(
                data.get("new_phone") or ""
            ):
                self.add_error("new_email", _("Give the new customer's e-mail or phone."))
            if not (data.get("new_name") or "").strip():
                self.add_error("new_name", _("Give the new customer's name."))
        return data

    def tag_list(self) -> list[str]:
        return [t for t in (self.cleaned_data.get("tags") or "").replace(",", " ").split() if t]


class FollowerForm(PageForm):
    person = forms.CharField(label=_("Person"), max_length=254)
    person_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class EscalateForm(PageForm):
    LEVELS = [("2", _("Line 2")), ("3", _("Line 3")), ("lead", _("Team lead"))]

    to = forms.ChoiceField(label=_("Escalate to"), choices=LEVELS)
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class HandoffForm(PageForm):
    summary = forms.CharField(label=_("Issue summary"), max_length=255)
    reason = forms.CharField(
        label=_("Why development"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
