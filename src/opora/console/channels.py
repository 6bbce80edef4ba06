"""The channels section of the console: mailboxes (list, add, change, delete, and
"Test connection", which logs in to the IMAP server and opens the folder; the DKIM
key of the mailbox's domain and the DNS record to publish).

Thin views: parse → `access_*` → one action → redirect or render; the mailboxes API
calls the same actions (`api/mailboxes.py`).
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
from opora.inbox.email import actions
from opora.inbox.email.fetch import check_connection
from opora.inbox.email.models import Mailbox
from opora.inbox.email.selectors import access_mailbox, visible_mailboxes
from opora.pages import PageForm, add_action_error, current_user, not_found_as_404

channels_section = section_required("channels")


class MailboxForm(PageForm):
    address = forms.EmailField(label=gettext_lazy("Address"), max_length=254)
    team = forms.TypedChoiceField(
        label=gettext_lazy("Team"), required=False, coerce=int, empty_value=None
    )
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Language.choices)
    active = forms.BooleanField(label=gettext_lazy("Fetch new mail (polling on)"), required=False)
    imap_host = forms.CharField(label=gettext_lazy("IMAP host"), max_length=255, required=False)
    imap_port = forms.IntegerField(
        label=gettext_lazy("IMAP port"), min_value=1, max_value=65535, initial=993
    )
    imap_tls = forms.BooleanField(label=gettext_lazy("IMAP over TLS (SSL)"), required=False)
    imap_user = forms.CharField(
        label=gettext_lazy("IMAP login"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("Empty: the address."),
    )
    imap_folder = forms.CharField(label=gettext_lazy("Folder"), max_length=255, initial="INBOX")
    password_env = forms.CharField(
        label=gettext_lazy("Where the password is kept"),
        max_length=255,
        required=False,
        help_text=gettext_lazy(
            "Opora never stores mailbox passwords: give the name of the environment "
            "variable, or of the file in OPORA_MAILBOX_SECRET_DIR, that holds it."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = Team.objects.order_by("name", "id").values_list("pk", "name")
        team = self.fields["team"]
        assert isinstance(team, forms.TypedChoiceField)
        team.choices = [("", _("No team"))] + [(pk, n) for pk, n in teams]

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def _initial(mailbox: Mailbox) -> dict[str, Any]:
    return {name: getattr(mailbox, name) for name in actions.EDITABLE if name != "team"} | {
        "team": mailbox.team_id or ""
    }


def _mailbox(request: HttpRequest, mailbox_id: int) -> Mailbox:
    try:
        return access_mailbox(current_user(request), mailbox_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_GET
@channels_section
def mailboxes(request: HttpRequest) -> HttpResponse:
    found = list(visible_mailboxes(current_user(request)))
    return render(
        request,
        "console/channels_mailboxes.html",
        console_context(request, "mailboxes", boxes=found),
    )


@require_http_methods(["GET", "POST"])
@channels_section
def new_mailbox(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form = MailboxForm(initial={"active": True, "imap_tls": True, "language": "en"})
        return _form_page(request, form, None)
    form = MailboxForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, None, status=400)
    try:
        mailbox = actions.create_mailbox(by=current_user(request), values=form.values())
    except OporaError as exc:
        add_action_error(form, exc)
        return _form_page(request, form, None, status=400)
    messages.success(request, _("Mailbox added."))
    return redirect("console:channels_mailbox", mailbox.pk)


@require_http_methods(["GET", "POST"])
@channels_section
def edit_mailbox(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    mailbox = _mailbox(request, mailbox_id)
    if request.method == "GET":
        return _form_page(request, MailboxForm(initial=_initial(mailbox)), mailbox)
    form = MailboxForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, mailbox, status=400)
    try:
        actions.update_mailbox(mailbox, by=current_user(request), changes=form.values())
    except OporaError as exc:
        add_action_error(form, exc)
        return _form_page(request, form, mailbox, status=400)
    messages.success(request, _("Saved."))
    return redirect("console:channels_mailbox", mailbox.pk)


@require_POST
@channels_section
def delete_mailbox(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    mailbox = _mailbox(request, mailbox_id)
    actions.delete_mailbox(mailbox, by=current_user(request))
    messages.success(request, _("Mailbox %(address)s deleted.") % {"address": mailbox.address})
    return redirect("console:channels_mailboxes")


@require_POST
@channels_section
def test_mailbox(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """Log in and open the folder now; the answer is shown on the mailbox's page."""
    mailbox = _mailbox(request, mailbox_id)
    result = check_connection(mailbox)
    form = MailboxForm(initial=_initial(mailbox))
    return _form_page(request, form, mailbox, check=result)


@require_POST
@channels_section
def dkim_key(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """Generate the mailbox domain's DKIM key; the page then shows its DNS record."""
    mailbox = _mailbox(request, mailbox_id)
    try:
        actions.generate_dkim_key(
            mailbox, by=current_user(request), selector=request.POST.get("selector", "")
        )
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("A new DKIM key is ready: publish its DNS record."))
    return redirect("console:channels_mailbox", mailbox.pk)


def _form_page(
    request: HttpRequest,
    form: MailboxForm,
    mailbox: Mailbox | None,
    *,
    status: int = 200,
    check: Any = None,
) -> HttpResponse:
    context = console_context(request, "mailboxes", form=form, mailbox=mailbox, check=check)
    return render(request, "console/channels_mailbox.html", context, status=status)
