"""Mailboxes, managed by administrators: where mail comes in, and how it is fetched.

No endpoint takes or returns a password: `password_env` names the environment variable
(or the file in OPORA_MAILBOX_SECRET_DIR) that holds the IMAP password.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.params.functions import Query
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from opora.api.common import ErrorOut, current_user, decode_cursor, encode_cursor
from opora.inbox.actions import resend_from_outbox
from opora.inbox.email import actions
from opora.inbox.email.errors import PASSWORD_NOT_STORED
from opora.inbox.email.fetch import check_connection
from opora.inbox.email.models import Mailbox
from opora.inbox.email.selectors import access_mailbox, visible_mailboxes
from opora.inbox.email.transport import local_outbox_path, uses_local_outbox
from opora.inbox.models import Delivery
from opora.inbox.selectors import access_outbox_delivery, outbox

router = Router(tags=["mailboxes"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

WHERE_KEPT_DOC = (
    "name of the environment variable, or of the file in OPORA_MAILBOX_SECRET_DIR, "
    "that holds the IMAP password; never the password itself"
)


class TeamRef(Schema):
    id: int
    name: str


class MailboxOut(Schema):
    id: int
    address: str
    team: TeamRef | None
    language: str
    active: bool
    imap_host: str
    imap_port: int
    imap_tls: bool
    imap_user: str
    imap_folder: str
    imap_done_folder: str
    password_env: str = Field(description=WHERE_KEPT_DOC)
    dkim_selector: str
    dkim_dns_name: str = Field(description="where to publish the DKIM key; empty: no key")
    dkim_dns_value: str = Field(description="the TXT record to publish (the public key)")
    created_at: datetime


class _MailboxIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Not part of the documented schema: accepted only to be refused with a clear answer.
    password: SkipJsonSchema[Any] = None
    imap_password: SkipJsonSchema[Any] = None

    @field_validator("password", "imap_password", mode="before")
    @classmethod
    def _refuse_passwords(cls, value: Any) -> Any:
        raise PydanticCustomError(PASSWORD_NOT_STORED, actions.password_refused().message)


class MailboxCreate(_MailboxIn):
    address: str = Field(max_length=254)
    team: int | None = Field(None, description="id of the team whose queue gets the mail")
    language: Literal["en", "ru"] = Field("en", description="language of new tickets' replies")
    active: bool = True
    imap_host: str = Field("", max_length=255, description="empty: mail is not fetched by IMAP")
    imap_port: int = Field(993, ge=1, le=65535)
    imap_tls: bool = True
    imap_user: str = Field("", max_length=255, description="empty: the address")
    imap_folder: str = Field("INBOX", max_length=255)
    imap_done_folder: str = Field("", max_length=255, description="processed mail moves here")
    password_env: str = Field("", max_length=255, description=WHERE_KEPT_DOC)


class MailboxUpdate(_MailboxIn):
    address: str | None = Field(None, max_length=254)
    team: int | None = Field(None, description="null: no team")
    language: Literal["en", "ru"] | None = None
    active: bool | None = None
    imap_host: str | None = Field(None, max_length=255)
    imap_port: int | None = Field(None, ge=1, le=65535)
    imap_tls: bool | None = None
    imap_user: str | None = Field(None, max_length=255)
    imap_folder: str | None = Field(None, max_length=255)
    imap_done_folder: str | None = Field(None, max_length=255)
    password_env: str | None = Field(None, max_length=255, description=WHERE_KEPT_DOC)


def mailbox_out(mailbox: Mailbox) -> dict[str, Any]:
    team = mailbox.team
    return {
        "id": mailbox.pk,
        "address": mailbox.address,
        "team": {"id": team.pk, "name": team.name} if team is not None else None,
        "language": mailbox.language,
        "active": mailbox.active,
        "imap_host": mailbox.imap_host,
        "imap_port": mailbox.imap_port,
        "imap_tls": mailbox.imap_tls,
        "imap_user": mailbox.imap_user,
        "imap_folder": mailbox.imap_folder,
        "imap_done_folder": mailbox.imap_done_folder,
        "password_env": mailbox.password_env,
        "dkim_selector": mailbox.dkim_selector,
        "dkim_dns_name": mailbox.dkim_dns_name,
        "dkim_dns_value": mailbox.dkim_dns_value,
        "created_at": mailbox.created_at,
    }


def _values(payload: BaseModel) -> dict[str, Any]:
    """The fields the client sent, nothing it left out."""
    return {name: getattr(payload, name) for name in payload.model_fields_set}


@router.get(
    "/mailboxes", response={200: list[MailboxOut], **ERRORS}, summary="List mailboxes (admins)"
)
def list_mailboxes(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    boxes = visible_mailboxes(current_user(request))[offset : offset + limit]
    return [mailbox_out(m) for m in boxes]


@router.post(
    "/mailboxes", response={201: MailboxOut, **ERRORS}, summary="Create a mailbox (admins)"
)
def create_mailbox(request: HttpRequest, payload: MailboxCreate) -> Status[dict[str, Any]]:
    values = payload.model_dump(exclude={"password", "imap_password"})
    mailbox = actions.create_mailbox(by=current_user(request), values=values)
    return Status(201, mailbox_out(mailbox))


@router.get(
    "/mailboxes/{mailbox_id}", response={200: MailboxOut, **ERRORS}, summary="A mailbox (admins)"
)
def get_mailbox(request: HttpRequest, mailbox_id: int) -> dict[str, Any]:
    return mailbox_out(access_mailbox(current_user(request), mailbox_id))


@router.patch(
    "/mailboxes/{mailbox_id}",
    response={200: MailboxOut, **ERRORS},
    summary="Change a mailbox (admins)",
)
def update_mailbox(request: HttpRequest, mailbox_id: int, payload: MailboxUpdate) -> dict[str, Any]:
    user = current_user(request)
    mailbox = access_mailbox(user, mailbox_id)
    updated = actions.update_mailbox(mailbox, by=user, changes=_values(payload))
    return mailbox_out(updated)


@router.delete(
    "/mailboxes/{mailbox_id}", response={204: None, **ERRORS}, summary="Delete a mailbox (admins)"
)
def delete_mailbox(request: HttpRequest, mailbox_id: int) -> Status[None]:
    user = current_user(request)
    actions.delete_mailbox(access_mailbox(user, mailbox_id), by=user)
    return Status(204, None)


class DkimKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    selector: str = Field("", max_length=63, description="DNS label; empty: keep the current one")


@router.post(
    "/mailboxes/{mailbox_id}/dkim",
    response={200: MailboxOut, **ERRORS},
    summary="Generate the mailbox domain's DKIM signing key (admins)",
    description="Outgoing mail of the domain is signed with the new key; publish "
    "`dkim_dns_value` as a TXT record at `dkim_dns_name`. Replaces an earlier key.",
)
def generate_dkim_key(request: HttpRequest, mailbox_id: int, payload: DkimKeyIn) -> dict[str, Any]:
    user = current_user(request)
    mailbox = access_mailbox(user, mailbox_id)
    return mailbox_out(actions.generate_dkim_key(mailbox, by=user, selector=payload.selector))


class ConnectionCheckOut(Schema):
    ok: bool
    message: str = Field(description="the server's answer, or what went wrong, in words")
    messages: int | None = Field(None, description="mail in the folder, when it opened")


@router.post(
    "/mailboxes/{mailbox_id}/test",
    response={200: ConnectionCheckOut, **ERRORS},
    summary="Test a mailbox's IMAP connection: log in and open its folder (admins)",
    operation_id="opora_api_mailboxes_test",
)
def test_mailbox(request: HttpRequest, mailbox_id: int) -> dict[str, Any]:
    """Answers 200 whether or not the server let us in: `ok` says which, `message` why."""
    mailbox = access_mailbox(current_user(request), mailbox_id)
    return asdict(check_connection(mailbox))


# The outbox: every mail the desk sent or tried to send.


class OutboxTicket(Schema):
    number: int
    subject: str


class OutboxOut(Schema):
    id: int
    channel: str = Field(description="email, web (portal notices) or mail (the desk's own)")
    kind: str
    state: Literal["queued", "sent", "failed"]
    address: str
    subject: str
    attempts: int
    error: str
    next_attempt_at: datetime | None
    sent_at: datetime | None
    created_at: datetime
    ticket: OutboxTicket | None


class OutboxPage(Schema):
    items: list[OutboxOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next (older) page")
    local_outbox: str | None = Field(
        description="the folder mail is written to when no SMTP server is configured"
    )


def outbox_out(row: Delivery) -> dict[str, Any]:
    ticket = row.ticket
    return {
        "id": row.pk,
        "channel": row.channel,
        "kind": row.kind,
        "state": row.state,
        "address": row.address,
        "subject": row.subject,
        "attempts": row.attempts,
        "error": row.error,
        "next_attempt_at": row.next_attempt_at,
        "sent_at": row.sent_at,
        "created_at": row.created_at,
        "ticket": {"number": ticket.number, "subject": ticket.subject} if ticket else None,
    }


@router.get(
    "/outbox",
    response={200: OutboxPage, **ERRORS},
    summary="The desk's outgoing mail, newest first (admins)",
    operation_id="opora_api_outbox_list",
)
def list_outbox(
    request: HttpRequest,
    state: Literal["queued", "sent", "failed"] | None = None,
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = None,
) -> dict[str, Any]:
    before = None
    if cursor:
        [value] = decode_cursor(cursor, length=1)
        if not isinstance(value, int) or value < 1:
            decode_cursor("", length=1)  # answers "invalid cursor"
        before = value
    rows = list(outbox(current_user(request), state=state, before_id=before)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [outbox_out(r) for r in rows],
        "next_cursor": encode_cursor([rows[-1].pk]) if more and rows else None,
        "local_outbox": local_outbox_path() if uses_local_outbox() else None,
    }


@router.post(
    "/outbox/{delivery_id}/retry",
    response={200: OutboxOut, **ERRORS},
    summary="Send a failed mail again (admins)",
    operation_id="opora_api_outbox_retry",
)
def retry_outbox(request: HttpRequest, delivery_id: int) -> dict[str, Any]:
    user = current_user(request)
    found = resend_from_outbox(access_outbox_delivery(user, delivery_id), by=user)
    return outbox_out(found)
