"""The customer portal: my requests, a new request, a request page with the public thread."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opora.accounts.actions import set_user_language
from opora.automation.bot import awaiting_answer, give_feedback
from opora.core.errors import NotFound, OporaError
from opora.crm.actions import check_new_ticket_fields
from opora.crm.selectors import (
    posted_type_values,
    shown_fields,
    ticket_fields_for,
    ticket_forms,
    type_form_inputs,
)
from opora.feedback.actions import rate_ticket
from opora.feedback.models import Rating
from opora.inbox.actions import set_email_notifications
from opora.pages import (
    add_action_error,
    current_user,
    customer_required,
    incoming_files,
    not_found_as_404,
    signed_in_user,
)
from opora.portal.forms import ProfileForm, ReplyForm, RequestForm
from opora.tickets import actions
from opora.tickets.models import Channel, Ticket, TicketStatus
from opora.tickets.selectors import (
    access_attachment,
    access_ticket,
    ticket_list_queryset,
    visible_messages,
    visible_tickets,
)

PAGE_SIZE = 20


def can_reopen(ticket: Ticket) -> bool:
    """A solved request may be reopened by its customer for OPORA_REOPEN_DAYS days."""
    if ticket.status != TicketStatus.SOLVED or ticket.solved_at is None:
        return False
    return timezone.now() - ticket.solved_at <= timedelta(days=settings.REOPEN_DAYS)


def can_reply(ticket: Ticket) -> bool:
    return ticket.is_active or can_reopen(ticket)


@require_GET
@customer_required
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    tickets = visible_tickets(user)
    scope = request.GET.get("scope", "mine")
    shared = user.organization is not None and user.organization.shared_tickets
    if scope != "organization" or not shared:
        scope = "mine"
        tickets = tickets.filter(requester_id=user.pk)
    rows = ticket_list_queryset(tickets).order_by("-updated_at", "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/home.html",
        {"page": page, "scope": scope, "shared": shared, "nav": "home"},
    )


@require_http_methods(["GET", "POST"])
@customer_required
def new_request(request: HttpRequest) -> HttpResponse:
    """A new request: the customer picks the type and answers its form's fields (each
    type's fields are on the page; a script shows those of the chosen type)."""
    user = current_user(request)
    form = RequestForm(request.POST or None)
    forms_by_type = ticket_forms()
    posted: dict[str, dict[str, str]] = {}
    field_errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            values = posted_type_values(forms_by_type, data["type"], request.POST)
            posted[data["type"]] = values
            try:
                custom = check_new_ticket_fields(data["type"], values)
                ticket = actions.create_ticket(
                    requester=user,
                    by=user,
                    subject=data["subject"],
                    body=data["body"],
                    type=data["type"],
                    priority=data["priority"] or None,
                    channel=Channel.WEB,
                    attachments=incoming_files(request),
                    custom_fields=custom,
                )
            except OporaError as exc:
                if exc.field and exc.field.startswith("custom_fields."):
                    field_errors[exc.field.removeprefix("custom_fields.")] = exc.message
                    form.add_error(None, exc.message)
                else:
                    add_action_error(form, exc, default_field="body")
                    if exc.field == "attachments":
                        form.add_error(None, exc.message)
            else:
                return redirect("portal:request", number=ticket.number)
    chosen = str(form["type"].value() or "question")
    type_forms = type_form_inputs(
        forms_by_type, chosen, posted, translation.get_language() or "en", field_errors
    )
    context = {
        "form": form,
        "nav": "new",
        "max_mb": settings.MAX_ATTACHMENT_MB,
        "type_forms": type_forms,
    }
    return render(request, "portal/new_request.html", context, status=status)


def _request_page(
    request: HttpRequest,
    ticket: Ticket,
    reply_form: ReplyForm,
    *,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    user = current_user(request)
    messages = visible_messages(user, ticket)
    # Only the requester rates, once the request is solved (see feedback.actions).
    can_rate = user.pk == ticket.requester_id and ticket.status in (
        TicketStatus.SOLVED,
        TicketStatus.CLOSED,
    )
    return render(
        request,
        "portal/request.html",
        {
            "ticket": ticket,
            "thread": messages,
            "form": reply_form,
            "can_reply": can_reply(ticket),
            "can_reopen": can_reopen(ticket),
            "can_solve": ticket.is_active,
            "reopen_days": settings.REOPEN_DAYS,
            "error": error,
            "can_rate": can_rate,
            "rating": Rating.objects.filter(ticket=ticket).first() if can_rate else None,
            "scores": range(1, 6),
            # The answer bot's "did this solve your question?", for the requester.
            "bot_asks": user.pk == ticket.requester_id and awaiting_answer(ticket),
            # Only the fields of the type's form: the desk's other fields stay internal.
            "custom_fields": [
                f
                for f in shown_fields(
                    ticket_fields_for(user, ticket),
                    ticket.custom_fields or {},
                    translation.get_language() or "en",
                )
                if f.shown
            ],
        },
        status=status,
    )


def _access(request: HttpRequest, number: int) -> Ticket:
    try:
        return access_ticket(current_user(request), number)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_GET
@customer_required
def request_page(request: HttpRequest, number: int) -> HttpResponse:
    return _request_page(request, _access(request, number), ReplyForm())


@require_POST
@customer_required
def request_reply(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    ticket = _access(request, number)
    form = ReplyForm(request.POST)
    if not can_reply(ticket):
        message = _("This request can no longer be answered; please write a new one.")
        return _request_page(request, ticket, form, status=400, error=message)
    if form.is_valid():
        try:
            actions.add_message(
                ticket,
                by=user,
                body=form.cleaned_data["body"],
                channel=Channel.WEB,
                attachments=incoming_files(request),
            )
        except OporaError as exc:
            form.add_error("body" if exc.field == "body" else None, exc.message)
        else:
            return redirect("portal:request", number=ticket.number)
    return _request_page(request, ticket, form, status=400)


@require_POST
@customer_required
def request_status(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    ticket = _access(request, number)
    wanted = request.POST.get("status")
    form = ReplyForm()
    if wanted == TicketStatus.OPEN and not can_reopen(ticket):
        message = _("This request can no longer be reopened; please write a new one.")
        return _request_page(request, ticket, form, status=400, error=message)
    if wanted not in (TicketStatus.SOLVED, TicketStatus.OPEN):
        return _request_page(request, ticket, form, status=400, error=_("Unknown action."))
    try:
        actions.update_ticket(ticket, actions.TicketChanges(status=wanted), by=user)
    except OporaError as exc:
        return _request_page(request, ticket, form, status=400, error=exc.message)
    return redirect("portal:request", number=ticket.number)


@require_POST
@customer_required
def request_rate(request: HttpRequest, number: int) -> HttpResponse:
    """Rate a solved request from 1 to 5, or change the rating while that is allowed."""
    user = current_user(request)
    ticket = _access(request, number)
    raw = request.POST.get("score", "")
    try:
        rate_ticket(
            ticket,
            by=user,
            score=int(raw) if raw.isdigit() else 0,
            comment=request.POST.get("comment", ""),
        )
    except OporaError as exc:
        return _request_page(request, ticket, ReplyForm(), status=exc.status, error=exc.message)
    return redirect("portal:request", number=ticket.number)


@require_GET
def attachment(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    """Download a file of a message the signed-in user may read (agents and customers)."""
    user = signed_in_user(request)
    if user is None:
        return redirect("signin")
    try:
        found = access_attachment(user, attachment_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None
    return FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.filename,
        content_type=found.content_type,
    )


@require_POST
@customer_required
def request_bot_answer(request: HttpRequest, number: int) -> HttpResponse:
    """The requester's answer to the bot: "yes" solves the request, "no" calls a person."""
    user = current_user(request)
    ticket = _access(request, number)
    if user.pk != ticket.requester_id:
        message = _("Only the person who asked answers this question.")
        return _request_page(request, ticket, ReplyForm(), status=403, error=message)
    try:
        give_feedback(ticket, solved=request.POST.get("solved") == "yes")
    except OporaError as exc:
        return _request_page(request, ticket, ReplyForm(), status=400, error=exc.message)
    return redirect("portal:request", number=ticket.number)


@require_http_methods(["GET", "POST"])
@customer_required
def profile(request: HttpRequest) -> HttpResponse:
    """The customer's own settings: language, and whether answers come by e-mail."""
    user = current_user(request)
    initial = {"language": user.language, "notify_by_email": user.notify_by_email}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not form.is_valid():
            return render(
                request, "portal/profile.html", {"form": form, "nav": "profile"}, status=400
            )
        try:
            set_user_language(user, form.cleaned_data["language"])
        except OporaError as exc:
            add_action_error(form, exc, default_field="language")
            return render(
                request, "portal/profile.html", {"form": form, "nav": "profile"}, status=400
            )
        set_email_notifications(user, enabled=form.cleaned_data["notify_by_email"])
        with translation.override(user.language):  # said in the language just chosen
            flash.success(request, _("Your settings are saved."))
        response = redirect("portal:profile")
        # The page language follows the choice at once, as the header's switch does.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response
    return render(request, "portal/profile.html", {"form": form, "nav": "profile"})
