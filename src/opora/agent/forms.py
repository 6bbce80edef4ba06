"""Forms of the ticket page: the composer; the side panel is read field by field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opora.pages import PageForm
from opora.tickets.models import TicketStatus


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
