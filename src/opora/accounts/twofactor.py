"""Two-factor sign-in: authenticator apps (TOTP), one-time recovery codes, and which
roles must have a second factor (`TwoFactorPolicy`).

Security keys (WebAuthn) live in `securitykeys.py`; both count as a second factor.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Any

import pyotp
import segno
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts import errors
from opora.accounts.models import (
    AccountEvent,
    AccountEventKind,
    RecoveryCode,
    Role,
    SecurityKey,
    TotpDevice,
    TwoFactorPolicy,
    User,
)
from opora.core import audit
from opora.core.errors import Forbidden, OporaError, ValidationFailed

log = logging.getLogger("opora.accounts.security")

ISSUER = "Opora"
STEP_SECONDS = 30
# Codes from the step before and after the current one pass: clocks drift.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class SecondFactorRequired(OporaError):
    """The password was right, but this account also needs its second factor."""

    status = 401


def record_event(user: User, kind: str, *, by: User | None, **detail: Any) -> None:
    """One line of an account's security trail, in the database and in the log."""
    AccountEvent.objects.create(user=user, kind=kind, by=by, detail=detail)
    log.info("account %s: %s by %s %s", user.pk, kind, by.pk if by else "-", detail or "")


# --- policy ---


def two_factor_policy() -> TwoFactorPolicy:
    """The desk's policy (a default one, not stored, until an admin changes it)."""
    return TwoFactorPolicy.objects.order_by("pk").first() or TwoFactorPolicy()


POLICY_AUDITED = ("agents_required", "admins_required")


def set_two_factor_policy(
    *, agents_required: bool, admins_required: bool, by: User
) -> TwoFactorPolicy:
    if not by.is_admin:
        raise Forbidden(errors.ADMINS_ONLY, _("Only administrators may do this."))
    with transaction.atomic():
        policy = TwoFactorPolicy.objects.select_for_update().order_by("pk").first()
        policy = policy or TwoFactorPolicy()
        before = audit.snapshot(policy, POLICY_AUDITED)
        policy.agents_required = agents_required
        policy.admins_required = admins_required
        policy.updated_at = timezone.now()
        policy.updated_by = by
        policy.save()
        audit.record_change(
            actor=by,
            area="security",
            action="changed",
            target=policy,
            target_type="sign_in_policy",
            label="sign-in policy",
            changes=audit.diff(before, audit.snapshot(policy, POLICY_AUDITED)),
        )
        record_event(
            by,
            AccountEventKind.POLICY_CHANGED,
            by=by,
            agents_required=agents_required,
            admins_required=admins_required,
        )
    return policy


def second_factor_required_for(user: User) -> bool:
    policy = two_factor_policy()
    if user.role == Role.ADMIN:
        return policy.admins_required
    if user.role == Role.AGENT:
        return policy.agents_required
    return False


def has_totp(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def has_second_factor(user: User) -> bool:
    return has_totp(user) or SecurityKey.objects.filter(user=user).exists()


def must_enrol(user: User) -> bool:
    """The user's role requires a second factor and they have none yet, and this
    session was not signed in through a provider that asked its own (single sign-on
    with MFA: `User.second_factor_at_provider`, set per request by the sessions
    middleware)."""
    if user.second_factor_at_provider:
        return False
    return second_factor_required_for(user) and not has_second_factor(user)


# --- TOTP ---


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, interval=STEP_SECONDS)


def enrolment_for(device: TotpDevice, user: User) -> Enrolment:
    uri = _totp(device.secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#111", light="#fff")
    return Enrolment(secret=device.secret, uri=uri, qr_svg=svg)


def start_totp_enrolment(user: User) -> Enrolment:
    """A new secret to put in an authenticator app; active once `confirm_totp` saw a code.

    Keeps the secret of an enrolment already started, so reloading the page does not
    invalidate what the user scanned a moment ago.
    """
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.confirmed_at is not None:
            raise ValidationFailed(
                errors.ALREADY_ENROLLED, _("An authenticator app is already set up.")
            )
        if device is None:
            device = TotpDevice.objects.create(user=user, secret=pyotp.random_base32(32))
    return enrolment_for(device, user)


def pending_enrolment(user: User) -> Enrolment | None:
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    return enrolment_for(device, user) if device is not None else None


def _matching_step(device: TotpDevice, code: str) -> int | None:
    """The step whose code this is, within the allowed drift and after the last used one."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = _totp(device.secret)
    now_step = int(timezone.now().timestamp()) // STEP_SECONDS
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if device.last_used_step is not None and step <= device.last_used_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def confirm_totp(user: User, code: str) -> list[str]:
    """Turn the started enrolment on with a current code; answers the new recovery codes."""
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None or device.confirmed_at is not None:
            raise ValidationFailed(
                errors.NOT_ENROLLING, _("Start setting up an authenticator app first.")
            )
        step = _matching_step(device, code)
        if step is None:
            raise ValidationFailed(
                errors.BAD_SECOND_FACTOR,
                _("The code is not right. Enter the current code from the app."),
                field="code",
            )
        device.confirmed_at = timezone.now()
        device.last_used_step = step
        device.save(update_fields=["confirmed_at", "last_used_step"])
        record_event(user, AccountEventKind.TOTP_ENROLLED, by=user)
        return _issue_recovery_codes(user)


def verify_totp(user: User, code: str) -> bool:
    """Spend a current code of the user's app; False if wrong, stale or already used."""
    with transaction.atomic():
        device = (
            TotpDevice.objects.select_for_update()
            .filter(user=user, confirmed_at__isnull=False)
            .first()
        )
        if device is None:
            return False
        step = _matching_step(device, code)
        if step is None:
            return False
        device.last_used_step = step
        device.save(update_fields=["last_used_step"])
    return True


def disable_totp(user: User, *, password: str = "", code: str = "") -> None:
    """Remove the authenticator app (and the recovery codes that go with it); proven by
    the account's password or a current code."""
    proven = bool(password) and user.check_password(password)
    if not proven and code:
        proven = verify_totp(user, code)
    if not proven:
        raise ValidationFailed(
            errors.BAD_CREDENTIALS,
            _("Enter your password or a current code from the app to turn this off."),
        )
    with transaction.atomic():
        deleted, _rows = TotpDevice.objects.filter(user=user).delete()
        if not deleted:
            raise ValidationFailed(errors.NO_SECOND_FACTOR, _("No authenticator app is set up."))
        RecoveryCode.objects.filter(user=user).delete()
        record_event(user, AccountEventKind.TOTP_DISABLED, by=user)


# --- recovery codes ---


def _normalize_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_normalize_recovery(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _issue_recovery_codes(user: User) -> list[str]:
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=_hash_recovery(c)) for c in codes]
    )
    record_event(user, AccountEventKind.RECOVERY_CODES_ISSUED, by=user)
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    """New codes replace all earlier ones (used or not); shown to the user once."""
    if not has_second_factor(user):
        raise ValidationFailed(
            errors.NO_SECOND_FACTOR, _("Set up a second factor before recovery codes.")
        )
    with transaction.atomic():
        return _issue_recovery_codes(user)


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one unused recovery code; False if it is unknown or already used."""
    if len(_normalize_recovery(code)) != 10:
        return False
    with transaction.atomic():
        # A conditional UPDATE: of two requests with the same code, one wins.
        spent = RecoveryCode.objects.filter(
            user=user, code_hash=_hash_recovery(code), used_at__isnull=True
        ).update(used_at=timezone.now())
        if spent:
            record_event(
                user, AccountEventKind.RECOVERY_CODE_USED, by=user, left=recovery_codes_left(user)
            )
    return bool(spent)


def verify_code(user: User, code: str) -> str | None:
    """Check a code typed at sign-in: "totp", "recovery", or None when it is not right."""
    code = code.strip()
    if not code:
        return None
    if verify_totp(user, code):
        return "totp"
    if use_recovery_code(user, code):
        return "recovery"
    return None
