"""The knowledge-base search's synonym vocabulary: groups of phrases that mean one thing,
per language; administrators list, add, change and delete them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from opora.api.common import ErrorOut, StrictInput, current_user
from opora.search import actions
from opora.search.models import SynonymGroup
from opora.search.selectors import access_synonym_group, synonym_groups

router = Router(tags=["knowledge base"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class SynonymGroupIn(StrictInput):
    language: Literal["en", "ru"]
    phrases: list[str] = Field(
        max_length=actions.MAX_PHRASES,
        description='phrases that mean one thing, e.g. ["can\'t log in", "sign-in fails"]',
    )


class SynonymGroupOut(Schema):
    id: int
    language: str
    phrases: list[str]
    created_at: datetime
    updated_at: datetime


def _out(group: SynonymGroup) -> dict[str, Any]:
    return {
        "id": group.pk,
        "language": group.language,
        "phrases": list(group.phrases),
        "created_at": group.created_at,
        "updated_at": group.updated_at,
    }


@router.get(
    "/kb/synonyms",
    response={200: list[SynonymGroupOut], **ERRORS},
    summary="List the search synonym groups (administrators)",
    operation_id="opora_api_kb_synonyms_list",
)
def list_groups(
    request: HttpRequest, language: Literal["en", "ru"] | None = None
) -> list[dict[str, Any]]:
    user = current_user(request)
    return [_out(g) for g in synonym_groups(user, language=language)]


@router.post(
    "/kb/synonyms",
    response={201: SynonymGroupOut, **ERRORS},
    summary="Add a synonym group",
    operation_id="opora_api_kb_synonyms_create",
)
def create_group(request: HttpRequest, payload: SynonymGroupIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    group = actions.create_synonym_group(
        by=user, language=payload.language, phrases=payload.phrases
    )
    return Status(201, _out(group))


class RestoredOut(Schema):
    added: int = Field(description="how many shipped groups came back")


@router.post(
    "/kb/synonyms/restore",
    response={200: RestoredOut, **ERRORS},
    summary="Add back the shipped synonym groups that are missing",
    description="A shipped group comes back only when none of its phrases is in any "
    "group of its language: administrators' own groups and edits stay as they are.",
    operation_id="opora_api_kb_synonyms_restore",
)
def restore_groups(
    request: HttpRequest, language: Literal["en", "ru"] | None = None
) -> dict[str, int]:
    user = current_user(request)
    return {"added": actions.restore_shipped_groups(by=user, language=language)}


@router.get(
    "/kb/synonyms/{group_id}",
    response={200: SynonymGroupOut, **ERRORS},
    summary="One synonym group",
    operation_id="opora_api_kb_synonyms_get",
)
def get_group(request: HttpRequest, group_id: int) -> dict[str, Any]:
    return _out(access_synonym_group(current_user(request), group_id))


@router.put(
    "/kb/synonyms/{group_id}",
    response={200: SynonymGroupOut, **ERRORS},
    summary="Change a synonym group",
    operation_id="opora_api_kb_synonyms_update",
)
def update_group(request: HttpRequest, group_id: int, payload: SynonymGroupIn) -> dict[str, Any]:
    user = current_user(request)
    group = access_synonym_group(user, group_id)
    return _out(
        actions.update_synonym_group(
            group, by=user, language=payload.language, phrases=payload.phrases
        )
    )


@router.delete(
    "/kb/synonyms/{group_id}",
    response={204: None, **ERRORS},
    summary="Delete a synonym group",
    operation_id="opora_api_kb_synonyms_delete",
)
def delete_group(request: HttpRequest, group_id: int) -> Status[None]:
    user = current_user(request)
    actions.delete_synonym_group(access_synonym_group(user, group_id), by=user)
    return Status(204, None)
