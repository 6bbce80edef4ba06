"""Invitations to work at the desk: an administrator names the person (e-mail, role,
line, teams); a mail with a one-time link goes out through the configured mail backend
(the data folder's outbox when no SMTP server is set); the link lets the person set a
password within `INVITATION_DAYS`, and the account is created then.

Only the SHA-256 of a link's token is stored; sending again makes a new token (the old
link stops working) and a new lifetime.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opora.accounts import errors
from opora.accounts.actions import _create_user, _note, _require_admin, clean_email
from opora.accounts.models import Invitation, Role, User, hash_token
from opora.accounts.people import _teams
from opora.core import audit
from opora.core.errors import NotFound, ValidationFailed
from opora.core.text import render_text

INVITATION_DAYS = 7
FIELDS = ("email", "name", "role", "support_line", "language", "expires_at", "revoked_at")


class State(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    REVOKED = "revoked"


def state_of(invitation: Invitation) -> State:
    if invitation.accepted_at is not None:
        return State.ACCEPTED
    if invitation.revoked_at is not None:
        return State.REVOKED
    if invitation.expires_at <= timezone.now():
        return State.EXPIRED
    return State.PENDING


def _new_token(invitation: Invitation) -> str:
    raw = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token(raw)
    invitation.sent_at = timezone.now()
    invitation.expires_at = invitation.sent_at + timedelta(days=INVITATION_DAYS)
    return raw


def link_for(raw: str) -> str:
    return settings.BASE_URL + reverse("invitation-accept", args=[raw])


def _send(invitation: Invitation, raw: str, *, by: User) -> None:
    """The mail, in the invited person's language, sent once the invitation is committed
    (a rolled-back invitation sends nothing)."""
    from opora.accounts.oidc import provider

    with translation.override(invitation.language):
        context = {
            "invitation": invitation,
            "inviter": by.display_name,
            "desk": settings.BASE_URL,
            "link": link_for(raw),
            "days": INVITATION_DAYS,
            "sso": provider() is not None,
        }
        subject = render_text("accounts/invitation-subject.txt", context).strip()
        body = render_text("accounts/invitation-body.txt", context)
    address = invitation.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [address]))


@transaction.atomic
def invite(
    *,
    email: str,
    by: User,
    name: str = "",
    role: str = Role.AGENT,
    support_line: int | None = 1,
    teams: list[int] | None = None,
    language: str | None = None,
) -> Invitation:
    """Invite a person by e-mail; an address with an account (other than an agent
    added in the console who has no password yet) or with a pending invitation is
    refused (send the pending one again instead)."""
    _require_admin(by)
    address = clean_email(email)
    if role not in (Role.AGENT, Role.ADMIN):
        raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown role."), field="role")
    if support_line is not None and support_line not in (1, 2, 3):
        raise ValidationFailed(
            errors.INVALID_LINE, _("The support line must be 1, 2 or 3."), field="support_line"
        )
    if language is not None and language not in dict(settings.LANGUAGES):
        raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown language."), field="language")
    existing = User.objects.filter(email=address).first()
    if existing is not None and not _awaits_password(existing):
        raise ValidationFailed(
            errors.EMAIL_TAKEN, _("An account with this e-mail already exists."), field="email"
        )
    if any(state_of(i) == State.PENDING for i in Invitation.objects.filter(email=address)):
        raise ValidationFailed(
            errors.INVITATION_PENDING,
            _("This address has a pending invitation: send it again instead."),
            field="email",
        )
    chosen_teams = _teams(teams or [])
    invitation = Invitation(
        email=address,
        name=" ".join(name.split())[:200],
        role=role,
        support_line=support_line,
        language=language or by.language or settings.LANGUAGE_CODE,
        invited_by=by,
    )
    raw = _new_token(invitation)
    invitation.save()
    invitation.teams.set(chosen_teams)
    _note(by, "invited", invitation, audit.diff({}, audit.snapshot(invitation, FIELDS)))
    _send(invitation, raw, by=by)
    return invitation


def _awaits_password(user: User) -> bool:
    """An agent added in the console (no password yet): the invitation lets them set one."""
    return user.is_active and user.is_agent and not user.has_usable_password()


def pending_invitations() -> QuerySet[Invitation]:
    """Invitations not yet accepted nor revoked (expired ones too: they can be re-sent)."""
    return Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True).order_by(
        "-sent_at", "-id"
    )


def access_invitation(viewer: User, invitation_id: int) -> Invitation:
    _require_admin(viewer)
    found = Invitation.objects.filter(pk=invitation_id).first()
    if found is None:
        raise NotFound(_("invitation"))
    return found


def _open(invitation: Invitation) -> Invitation:
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None or locked.revoked_at is not None:
        raise ValidationFailed(
            errors.INVITATION_CLOSED, _("This invitation was already accepted or revoked.")
        )
    return locked


@transaction.atomic
def resend(invitation: Invitation, *, by: User) -> Invitation:
    """A new link (the old one stops working) with a new lifetime."""
    _require_admin(by)
    invitation = _open(invitation)
    before = audit.snapshot(invitation, FIELDS)
    raw = _new_token(invitation)
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    _note(by, "resent", invitation, audit.diff(before, audit.snapshot(invitation, FIELDS)))
    _send(invitation, raw, by=by)
    return invitation


@transaction.atomic
def revoke(invitation: Invitation, *, by: User) -> Invitation:
    _require_admin(by)
    invitation = _open(invitation)
    before = audit.snapshot(invitation, FIELDS)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    _note(by, "revoked", invitation, audit.diff(before, audit.snapshot(invitation, FIELDS)))
    return invitation


def invitation_for_token(raw: str) -> tuple[Invitation | None, State | None]:
    """The invitation a link names and its state; (None, None) for an unknown link."""
    found = Invitation.objects.filter(token_hash=hash_token(raw)).first() if raw else None
    if found is None:
        return None, None
    return found, state_of(found)


@transaction.atomic
def accept(raw: str, *, password: str) -> User:
    """Spend the link: the account is created with the invitation's role, line and teams
    and the chosen password; a used, revoked, expired or unknown link is refused."""
    found, _state = invitation_for_token(raw)
    if found is None:
        raise ValidationFailed(errors.INVITATION_CLOSED, _("This invitation link is not valid."))
    invitation = _open(found)
    if state_of(invitation) == State.EXPIRED:
        raise ValidationFailed(
            errors.INVITATION_CLOSED,
            _("This invitation has expired; ask an administrator to send it again."),
        )
    probe = User(email=invitation.email, name=invitation.name)
    try:
        validate_password(password, probe)
    except ValidationError as exc:
        raise ValidationFailed(
            errors.WEAK_PASSWORD, " ".join(exc.messages), field="password"
        ) from None
    existing = User.objects.select_for_update().filter(email=invitation.email).first()
    if existing is not None:
        if not _awaits_password(existing):
            raise ValidationFailed(
                errors.EMAIL_TAKEN, _("An account with this e-mail already exists.")
            )
        # Added in the console already: the account keeps its role, line and teams.
        existing.set_password(password)
        existing.save(update_fields=["password"])
        user = existing
    else:
        user = _create_user(
            email=invitation.email,
            by=None,
            name=invitation.name,
            password=password,
            role=invitation.role,
            support_line=invitation.support_line,
            language=invitation.language,
        )
        user.teams.set(invitation.teams.all())
    invitation.accepted_at = timezone.now()
    invitation.user = user
    invitation.save(update_fields=["accepted_at", "user"])
    _note(
        user,
        "invitation_accepted",
        invitation,
        {"accepted_at": [None, audit.plain(invitation.accepted_at)]},
    )
    return user
