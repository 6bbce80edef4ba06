"""The console pages of one kind of messenger connection (a Telegram bot, a VK
community, a WhatsApp number): the list, add, change, delete, "Test" and "Send a test
message", each with the last error shown.

Every kind works the same way, so the views are written once here and each kind
(`console/telegram.py`, `vk.py`, `whatsapp.py`) says only what differs: its forms, its
selectors and actions, its names and messages (`ConnectionKind`). Secrets are
write-only fields of the kinds' forms: never put back into the page; left empty when a
connection is changed, the saved values stay. Thin views: parse → access → one action →
render; the API calls the same actions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opora.accounts.models import Team, User
from opora.console.access import section_required
from opora.console.context import console_context
from opora.core.errors import NotFound, OporaError
from opora.pages import PageForm, add_action_error, current_user, not_found_as_404

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

channels_section = section_required("channels")
View = Callable[..., HttpResponse]


def write_only(label: StrOrPromise, help_text: StrOrPromise, max_length: int) -> forms.CharField:
    """A secret's field: typed in, never shown again (the page never renders its value)."""
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=help_text,
    )


def team_field() -> forms.TypedChoiceField:
    """The team a connection's new tickets go to; its choices come from `TeamChoices`."""
    return forms.TypedChoiceField(
        label=gettext_lazy("Team"), required=False, coerce=int, empty_value=None
    )


class TeamChoices(PageForm):
    """A connection's form: its `team` field lists the desk's teams and "No team"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = Team.objects.order_by("name", "id").values_list("pk", "name")
        team = self.fields["team"]
        assert isinstance(team, forms.TypedChoiceField)
        team.choices = [("", _("No team"))] + [(pk, n) for pk, n in teams]


def test_text_field() -> forms.CharField:
    """The text of a test message (the action says hello when it is left empty)."""
    return forms.CharField(
        label=gettext_lazy("Text"),
        max_length=4096,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@dataclass(frozen=True)
class ConnectionKind:
    """What one kind of connection gives the shared views."""

    page: str  # the console's navigation key and the prefix of its URL names
    one: str  # the template's name for one connection ("bot") and its URL name's end
    many: str  # the list template's name for the list ("bots")
    form: type[PageForm]
    test_form: type[PageForm]
    recipient: str  # the test form's field naming whom the test message goes to
    access: Callable[[User, int], models.Model]
    visible: Callable[[User], Iterable[models.Model]]
    initial: Callable[[Any], dict[str, Any]]  # a saved connection's form values
    defaults: Mapping[str, Any]  # a new connection's form values
    create: Callable[..., models.Model]  # (by=, values=)
    update: Callable[..., Any]  # (connection, by=, changes=)
    delete: Callable[..., Any]  # (connection, by=)
    check: Callable[..., Any]  # (connection, by=) -> CheckResult
    send_test: Callable[..., Any]  # (connection, by=, text=, <recipient>=) -> CheckResult
    address: tuple[str, Callable[[Any], str]]  # (template name, where the provider posts)
    added: StrOrPromise  # said after a connection is added
    deleted: StrOrPromise  # said after one is deleted; "%(name)s" is its name
    extra: Mapping[str, Any] = field(default_factory=dict)


class ConnectionPages:
    """The views of one kind, ready for the console's URLs."""

    def __init__(self, kind: ConnectionKind) -> None:
        self.kind = kind
        self.list: View = require_GET(channels_section(self._list))
        self.new: View = require_http_methods(["GET", "POST"])(channels_section(self._new))
        self.edit: View = require_http_methods(["GET", "POST"])(channels_section(self._edit))
        self.delete: View = require_POST(channels_section(self._delete))
        self.test: View = require_POST(channels_section(self._test))
        self.send_test: View = require_POST(channels_section(self._send_test))

    def found(self, request: HttpRequest, pk: int) -> Any:
        """The connection, if this person may manage it; else the page's 404."""
        try:
            return self.kind.access(current_user(request), pk)
        except NotFound as exc:
            raise not_found_as_404(exc) from None

    def page(
        self,
        request: HttpRequest,
        connection: Any,
        *,
        form: PageForm | None = None,
        status: int = 200,
        check: Any = None,
        test_form: PageForm | None = None,
    ) -> HttpResponse:
        """One connection's page (or the new one's, `connection` None), freshly read:
        a test or a delivery may have written its last error or name since."""
        kind = self.kind
        if connection is not None:
            connection.refresh_from_db()
        if form is None:
            form = kind.form(initial=kind.initial(connection))
        name, address = kind.address
        context = console_context(
            request,
            kind.page,
            form=form,
            check=check,
            test_form=test_form or kind.test_form(),
            **{kind.one: connection, name: address(connection) if connection else ""},
            **kind.extra,
        )
        return render(request, f"console/{kind.page}_{kind.one}.html", context, status=status)

    def _list(self, request: HttpRequest) -> HttpResponse:
        kind = self.kind
        found = list(kind.visible(current_user(request)))
        context = console_context(request, kind.page, **{kind.many: found})
        return render(request, f"console/{kind.page}_{kind.many}.html", context)

    def _new(self, request: HttpRequest) -> HttpResponse:
        kind = self.kind
        if request.method == "GET":
            return self.page(request, None, form=kind.form(initial=dict(kind.defaults)))
        form = kind.form(request.POST)
        if not form.is_valid():
            return self.page(request, None, form=form, status=400)
        try:
            made = kind.create(by=current_user(request), values=form.cleaned_data)
        except OporaError as exc:
            add_action_error(form, exc)
            return self.page(request, None, form=form, status=400)
        messages.success(request, kind.added)
        return redirect(f"console:{kind.page}_{kind.one}", made.pk)

    def _edit(self, request: HttpRequest, pk: int) -> HttpResponse:
        kind = self.kind
        connection = self.found(request, pk)
        if request.method == "GET":
            return self.page(request, connection)
        form = kind.form(request.POST)
        if not form.is_valid():
            return self.page(request, connection, form=form, status=400)
        try:
            kind.update(connection, by=current_user(request), changes=form.cleaned_data)
        except OporaError as exc:
            add_action_error(form, exc)
            return self.page(request, connection, form=form, status=400)
        messages.success(request, _("Saved."))
        return redirect(f"console:{kind.page}_{kind.one}", connection.pk)

    def _delete(self, request: HttpRequest, pk: int) -> HttpResponse:
        kind = self.kind
        connection = self.found(request, pk)
        kind.delete(connection, by=current_user(request))
        messages.success(request, str(kind.deleted) % {"name": connection.name})
        return redirect(f"console:{kind.page}_{kind.many}")

    def _test(self, request: HttpRequest, pk: int) -> HttpResponse:
        connection = self.found(request, pk)
        result = self.kind.check(connection, by=current_user(request))
        return self.page(request, connection, check=result)

    def _send_test(self, request: HttpRequest, pk: int) -> HttpResponse:
        kind = self.kind
        connection = self.found(request, pk)
        form = kind.test_form(request.POST)
        if not form.is_valid():
            return self.page(request, connection, test_form=form, status=400)
        try:
            result = kind.send_test(
                connection,
                by=current_user(request),
                text=form.cleaned_data["text"],
                **{kind.recipient: form.cleaned_data[kind.recipient]},
            )
        except OporaError as exc:
            add_action_error(form, exc, default_field=kind.recipient)
            return self.page(request, connection, test_form=form, status=400)
        return self.page(request, connection, check=result, test_form=form)
