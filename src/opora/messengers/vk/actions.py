"""Every write to the desk's VK communities: add, change, delete (administrators only),
and what the desk learns when it talks to VK (the last error, the last success).

The access token and the secret key are written here and nowhere read back out: the
audit trail records that they changed, never their values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from opora.accounts.models import Language, Team, User
from opora.core import audit, clock
from opora.core.errors import ValidationFailed
from opora.messengers import errors
from opora.messengers.conversations import split_text
from opora.messengers.models import Conversation, VkCommunity
from opora.messengers.selectors import require_channel_admin
from opora.messengers.vk import client
from opora.tickets.models import Channel

EDITABLE = (
    "name",
    "group_id",
    "token",
    "confirmation",
    "secret_key",
    "api_base",
    "api_version",
    "team",
    "language",
    "active",
)
WRITE_ONLY = ("token", "secret_key")
AUDITED = tuple(name for name in EDITABLE if name not in WRITE_ONLY)
AUDIT_AREA = "channels"
# VK's tokens: "vk1.a.…" (about 200 characters) or the older 85 hexadecimal digits.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9._\-]{20,512}$")
# The Callback API's secret key: up to 50 Latin letters and digits.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9]{1,50}$")
CONFIRMATION_PATTERN = re.compile(r"^[A-Za-z0-9]{1,64}$")
VERSION_PATTERN = re.compile(r"^5\.[0-9]{1,3}$")


def _text(value: Any, field: str, *, code: str, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > limit or any(not ch.isprintable() for ch in text):
        raise ValidationFailed(code, _("Enter a valid value."), field=field)
    return text


def _matching(value: Any, pattern: re.Pattern[str], field: str, code: str, message: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not pattern.match(text):
        raise ValidationFailed(code, message, field=field)
    return text


def clean_group_id(value: Any) -> int:
    text = str(value).strip() if isinstance(value, int | str) and value is not True else ""
    text = text.removeprefix("club").removeprefix("public")
    if not re.fullmatch(r"[1-9][0-9]{0,17}", text):
        raise ValidationFailed(
            errors.INVALID_GROUP,
            _("Enter the community's id: the digits in its address (club123456)."),
            field="group_id",
        )
    return int(text)


def clean_api_base(value: Any) -> str:
    text = value.strip().rstrip("/") if isinstance(value, str) else ""
    parts = urlsplit(text)
    if (
        len(text) > 500
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
        or any(ch.isspace() for ch in text)
    ):
        raise ValidationFailed(
            errors.INVALID_API_BASE,
            _("Enter the VK API server's address, such as https://api.vk.com."),
            field="api_base",
        )
    return text


def _team(value: Any) -> Team | None:
    if value is None or value == "":
        return None
    found = (
        Team.objects.filter(pk=value).first()
        if isinstance(value, int) and not isinstance(value, bool)
        else None
    )
    if found is None:
        raise ValidationFailed(errors.UNKNOWN_TEAM, _("There is no such team."), field="team")
    return found


def _apply(community: VkCommunity, values: Mapping[str, Any]) -> None:
    for field, value in values.items():
        if field not in EDITABLE:
            raise ValidationFailed(errors.UNKNOWN_FIELD, _("Unknown field."), field=field)
        if field in WRITE_ONLY and value in (None, "") and community.pk is not None:
            continue  # left empty on a form: the saved value stays
        if field == "name":
            community.name = _text(value, field, code=errors.INVALID_NAME, limit=120)
        elif field == "group_id":
            community.group_id = clean_group_id(value)
        elif field == "token":
            community.token = _matching(
                value,
                TOKEN_PATTERN,
                field,
                errors.INVALID_TOKEN,
                _("Paste the community's access token (Manage → API usage)."),
            )
        elif field == "secret_key":
            community.secret_key = _matching(
                value,
                SECRET_PATTERN,
                field,
                errors.INVALID_SECRET,
                _("The secret key is 1 to 50 Latin letters and digits."),
            )
        elif field == "confirmation":
            text = value.strip() if isinstance(value, str) else ""
            community.confirmation = (
                _matching(
                    text,
                    CONFIRMATION_PATTERN,
                    field,
                    errors.INVALID_CONFIRMATION,
                    _("Copy the string VK shows in the Callback API settings."),
                )
                if text
                else ""
            )
        elif field == "api_base":
            community.api_base = clean_api_base(value)
        elif field == "api_version":
            community.api_version = _matching(
                value,
                VERSION_PATTERN,
                field,
                errors.INVALID_VERSION,
                _("Enter a VK API version such as 5.199."),
            )
        elif field == "team":
            community.team = _team(value)
        elif field == "language":
            if value not in Language.values:
                raise ValidationFailed(
                    errors.INVALID_LANGUAGE, _("Choose “en” or “ru”."), field=field
                )
            community.language = value
        elif field == "active":
            if not isinstance(value, bool):
                raise ValidationFailed(errors.INVALID, _("Enter true or false."), field=field)
            community.active = value


def _unique_group(community: VkCommunity) -> None:
    taken = VkCommunity.objects.filter(group_id=community.group_id).exclude(pk=community.pk)
    if taken.exists():
        raise ValidationFailed(
            errors.GROUP_TAKEN, _("This community is connected already."), field="group_id"
        )


@transaction.atomic
def create_community(*, by: User, values: Mapping[str, Any]) -> VkCommunity:
    """A new community from `values` (keys of EDITABLE; name, group id, token and
    secret key required)."""
    require_channel_admin(by)
    required = (
        ("name", errors.INVALID_NAME, _("Enter a valid value.")),
        ("group_id", errors.INVALID_GROUP, _("Enter the community's id.")),
        ("token", errors.TOKEN_REQUIRED, _("An access token is required.")),
        ("secret_key", errors.INVALID_SECRET, _("A secret key is required.")),
    )
    for field, code, message in required:
        if values.get(field) in (None, ""):
            raise ValidationFailed(code, message, field=field)
    community = VkCommunity()
    _apply(community, values)
    _unique_group(community)
    community.created_at = community.updated_at = clock.now()
    community.save()
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="created",
        target=community,
        label=community.name,
        changes=audit.diff({}, audit.snapshot(community, AUDITED))
        | {name: ["", "(set)"] for name in WRITE_ONLY},
    )
    return community


@transaction.atomic
def update_community(
    community: VkCommunity, *, by: User, changes: Mapping[str, Any]
) -> VkCommunity:
    """Change the given fields only; an empty token or secret key keeps the saved one."""
    require_channel_admin(by)
    locked = VkCommunity.objects.select_for_update(of=("self",)).get(pk=community.pk)
    before = audit.snapshot(locked, AUDITED)
    secrets_before = {name: getattr(locked, name) for name in WRITE_ONLY}
    _apply(locked, changes)
    _unique_group(locked)
    if locked.token != secrets_before["token"] or locked.group_id != community.group_id:
        locked.vk_name = ""  # another community or key now: Test tells which
    locked.updated_at = clock.now()
    locked.save()
    diff = audit.diff(before, audit.snapshot(locked, AUDITED))
    for name, old in secrets_before.items():
        if getattr(locked, name) != old:
            diff[name] = ["(set)", "(changed)"]
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="changed",
        target=locked,
        label=locked.name,
        changes=diff,
    )
    return locked


@transaction.atomic
def delete_community(community: VkCommunity, *, by: User) -> None:
    """Stop answering through this community; its tickets and messages stay."""
    require_channel_admin(by)
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="deleted",
        target=community,
        label=community.name,
        changes=audit.diff(audit.snapshot(community, AUDITED), {}),
    )
    Conversation.objects.filter(channel=Channel.VK, account_id=community.pk).delete()
    VkCommunity.objects.filter(pk=community.pk).delete()


def note_result(community: VkCommunity, *, error: str = "", vk_name: str = "") -> None:
    """What the last call to VK said: an error (kept until a call succeeds) or success.
    Not an administrator's change: no audit row."""
    now = clock.now()
    if error:
        VkCommunity.objects.filter(pk=community.pk).update(
            last_error=error[:2000], last_error_at=now
        )
        community.last_error, community.last_error_at = error[:2000], now
        return
    fields: dict[str, Any] = {"last_error": "", "last_ok_at": now}
    if vk_name:
        fields["vk_name"] = community.vk_name = vk_name[:200]
    VkCommunity.objects.filter(pk=community.pk).update(**fields)
    community.last_error, community.last_ok_at = "", now


def callback_url(community: VkCommunity) -> str:
    """The address to enter in the community's Callback API settings."""
    path = reverse("messengers:vk_callback", args=[community.pk])
    return f"{settings.BASE_URL.rstrip('/')}{path}"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str


def check_community(community: VkCommunity, *, by: User) -> CheckResult:
    """groups.getById: do the token and server work? Shows the community's name."""
    require_channel_admin(by)
    try:
        name = client.community_name(client.Endpoint.of(community), community.group_id)
    except Exception as exc:
        error = client.describe(exc, community.token)
        note_result(community, error=error)
        return CheckResult(False, error)
    note_result(community, vk_name=name)
    return CheckResult(True, name)


def clean_peer_id(value: Any) -> int:
    text = str(value).strip() if isinstance(value, int | str) and value is not True else ""
    text = text.removeprefix("id")
    if not re.fullmatch(r"[1-9][0-9]{0,17}", text):
        raise ValidationFailed(
            errors.INVALID_PEER,
            _("Enter the person's VK id (digits, as in vk.com/id123)."),
            field="peer_id",
        )
    return int(text)


def send_test_message(
    community: VkCommunity, *, by: User, peer_id: Any, text: str = ""
) -> CheckResult:
    """Send a message to `peer_id` now, as the community (they must have written to it,
    or allowed its messages)."""
    require_channel_admin(by)
    peer = clean_peer_id(peer_id)
    body = text.strip() if isinstance(text, str) else ""
    if len(body) > client.MAX_TEXT or any(not (ch.isprintable() or ch in "\n\t") for ch in body):
        raise ValidationFailed(errors.INVALID_TEXT, _("Enter a valid value."), field="text")
    body = body or _("A test message from the help desk.")
    try:
        client.send_message(
            client.Endpoint.of(community),
            peer,
            split_text(body, client.MAX_TEXT),
            [],
            key=f"test:{community.pk}:{peer}:{clock.now().timestamp()}",
        )
    except Exception as exc:
        error = client.describe(exc, community.token)
        note_result(community, error=error)
        return CheckResult(False, error)
    note_result(community)
    return CheckResult(True, _("Sent."))
