"""Single sign-on, for administrators: whether it is on, and which provider groups work
at the desk with which role, support line and teams (accounts/oidc.py).

The provider's client secret is configuration (OPORA_OIDC_CLIENT_SECRET or its _FILE):
no endpoint takes or shows it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema, Status
from pydantic import Field

from opora.accounts import oidc
from opora.accounts.models import SsoGroupMapping
from opora.api.common import ErrorOut, Ref, StrictInput, current_user

router = Router(tags=["single sign-on"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

Line = Literal[1, 2, 3]
DeskRole = Literal["agent", "admin"]


class SsoOut(Schema):
    configured: bool = Field(description="false: no sign-in button, /signin/oidc answers 404")
    name: str = Field(description='label of the button: "Sign in with <name>"')
    issuer: str
    client_id: str
    groups_claim: str
    scopes: str
    callback_url: str = Field(description="the redirect address to register at the provider")


class MappingOut(Schema):
    id: int
    group: str
    role: DeskRole
    support_line: Line | None
    teams: list[Ref]
    created_at: datetime
    updated_at: datetime


class MappingCreate(StrictInput):
    group: str = Field(max_length=255, description="the group's name as the groups claim has it")
    role: DeskRole = "agent"
    support_line: Line | None = Field(None, description="null: 1st line for new agents")
    teams: list[int] = Field(default_factory=list, max_length=200, description="team ids")


class MappingUpdate(StrictInput):
    group: str | None = Field(None, max_length=255)
    role: DeskRole | None = None
    support_line: Line | None = None
    teams: list[int] | None = Field(None, max_length=200, description="replaces the teams")


def mapping_out(mapping: SsoGroupMapping) -> dict[str, Any]:
    return {
        "id": mapping.pk,
        "group": mapping.group,
        "role": mapping.role,
        "support_line": mapping.support_line,
        "teams": [{"id": t.pk, "name": t.name} for t in mapping.teams.all()],
        "created_at": mapping.created_at,
        "updated_at": mapping.updated_at,
    }


@router.get(
    "/sso",
    response={200: SsoOut, **ERRORS},
    summary="Single sign-on settings (admins)",
    operation_id="opora_api_sso_settings",
)
def sso_settings(request: HttpRequest) -> dict[str, Any]:
    oidc.group_mappings(current_user(request))  # admins only
    config = oidc.provider()
    return {
        "configured": config is not None,
        "name": settings.OIDC_NAME,
        "issuer": settings.OIDC_ISSUER,
        "client_id": settings.OIDC_CLIENT_ID,
        "groups_claim": settings.OIDC_GROUPS_CLAIM,
        "scopes": settings.OIDC_SCOPES,
        "callback_url": settings.BASE_URL.rstrip("/") + reverse("signin-oidc-callback"),
    }


@router.get(
    "/sso/mappings",
    response={200: list[MappingOut], **ERRORS},
    summary="Groups with access (admins)",
    operation_id="opora_api_sso_list_mappings",
)
def list_mappings(request: HttpRequest) -> list[dict[str, Any]]:
    return [mapping_out(m) for m in oidc.group_mappings(current_user(request))]


@router.post(
    "/sso/mappings",
    response={201: MappingOut, **ERRORS},
    summary="Give a group access (admins)",
    operation_id="opora_api_sso_create_mapping",
)
def create_mapping(request: HttpRequest, payload: MappingCreate) -> Status[dict[str, Any]]:
    saved = oidc.save_group_mapping(
        None,
        oidc.MappingFields(
            group=payload.group,
            role=payload.role,
            support_line=payload.support_line,
            team_ids=payload.teams,
        ),
        by=current_user(request),
    )
    return Status(201, mapping_out(saved))


@router.get(
    "/sso/mappings/{mapping_id}",
    response={200: MappingOut, **ERRORS},
    summary="A group with access (admins)",
    operation_id="opora_api_sso_get_mapping",
)
def get_mapping(request: HttpRequest, mapping_id: int) -> dict[str, Any]:
    return mapping_out(oidc.access_group_mapping(current_user(request), mapping_id))


@router.patch(
    "/sso/mappings/{mapping_id}",
    response={200: MappingOut, **ERRORS},
    summary="Change a group's access (admins)",
    operation_id="opora_api_sso_update_mapping",
)
def update_mapping(request: HttpRequest, mapping_id: int, payload: MappingUpdate) -> dict[str, Any]:
    user = current_user(request)
    mapping = oidc.access_group_mapping(user, mapping_id)
    sent = payload.model_fields_set
    saved = oidc.save_group_mapping(
        mapping,
        oidc.MappingFields(
            group=payload.group if payload.group is not None else mapping.group,
            role=payload.role if payload.role is not None else mapping.role,
            support_line=payload.support_line if "support_line" in sent else mapping.support_line,
            team_ids=(
                payload.teams if payload.teams is not None else [t.pk for t in mapping.teams.all()]
            ),
        ),
        by=user,
    )
    return mapping_out(saved)


@router.delete(
    "/sso/mappings/{mapping_id}",
    response={204: None, **ERRORS},
    summary="Take a group's access away (admins)",
    operation_id="opora_api_sso_delete_mapping",
)
def delete_mapping(request: HttpRequest, mapping_id: int) -> Status[None]:
    user = current_user(request)
    oidc.delete_group_mapping(oidc.access_group_mapping(user, mapping_id), by=user)
    return Status(204, None)
