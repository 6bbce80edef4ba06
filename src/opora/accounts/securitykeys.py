"""Security keys (WebAuthn) as a second factor: register, sign in with, remove.

Each ceremony has two halves: options with a fresh challenge (kept in the caller's
session, for one use), then the browser's answer checked against that challenge. The
relying party is the host the page was served from (ALLOWED_HOSTS vouches for it); the
origin may be that host's or OPORA_BASE_URL's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import webauthn
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from opora.accounts import errors
from opora.accounts.models import AccountEventKind, SecurityKey, User
from opora.accounts.twofactor import ISSUER, record_event
from opora.core.errors import NotFound, ValidationFailed

MAX_KEYS = 10


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origins: list[str]


def relying_party(request: HttpRequest) -> RelyingParty:
    host = request.get_host()  # validated against ALLOWED_HOSTS
    hostname = urlsplit(f"//{host}").hostname or host
    origins = [f"{request.scheme}://{host}"]
    base = urlsplit(settings.BASE_URL)
    if base.hostname == hostname and base.scheme and base.netloc:
        origins.append(f"{base.scheme}://{base.netloc}")
    return RelyingParty(id=hostname, origins=origins)


def keys_of(user: User) -> list[SecurityKey]:
    return list(SecurityKey.objects.filter(user=user).order_by("created_at", "id"))


def access_own_key(user: User, key_id: int) -> SecurityKey:
    found = SecurityKey.objects.filter(user=user, pk=key_id).first()
    if found is None:
        raise NotFound(_("security key"))
    return found


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(key.credential_id))
        for key in keys_of(user)
    ]


def registration_options(user: User, rp: RelyingParty) -> tuple[dict[str, Any], str]:
    """Options for `navigator.credentials.create`, and the challenge to keep."""
    options = webauthn.generate_registration_options(
        rp_id=rp.id,
        rp_name=ISSUER,
        user_name=user.email,
        user_id=f"opora-user-{user.pk}".encode(),
        user_display_name=user.display_name,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return json.loads(webauthn.options_to_json(options)), bytes_to_base64url(options.challenge)


def _bad_key() -> ValidationFailed:
    return ValidationFailed(
        errors.BAD_SECURITY_KEY, _("The security key's answer could not be verified.")
    )


def add_security_key(
    user: User, *, name: str, credential: Any, challenge: str, rp: RelyingParty
) -> SecurityKey:
    name = name.strip()
    if not name:
        raise ValidationFailed(errors.REQUIRED, _("Name the key."), field="name")
    if len(name) > 100:
        raise ValidationFailed(errors.REQUIRED, _("The name is too long."), field="name")
    if not challenge:
        raise _bad_key()
    if SecurityKey.objects.filter(user=user).count() >= MAX_KEYS:
        raise ValidationFailed(errors.BAD_SECURITY_KEY, _("Ten keys at most; remove one first."))
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=webauthn.base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origins,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise _bad_key() from None
    credential_id = bytes_to_base64url(verified.credential_id)
    with transaction.atomic():
        if SecurityKey.objects.filter(credential_id=credential_id).exists():
            raise ValidationFailed(errors.BAD_SECURITY_KEY, _("This key is already registered."))
        key = SecurityKey.objects.create(
            user=user,
            name=name,
            credential_id=credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
        )
        record_event(user, AccountEventKind.KEY_ADDED, by=user, key=key.pk, name=name)
    return key


def remove_security_key(key: SecurityKey, *, by: User) -> None:
    with transaction.atomic():
        SecurityKey.objects.filter(pk=key.pk).delete()
        record_event(key.user, AccountEventKind.KEY_REMOVED, by=by, key=key.pk, name=key.name)


def authentication_options(user: User, rp: RelyingParty) -> tuple[dict[str, Any], str]:
    """Options for `navigator.credentials.get` over the user's keys, and the challenge."""
    options = webauthn.generate_authentication_options(
        rp_id=rp.id,
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.DISCOURAGED,
    )
    return json.loads(webauthn.options_to_json(options)), bytes_to_base64url(options.challenge)


def verify_security_key(user: User, *, credential: Any, challenge: str, rp: RelyingParty) -> bool:
    """Whether the browser's assertion comes from one of the user's keys, for this
    challenge; a key whose signature counter went backwards (a clone) is refused."""
    if not challenge or not isinstance(credential, dict):
        return False
    raw_id = credential.get("rawId") or credential.get("id")
    if not isinstance(raw_id, str):
        return False
    with transaction.atomic():
        key = (
            SecurityKey.objects.select_for_update()
            .filter(user=user, credential_id=raw_id.rstrip("="))
            .first()
        )
        if key is None:
            return False
        try:
            verified = webauthn.verify_authentication_response(
                credential=credential,
                expected_challenge=webauthn.base64url_to_bytes(challenge),
                expected_rp_id=rp.id,
                expected_origin=rp.origins,
                credential_public_key=bytes(key.public_key),
                credential_current_sign_count=key.sign_count,
            )
        except (WebAuthnException, ValueError, TypeError, KeyError):
            return False
        key.sign_count = verified.new_sign_count
        key.last_used_at = timezone.now()
        key.save(update_fields=["sign_count", "last_used_at"])
    return True
