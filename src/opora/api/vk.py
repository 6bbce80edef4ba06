"""VK communities, managed by administrators: add, change, delete, test, send a test
message.

The access token and the secret key are accepted and never returned: answers say
`token_set` / `secret_key_set` instead.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import BaseModel, ConfigDict, Field

from opora.api.common import ErrorOut, current_user
from opora.messengers.models import VkCommunity
from opora.messengers.vk import actions
from opora.messengers.vk.selectors import access_community, visible_communities

router = Router(tags=["channels"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
TOKEN_DOC = "the community's access token (Manage → API usage); write-only, never returned"  # noqa: S105
SECRET_DOC = "the Callback API's secret key (1-50 letters and digits); write-only"  # noqa: S105
CONFIRMATION_DOC = "the string VK asks the callback address to answer when connecting"
API_BASE_DOC = "the VK API server: https://api.vk.com"
GROUP_DOC = "the community's id (the digits of club123456)"


class TeamRef(Schema):
    id: int
    name: str


class VkCommunityOut(Schema):
    id: int
    name: str
    group_id: int = Field(description=GROUP_DOC)
    vk_name: str = Field(description="the community's name on VK, as groups.getById last said")
    token_set: bool = Field(description="a token is saved (it is never returned)")
    secret_key_set: bool = Field(description="a secret key is saved (it is never returned)")
    confirmation: str = Field(description=CONFIRMATION_DOC)
    api_base: str = Field(description=API_BASE_DOC)
    api_version: str
    team: TeamRef | None
    language: str
    active: bool
    callback_url: str = Field(description="the address to enter in the Callback API settings")
    last_error: str
    last_error_at: datetime | None
    last_ok_at: datetime | None
    created_at: datetime


class _CommunityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VkCommunityCreate(_CommunityIn):
    name: str = Field(max_length=120)
    group_id: int = Field(gt=0, description=GROUP_DOC)
    token: str = Field(max_length=512, description=TOKEN_DOC)
    secret_key: str = Field(max_length=50, description=SECRET_DOC)
    confirmation: str = Field("", max_length=64, description=CONFIRMATION_DOC)
    api_base: str = Field("https://api.vk.com", max_length=500, description=API_BASE_DOC)
    api_version: str = Field("5.199", max_length=16)
    team: int | None = Field(None, description="id of the team whose queue gets new tickets")
    language: Literal["en", "ru"] = Field("ru", description="new customers' language")
    active: bool = True


class VkCommunityUpdate(_CommunityIn):
    name: str | None = Field(None, max_length=120)
    group_id: int | None = Field(None, gt=0, description=GROUP_DOC)
    token: str | None = Field(None, max_length=512, description=TOKEN_DOC)
    secret_key: str | None = Field(None, max_length=50, description=SECRET_DOC)
    confirmation: str | None = Field(None, max_length=64, description=CONFIRMATION_DOC)
    api_base: str | None = Field(None, max_length=500, description=API_BASE_DOC)
    api_version: str | None = Field(None, max_length=16)
    team: int | None = Field(None, description="null: no team")
    language: Literal["en", "ru"] | None = None
    active: bool | None = None


class CheckOut(Schema):
    ok: bool
    message: str = Field(description="the community's name, what was done, or what went wrong")


class TestMessageIn(_CommunityIn):
    peer_id: int = Field(gt=0, description="the person's VK id; they must have written first")
    text: str = Field("", max_length=4096, description="empty: a standard test text")


def community_out(community: VkCommunity) -> dict[str, Any]:
    team = community.team
    return {
        "id": community.pk,
        "name": community.name,
        "group_id": community.group_id,
        "vk_name": community.vk_name,
        "token_set": bool(community.token),
        "secret_key_set": bool(community.secret_key),
        "confirmation": community.confirmation,
        "api_base": community.api_base,
        "api_version": community.api_version,
        "team": {"id": team.pk, "name": team.name} if team is not None else None,
        "language": community.language,
        "active": community.active,
        "callback_url": actions.callback_url(community),
        "last_error": community.last_error,
        "last_error_at": community.last_error_at,
        "last_ok_at": community.last_ok_at,
        "created_at": community.created_at,
    }


@router.get(
    "/channels/vk",
    response={200: list[VkCommunityOut], **ERRORS},
    summary="List VK communities (admins)",
    operation_id="opora_api_vk_list",
)
def list_communities(request: HttpRequest) -> list[dict[str, Any]]:
    return [community_out(c) for c in visible_communities(current_user(request))[:500]]


@router.post(
    "/channels/vk",
    response={201: VkCommunityOut, **ERRORS},
    summary="Connect a VK community (admins)",
    operation_id="opora_api_vk_create",
)
def create_community(request: HttpRequest, payload: VkCommunityCreate) -> Status[dict[str, Any]]:
    found = actions.create_community(by=current_user(request), values=payload.model_dump())
    return Status(201, community_out(found))


@router.get(
    "/channels/vk/{community_id}",
    response={200: VkCommunityOut, **ERRORS},
    summary="A VK community (admins)",
    operation_id="opora_api_vk_get",
)
def get_community(request: HttpRequest, community_id: int) -> dict[str, Any]:
    return community_out(access_community(current_user(request), community_id))


@router.patch(
    "/channels/vk/{community_id}",
    response={200: VkCommunityOut, **ERRORS},
    summary="Change a VK community (admins)",
    operation_id="opora_api_vk_update",
)
def update_community(
    request: HttpRequest, community_id: int, payload: VkCommunityUpdate
) -> dict[str, Any]:
    user = current_user(request)
    found = access_community(user, community_id)
    changes = {name: getattr(payload, name) for name in payload.model_fields_set}
    return community_out(actions.update_community(found, by=user, changes=changes))


@router.delete(
    "/channels/vk/{community_id}",
    response={204: None, **ERRORS},
    summary="Disconnect a VK community (admins)",
    operation_id="opora_api_vk_delete",
)
def delete_community(request: HttpRequest, community_id: int) -> Status[None]:
    user = current_user(request)
    actions.delete_community(access_community(user, community_id), by=user)
    return Status(204, None)


@router.post(
    "/channels/vk/{community_id}/test",
    response={200: CheckOut, **ERRORS},
    summary="Test a VK community: groups.getById with its token on its server (admins)",
    operation_id="opora_api_vk_test",
)
def test_community(request: HttpRequest, community_id: int) -> dict[str, Any]:
    """Answers 200 whether or not VK accepted the token: `ok` says which."""
    user = current_user(request)
    return asdict(actions.check_community(access_community(user, community_id), by=user))


@router.post(
    "/channels/vk/{community_id}/test-message",
    response={200: CheckOut, **ERRORS},
    summary="Send a test message to a person as the community (admins)",
    operation_id="opora_api_vk_test_message",
)
def send_test_message(
    request: HttpRequest, community_id: int, payload: TestMessageIn
) -> dict[str, Any]:
    user = current_user(request)
    found = access_community(user, community_id)
    return asdict(
        actions.send_test_message(found, by=user, peer_id=payload.peer_id, text=payload.text)
    )
