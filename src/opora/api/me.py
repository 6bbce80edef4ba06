"""The signed-in person's own profile: `GET/PATCH /me`, `POST /me/password` and, for
agents, `GET/PUT /me/presence` (the navigation's switch: one presence for chats and
ticket routing).

The workspace's Profile page calls the same functions (accounts/profile.py), so both
show the same settings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from opora.accounts import profile, sessions
from opora.accounts.actions import set_user_language
from opora.accounts.models import User
from opora.accounts.tokens import TICKETS
from opora.api.accounts import ERRORS, UserOut, user_out
from opora.api.common import LanguageName, StrictInput, current_user, needs_scope
from opora.chat.actions import set_presence
from opora.chat.models import AgentPresence
from opora.chat.selectors import access_presence, presence_of
from opora.inbox.actions import set_email_notifications
from opora.reports.actions import set_weekly_digest
from opora.reports.selectors import access_digest, may_get_digest, wants_digest

router = Router(tags=["accounts"])


class MeOut(UserOut):
    notify_by_email: bool = Field(
        description="e-mail me when the desk answers a request I made in the portal"
    )
    signature: str = Field(description="agents: added under each reply sent by e-mail")
    notify_new_in_team: bool = Field(description="agents: e-mail on a new ticket in my team")
    notify_assigned: bool = Field(description="agents: e-mail when a ticket is assigned to me")
    notify_customer_replied: bool = Field(
        description="agents: e-mail when the customer replies on my ticket"
    )
    notify_sla: bool = Field(description="agents: e-mail when my ticket is at risk or breached")
    weekly_digest: bool | None = Field(
        description="team leads and admins: the weekly KPI digest; null for others"
    )


class MeUpdate(StrictInput):
    name: str | None = Field(None, max_length=200)
    language: LanguageName | None = Field(None, description="pages and e-mails")
    time_zone: str | None = Field(
        None, max_length=64, description="an IANA name, e.g. Europe/Moscow"
    )
    notify_by_email: bool | None = None
    signature: str | None = Field(None, max_length=profile.MAX_SIGNATURE)
    notify_new_in_team: bool | None = None
    notify_assigned: bool | None = None
    notify_customer_replied: bool | None = None
    notify_sla: bool | None = None
    weekly_digest: bool | None = None


class PasswordIn(StrictInput):
    current_password: str = Field(max_length=4096)
    new_password: str = Field(max_length=4096)
    new_password2: str = Field(max_length=4096, description="the new password again")


class PasswordOut(Schema):
    signed_out_sessions: int


def me_out(user: User) -> dict[str, Any]:
    return {
        **user_out(user),
        "notify_by_email": user.notify_by_email,
        "signature": user.signature,
        **{name: getattr(user, name) for name in profile.NOTICES},
        "weekly_digest": wants_digest(user) if may_get_digest(user) else None,
    }


@router.get(
    "/me",
    response={200: MeOut, **ERRORS},
    summary="The signed-in user",
    operation_id="opora_api_accounts_me",
)
def me(request: HttpRequest) -> dict[str, Any]:
    return me_out(current_user(request))


@router.patch(
    "/me",
    response={200: MeOut, **ERRORS},
    summary="Change my own settings (name, language, time zone, signature, e-mails I get)",
    operation_id="opora_api_accounts_update_me",
)
def update_me(request: HttpRequest, payload: MeUpdate) -> dict[str, Any]:
    user = current_user(request)
    if payload.weekly_digest is not None:
        access_digest(user)
    changes = profile.ProfileChanges(
        name=payload.name,
        time_zone=payload.time_zone,
        signature=payload.signature,
        notify_new_in_team=payload.notify_new_in_team,
        notify_assigned=payload.notify_assigned,
        notify_customer_replied=payload.notify_customer_replied,
        notify_sla=payload.notify_sla,
    )
    # Checked before anything is written: a refused change writes nothing.
    profile.check_profile(user, changes)
    profile.update_profile(user, changes)
    if payload.language is not None:
        set_user_language(user, payload.language)
    if payload.notify_by_email is not None:
        set_email_notifications(user, enabled=payload.notify_by_email)
    if payload.weekly_digest is not None:
        set_weekly_digest(user, enabled=payload.weekly_digest)
    return me_out(user)


@router.post(
    "/me/password",
    response={200: PasswordOut, **ERRORS},
    summary="Change my password; every other signed-in browser is signed out",
)
def change_password(request: HttpRequest, payload: PasswordIn) -> Status[dict[str, int]]:
    user = current_user(request)
    # Called from a signed-in browser, that browser stays signed in; with a token, all go.
    session = getattr(request, "session", None)
    keep = sessions.current_session_id(request) if session is not None else None
    count = profile.change_password(
        user,
        current=payload.current_password,
        new=payload.new_password,
        again=payload.new_password2,
        keep_session=keep,
    )
    if keep is not None:
        update_session_auth_hash(request, user)
    return Status(200, {"signed_out_sessions": count})


class PresenceOut(Schema):
    status: str = Field(description="online, away or offline")
    since: datetime | None = Field(description="when it last changed; null: never set")


class PresenceIn(StrictInput):
    status: Literal["online", "away", "offline"]


def presence_out(presence: AgentPresence) -> dict[str, Any]:
    return {"status": presence.status, "since": presence.updated_at if presence.pk else None}


@router.get(
    "/me/presence",
    response={200: PresenceOut, **ERRORS},
    summary="My presence (agents): what chats and ticket routing go by",
    operation_id="opora_api_accounts_my_presence",
)
def my_presence(request: HttpRequest) -> dict[str, Any]:
    return presence_out(presence_of(access_presence(current_user(request))))


@router.put(
    "/me/presence",
    response={200: PresenceOut, **ERRORS},
    summary="Go online, away or offline (agents): chats are offered and tickets routed "
    "only to agents online; the change is kept on the account's trail",
    operation_id="opora_api_accounts_set_my_presence",
    # Taking work or not is part of ticket work: a `tickets` token may set it.
    openapi_extra=needs_scope(TICKETS),
)
def put_my_presence(request: HttpRequest, payload: PresenceIn) -> dict[str, Any]:
    user = access_presence(current_user(request))
    return presence_out(set_presence(user, payload.status, via="api"))
