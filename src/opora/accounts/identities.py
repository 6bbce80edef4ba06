"""One person, many channels: finding the requester behind a chat visitor, a messenger
account or a phone number, and recording the ways a person reaches the desk.

A person known only by a channel gets an account whose address is in a reserved domain
(`UNREACHABLE_DOMAIN`), so nothing is ever mailed there. When the same person later
gives an address or a phone number that is verified (a confirmed e-mail, a number the
messenger vouches for) and that already belongs to someone, the channel identity joins
that person instead of making another one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts import errors
from opora.accounts.actions import clean_email, create_user, get_or_create_requester, kept_person
from opora.accounts.models import UNREACHABLE_DOMAIN, Identity, IdentityKind, Role, User
from opora.core.errors import Forbidden, ValidationFailed


@dataclass(frozen=True)
class Contact:
    """What a channel knows about the person writing."""

    kind: str  # an IdentityKind value
    value: str  # the channel's id for the person (visitor id, messenger user id …)
    name: str = ""
    email: str = ""
    email_verified: bool = False
    phone: str = ""
    phone_verified: bool = False
    language: str | None = None


def _placeholder_address(kind: str) -> str:
    return f"{kind}-{secrets.token_hex(8)}@{UNREACHABLE_DOMAIN}"


def clean_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isascii() and ch.isdigit())
    return f"+{digits}" if digits else ""


def requester_for(contact: Contact) -> User:
    """The person behind `contact`: found by the channel identity, else by a verified
    e-mail or phone, else created. The identities learnt on the way are recorded."""
    with transaction.atomic():
        known = (
            Identity.objects.select_related("user", "user__organization")
            .filter(kind=contact.kind, value=contact.value)
            .first()
        )
        if known is not None:
            Identity.objects.filter(pk=known.pk).update(last_seen_at=timezone.now())
            # A merge moves identities along; one recorded for the duplicate meanwhile
            # still finds the customer it was merged into, never the closed account.
            user = kept_person(known.user)
        else:
            user = _match_verified(contact) or _new_person(contact)
            _remember(user, contact.kind, contact.value, name=contact.name, verified=True)
        if contact.email and contact.email_verified:
            _remember(user, IdentityKind.EMAIL, contact.email.strip().lower(), verified=True)
        phone = clean_phone(contact.phone)
        if phone:
            _remember(user, IdentityKind.PHONE, phone, verified=contact.phone_verified)
        return user


def _match_verified(contact: Contact) -> User | None:
    if contact.email and contact.email_verified:
        return get_or_create_requester(contact.email, name=contact.name, language=contact.language)
    phone = clean_phone(contact.phone)
    if phone and contact.phone_verified:
        found = (
            Identity.objects.select_related("user", "user__organization")
            .filter(kind=IdentityKind.PHONE, value=phone, verified=True)
            .first()
        )
        if found is not None:
            return kept_person(found.user)
    return None


def _new_person(contact: Contact) -> User:
    address = _placeholder_address(contact.kind)
    if contact.email:
        # An address nobody confirmed becomes the new person's own only while no one
        # else holds it: it must not attach a stranger to someone's account.
        wanted = contact.email.strip().lower()
        if not User.objects.filter(email=wanted).exists():
            address = wanted
    try:
        user = create_user(email=address, by=None, name=contact.name, language=contact.language)
    except ValidationFailed:
        # Not a valid address, or taken a moment ago: a channel-only account it is.
        user = create_user(
            email=_placeholder_address(contact.kind),
            by=None,
            name=contact.name,
            language=contact.language,
        )
    if contact.phone:
        User.objects.filter(pk=user.pk).update(phone=contact.phone[:40])
        user.phone = contact.phone[:40]
    return user


def _remember(user: User, kind: str, value: str, *, name: str = "", verified: bool) -> None:
    """Record that `user` is reachable as (kind, value); an identity someone else holds
    stays theirs."""
    if not value:
        return
    try:
        with transaction.atomic():
            Identity.objects.get_or_create(
                kind=kind,
                value=value[:255],
                defaults={
                    "user": user,
                    "name": name[:200],
                    "verified": verified,
                    "last_seen_at": timezone.now(),
                },
            )
    except IntegrityError:
        pass  # created by another process a moment ago


def identities_of(user: User) -> list[Identity]:
    """The ways `user` reaches the desk, the account's own address first."""
    found = list(Identity.objects.filter(user=user).order_by("kind", "value"))
    if user.reachable_by_email and not any(
        i.kind == IdentityKind.EMAIL and i.value == user.email for i in found
    ):
        found.insert(0, Identity(user=user, kind=IdentityKind.EMAIL, value=user.email))
    return found


# --- Identities recorded by hand, on the customer's card ---

# What an agent may record: the channels a person is known by outside a session of
# ours (a chat visitor's id is the widget's to make).
MANUAL_KINDS = (
    IdentityKind.PHONE,
    IdentityKind.EMAIL,
    IdentityKind.TELEGRAM,
    IdentityKind.WHATSAPP,
    IdentityKind.VK,
)


def _clean_value(kind: str, value: str) -> str:
    text = value.strip()
    if kind == IdentityKind.EMAIL:
        return clean_email(text, field="value")
    if kind in (IdentityKind.PHONE, IdentityKind.WHATSAPP):
        phone = clean_phone(text)
        allowed = all(ch in "+-() .0123456789" for ch in text)
        if not allowed or not 6 <= len(phone) - 1 <= 15:
            raise ValidationFailed(
                errors.INVALID_IDENTITY, _("Enter a phone number in digits."), field="value"
            )
        return phone
    # A messenger name: "@Name" and "name" are one account.
    name = text.lstrip("@").lower()
    if not name or len(name) > 255 or any(ch.isspace() for ch in name):
        raise ValidationFailed(
            errors.INVALID_IDENTITY, _("Enter the account name without spaces."), field="value"
        )
    return name


def _require_customer(user: User) -> None:
    if user.role != Role.CUSTOMER or user.merged_into_id is not None or not user.is_active:
        raise ValidationFailed(
            errors.NOT_CUSTOMER,
            _("Only an active customer's ways of reaching the desk can be changed."),
        )


@transaction.atomic
def add_identity(user: User, *, kind: str, value: str, by: User) -> Identity:
    """Record by hand that `user` is reachable as (kind, value); unverified, since only
    a channel can vouch for it. One identity belongs to one person."""
    if not by.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may do this."))
    _require_customer(user)
    if kind not in MANUAL_KINDS:
        raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown kind."), field="kind")
    cleaned = _clean_value(kind, value)
    holder = (
        Identity.objects.filter(kind=kind, value=cleaned).values_list("user_id", flat=True).first()
    )
    if kind == IdentityKind.EMAIL and holder is None:
        holder = User.objects.filter(email=cleaned).values_list("pk", flat=True).first()
    if holder is not None:
        message = (
            _("This customer already has it.")
            if holder == user.pk
            else _("It belongs to another person: merge the two customers instead.")
        )
        raise ValidationFailed(errors.IDENTITY_TAKEN, message, field="value")
    try:
        with transaction.atomic():
            return Identity.objects.create(user=user, kind=kind, value=cleaned, verified=False)
    except IntegrityError:
        raise ValidationFailed(
            errors.IDENTITY_TAKEN,
            _("It belongs to another person: merge the two customers instead."),
            field="value",
        ) from None


@transaction.atomic
def remove_identity(identity: Identity, *, by: User) -> None:
    """Forget one way a person reaches the desk; the account's own address stays."""
    if not by.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may do this."))
    user = identity.user
    _require_customer(user)
    if identity.kind == IdentityKind.EMAIL and identity.value == user.email:
        raise ValidationFailed(
            errors.OWN_ADDRESS, _("The account's own address cannot be removed.")
        )
    Identity.objects.filter(pk=identity.pk).delete()
