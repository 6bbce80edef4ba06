"""The widget's HTTP endpoints under /chat/api/<public_key>/ (docs/chat.md).

They answer any origin (the widget runs on the customer's site) and read no cookies:
the visitor token travels in the X-Chat-Visitor header. Thin: parse, authorize with
`selectors.access_*`, one action, JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from opora.chat import actions, errors
from opora.chat.frames import attachment_for_link, history, message_frame, session_frame
from opora.chat.models import ChatWidget
from opora.chat.selectors import (
    Visitor,
    access_visitor,
    access_widget,
    current_session,
    latest_session,
    read_token,
    team_online,
    visitor_token,
)
from opora.core import jsonin
from opora.core.errors import NotFound, OporaError, RateLimited
from opora.core.numbers import parse_int
from opora.core.ratelimit import client_address, hit
from opora.tickets.attachments import IncomingFile
from opora.tickets.models import Attachment

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, X-Chat-Visitor",
    "Access-Control-Max-Age": "86400",
}

View = Callable[..., HttpResponse]


def _error(exc: OporaError) -> JsonResponse:
    return JsonResponse(
        {
            "detail": exc.message,
            "code": exc.code,
            "errors": [{"field": exc.field, "code": exc.code, "message": exc.message}],
        },
        status=exc.status,
    )


def widget_api(*methods: str) -> Callable[[View], View]:
    """CORS for any origin, no CSRF (no cookies are read), errors as JSON."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "OPTIONS":
                response: HttpResponse = HttpResponse(status=204)
            elif request.method not in methods:
                response = JsonResponse(
                    {"detail": "Method not allowed.", "code": "method_not_allowed", "errors": []},
                    status=405,
                )
            else:
                try:
                    response = view(request, *args, **kwargs)
                except OporaError as exc:
                    response = _error(exc)
            for name, value in CORS.items():
                response[name] = value
            return response

        return wrapper

    return decorate


def _json(request: HttpRequest) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        data = jsonin.loads(request.body)
    except jsonin.BadJson:
        raise OporaError(errors.BAD_FRAME, _("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise OporaError(errors.BAD_FRAME, _("The request body must be a JSON object."))
    return data


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def _config(widget: ChatWidget) -> dict[str, Any]:
    return {
        "online": team_online(widget.team_id),
        "team": widget.team.name,
        "prechat": {"name": widget.prechat_name, "email": widget.prechat_email},
        "greeting": {"en": widget.greeting_en, "ru": widget.greeting_ru},
        "max_upload_bytes": settings.MAX_ATTACHMENT_MB * 1024 * 1024,
        "max_message_chars": settings.CHAT_MAX_MESSAGE_CHARS,
    }


@widget_api("GET")
def config(request: HttpRequest, public_key: str) -> HttpResponse:
    return JsonResponse(_config(access_widget(public_key)))


@widget_api("POST")
def visitor(request: HttpRequest, public_key: str) -> HttpResponse:
    """A returning visitor's token is kept; anyone else gets a new one."""
    widget = access_widget(public_key)
    data = _json(request)
    token = _text(data, "token") or request.headers.get("X-Chat-Visitor", "")
    visitor_id = read_token(widget, token)
    profile = actions.Profile(
        name=_text(data, "name"),
        email=_text(data, "email"),
        language=_text(data, "language"),
        page_url=_text(data, "page_url"),
        user_agent=request.headers.get("User-Agent", ""),
    )
    actions.check_profile(widget, profile)
    if visitor_id is None:
        if not hit(
            "chat-new-visitor",
            client_address(request.META),
            limit=settings.CHAT_VISITOR_RATE_LIMIT_PER_MINUTE,
        ):
            raise RateLimited(errors.RATE_LIMITED, _("Too many new chats; wait a minute."))
        visitor_id = actions.new_visitor_id()
        token = visitor_token(widget, visitor_id)
    who = access_visitor(public_key, token)
    session = actions.open_session(who, profile)
    return JsonResponse(
        {
            "token": token,
            "session": session_frame(session),
            "messages": history(session),
            "online": team_online(widget.team_id),
        }
    )


def _visitor_of(request: HttpRequest, public_key: str) -> Visitor:
    return access_visitor(public_key, request.headers.get("X-Chat-Visitor", ""))


@widget_api("GET")
def messages(request: HttpRequest, public_key: str) -> HttpResponse:
    who = _visitor_of(request, public_key)
    after = parse_int(request.GET.get("after", "0") or "0")
    if after is None:
        raise OporaError(errors.BAD_FRAME, _("“after” must be a message id."))
    session = current_session(who) or latest_session(who)
    return JsonResponse({"messages": history(session, after)})


@widget_api("POST")
def upload(request: HttpRequest, public_key: str) -> HttpResponse:
    who = _visitor_of(request, public_key)
    files = [
        IncomingFile(
            name=f.name or "file", content=f, size=f.size or 0, content_type=f.content_type or ""
        )
        for f in request.FILES.getlist("file")
    ]
    if not files:
        raise OporaError(errors.MESSAGE_EMPTY, _("Choose a file to send."))
    message = actions.post_message(
        who,
        request.POST.get("text", ""),
        request.POST.get("client_id"),
        attachments=files,
        email=request.POST.get("email", ""),
        client_address=client_address(request.META),
    )
    session = current_session(who) or latest_session(who)
    requester_id = session.requester_id if session is not None else None
    return JsonResponse({"message": message_frame(message, requester_id)}, status=201)


def file(request: HttpRequest, signed: str) -> HttpResponseBase:
    """A chat attachment by its signed link (the widget's visitor has no account)."""
    attachment_id = attachment_for_link(signed)
    found = (
        Attachment.objects.filter(pk=attachment_id, message__internal=False).first()
        if attachment_id is not None
        else None
    )
    if found is None:
        raise Http404(NotFound(_("attachment")).message)
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.filename)
    response["Content-Type"] = found.content_type
    response["Access-Control-Allow-Origin"] = "*"
    return response
