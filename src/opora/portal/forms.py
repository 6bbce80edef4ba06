"""Forms of the sign-in pages and the portal; labels and errors go through gettext."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opora.pages import PageForm
from opora.tickets.models import CUSTOMER_TYPES, TicketType


class SignInForm(PageForm):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)


class SignUpForm(PageForm):
    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(render_value=False), strip=False
    )


class LinkRequestForm(PageForm):
    email = forms.EmailField(label=_("E-mail"), max_length=254)


PRIORITY_CHOICES = [
    ("", _("Normal (default)")),
    ("low", _("Low")),
    ("high", _("High")),
    ("urgent", _("Urgent")),
]


def customer_type_choices() -> list[tuple[str, Any]]:
    return [(value, label) for value, label in TicketType.choices if value in CUSTOMER_TYPES]


class RequestForm(PageForm):
    subject = forms.CharField(label=_("Subject"), max_length=255)
    body = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 8}))
    type = forms.ChoiceField(label=_("Type"), choices=customer_type_choices, initial="question")
    priority = forms.ChoiceField(label=_("Priority"), choices=PRIORITY_CHOICES, required=False)


class ReplyForm(PageForm):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}))


class ProfileForm(PageForm):
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("en", "English"), ("ru", "Русский")],
        help_text=_("Of these pages and of the e-mails we send you."),
    )
    notify_by_email = forms.BooleanField(
        label=_("E-mail me when my request is answered"),
        required=False,
        help_text=_("Also confirms each new request. Answers always show on the request page."),
    )
