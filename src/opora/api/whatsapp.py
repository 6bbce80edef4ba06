"""WhatsApp: the desk's numbers, managed by administrators (add, change, delete, test,
send a test message), and an agent's template reply on a WhatsApp ticket whose 24-hour
window closed.

The access token and the app secret are accepted and never returned: answers say
`access_token_set` / `app_secret_set` instead.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import BaseModel, ConfigDict, Field

from opora.api.common import ErrorOut, current_user
from opora.api.tickets import MessageOut, message_out
from opora.inbox.selectors import latest_deliveries
from opora.messengers.models import WhatsAppNumber
from opora.messengers.whatsapp import actions, window
from opora.messengers.whatsapp.selectors import access_number, visible_numbers
from opora.tickets.selectors import access_ticket

router = Router(tags=["channels"])
tickets_router = Router(tags=["tickets"])
ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
TOKEN_DOC = "a system user's access token from Meta; write-only, never returned"  # noqa: S105
SECRET_DOC = "the Meta app's secret, which signs the webhooks; write-only, never returned"  # noqa: S105
API_BASE_DOC = "the Graph API server: https://graph.facebook.com, or another (a proxy)"
TEMPLATES_DOC = "names of the number's approved message templates, offered to agents"


class TeamRef(Schema):
    id: int
    name: str


class WhatsAppNumberOut(Schema):
    id: int
    name: str
    phone_number_id: str
    business_account_id: str
    access_token_set: bool = Field(description="an access token is saved (never returned)")
    app_secret_set: bool = Field(description="an app secret is saved (never returned)")
    verify_token: str = Field(description="give Meta this verify token with the webhook URL")
    api_base: str = Field(description=API_BASE_DOC)
    api_version: str
    team: TeamRef | None
    language: str
    templates: list[str] = Field(description=TEMPLATES_DOC)
    active: bool
    display_name: str = Field(description="the number's name as the Graph API last said")
    webhook_url: str = Field(description="the callback URL to give Meta")
    last_error: str
    last_error_at: datetime | None
    last_ok_at: datetime | None
    created_at: datetime


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WhatsAppNumberCreate(_In):
    name: str = Field(max_length=120)
    phone_number_id: str = Field(max_length=32)
    business_account_id: str = Field("", max_length=32)
    access_token: str = Field(max_length=1000, description=TOKEN_DOC)
    app_secret: str = Field(max_length=200, description=SECRET_DOC)
    verify_token: str = Field("", max_length=128, description="empty: one is generated")
    api_base: str = Field("https://graph.facebook.com", max_length=500, description=API_BASE_DOC)
    api_version: str = Field("21.0", max_length=16)
    team: int | None = Field(None, description="id of the team whose queue gets new tickets")
    language: Literal["en", "ru"] = "en"
    templates: list[str] = Field(default_factory=list, description=TEMPLATES_DOC)
    active: bool = True


class WhatsAppNumberUpdate(_In):
    name: str | None = Field(None, max_length=120)
    phone_number_id: str | None = Field(None, max_length=32)
    business_account_id: str | None = Field(None, max_length=32)
    access_token: str | None = Field(None, max_length=1000, description=TOKEN_DOC)
    app_secret: str | None = Field(None, max_length=200, description=SECRET_DOC)
    verify_token: str | None = Field(None, max_length=128)
    api_base: str | None = Field(None, max_length=500, description=API_BASE_DOC)
    api_version: str | None = Field(None, max_length=16)
    team: int | None = Field(None, description="null: no team")
    language: Literal["en", "ru"] | None = None
    templates: list[str] | None = Field(None, description=TEMPLATES_DOC)
    active: bool | None = None


class CheckOut(Schema):
    ok: bool
    message: str = Field(description="the number's display name, or what went wrong")


class TestMessageIn(_In):
    to: str = Field(max_length=20, description="the recipient's number, such as +15551234567")
    text: str = Field("", max_length=4096, description="empty: a standard test text")


class TemplateIn(_In):
    name: str = Field(max_length=512, description="one of the number's approved templates")
    language: str = Field(max_length=16, description="the template's language code: en_US, ru")
    params: list[str] = Field(
        default_factory=list, description="the template body's {{1}}, {{2}} … in order"
    )


class WindowOut(Schema):
    open: bool = Field(description="free-text replies may be sent")
    closes_at: datetime | None = Field(description="when the 24-hour window closes (closed)")
    unreachable: bool
    templates: list[str]


def number_out(number: WhatsAppNumber) -> dict[str, Any]:
    team = number.team
    return {
        "id": number.pk,
        "name": number.name,
        "phone_number_id": number.phone_number_id,
        "business_account_id": number.business_account_id,
        "access_token_set": bool(number.access_token),
        "app_secret_set": bool(number.app_secret),
        "verify_token": number.verify_token,
        "api_base": number.api_base,
        "api_version": number.api_version,
        "team": {"id": team.pk, "name": team.name} if team is not None else None,
        "language": number.language,
        "templates": list(number.templates),
        "active": number.active,
        "display_name": number.display_name,
        "webhook_url": actions.webhook_url(number),
        "last_error": number.last_error,
        "last_error_at": number.last_error_at,
        "last_ok_at": number.last_ok_at,
        "created_at": number.created_at,
    }


@router.get(
    "/channels/whatsapp",
    response={200: list[WhatsAppNumberOut], **ERRORS},
    summary="List WhatsApp numbers (admins)",
    operation_id="opora_api_whatsapp_list",
)
def list_numbers(request: HttpRequest) -> list[dict[str, Any]]:
    return [number_out(n) for n in visible_numbers(current_user(request))[:500]]


@router.post(
    "/channels/whatsapp",
    response={201: WhatsAppNumberOut, **ERRORS},
    summary="Add a WhatsApp number (admins)",
    operation_id="opora_api_whatsapp_create",
)
def create_number(request: HttpRequest, payload: WhatsAppNumberCreate) -> Status[dict[str, Any]]:
    number = actions.create_number(by=current_user(request), values=payload.model_dump())
    return Status(201, number_out(number))


@router.get(
    "/channels/whatsapp/{number_id}",
    response={200: WhatsAppNumberOut, **ERRORS},
    summary="A WhatsApp number (admins)",
    operation_id="opora_api_whatsapp_get",
)
def get_number(request: HttpRequest, number_id: int) -> dict[str, Any]:
    return number_out(access_number(current_user(request), number_id))


@router.patch(
    "/channels/whatsapp/{number_id}",
    response={200: WhatsAppNumberOut, **ERRORS},
    summary="Change a WhatsApp number (admins)",
    operation_id="opora_api_whatsapp_update",
)
def update_number(
    request: HttpRequest, number_id: int, payload: WhatsAppNumberUpdate
) -> dict[str, Any]:
    user = current_user(request)
    number = access_number(user, number_id)
    changes = {name: getattr(payload, name) for name in payload.model_fields_set}
    return number_out(actions.update_number(number, by=user, changes=changes))


@router.delete(
    "/channels/whatsapp/{number_id}",
    response={204: None, **ERRORS},
    summary="Delete a WhatsApp number (admins)",
    operation_id="opora_api_whatsapp_delete",
)
def delete_number(request: HttpRequest, number_id: int) -> Status[None]:
    user = current_user(request)
    actions.delete_number(access_number(user, number_id), by=user)
    return Status(204, None)


@router.post(
    "/channels/whatsapp/{number_id}/test",
    response={200: CheckOut, **ERRORS},
    summary="Test a WhatsApp number: read its display name from the Graph API (admins)",
    operation_id="opora_api_whatsapp_test",
)
def test_number(request: HttpRequest, number_id: int) -> dict[str, Any]:
    """Answers 200 whether or not the Graph API accepted the token: `ok` says which."""
    user = current_user(request)
    return asdict(actions.check_number(access_number(user, number_id), by=user))


@router.post(
    "/channels/whatsapp/{number_id}/test-message",
    response={200: CheckOut, **ERRORS},
    summary="Send a test message from a WhatsApp number (admins)",
    operation_id="opora_api_whatsapp_test_message",
)
def send_test_message(
    request: HttpRequest, number_id: int, payload: TestMessageIn
) -> dict[str, Any]:
    user = current_user(request)
    number = access_number(user, number_id)
    return asdict(actions.send_test_message(number, by=user, to=payload.to, text=payload.text))


@tickets_router.get(
    "/tickets/{number}/whatsapp-window",
    response={200: WindowOut, **ERRORS},
    summary="Whether free text may be sent on a WhatsApp ticket, and its templates (agents)",
    operation_id="opora_api_whatsapp_window",
)
def get_window(request: HttpRequest, number: int) -> dict[str, Any]:
    user = current_user(request)
    ticket = access_ticket(user, number)
    found = window.window_for(ticket) if user.is_agent else None
    if found is None:
        raise actions.not_whatsapp()
    return {
        "open": found.open,
        "closes_at": found.closes_at,
        "unreachable": found.unreachable,
        "templates": found.templates,
    }


@tickets_router.post(
    "/tickets/{number}/whatsapp-template",
    response={201: MessageOut, **ERRORS},
    summary="Reply with an approved WhatsApp template (agents; outside the 24-hour window)",
    operation_id="opora_api_whatsapp_template",
)
def send_template(request: HttpRequest, number: int, payload: TemplateIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    ticket = access_ticket(user, number)
    message = actions.send_template_reply(
        ticket, by=user, name=payload.name, language=payload.language, params=payload.params
    )
    delivery = latest_deliveries([message.pk]).get(message.pk)
    return Status(
        201, message_out(message, number=ticket.number, with_files=False, delivery=delivery)
    )
