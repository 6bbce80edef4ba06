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

from opora.accounts.actions import create_user, get_or_create_requester
from opora.accounts.models import UNREACHABLE_DOMAIN, Identity, IdentityKind, User
from opora.core.errors import ValidationFailed


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


def _clean_phone(phone: str) -> str:
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
            user = known.user
        else:
            user = _match_verified(contact) or _new_person(contact)
            _remember(user, contact.kind, contact.value, name=contact.name, verified=True)
        if contact.email and contact.email_verified:
            _remember(user, IdentityKind.EMAIL, contact.email.strip().lower(), verified=True)
        phone = _clean_phone(contact.phone)
        if phone:
            _remember(user, IdentityKind.PHONE, phone, verified=contact.phone_verified)
        return user


def _match_verified(contact: Contact) -> User | None:
    if contact.email and contact.email_verified:
        return get_or_create_requester(contact.email, name=contact.name, language=contact.language)
    phone = _clean_phone(contact.phone)
    if phone and contact.phone_verified:
        found = (
            Identity.objects.select_related("user", "user__organization")
            .filter(kind=IdentityKind.PHONE, value=phone, verified=True)
            .first()
        )
        if found is not None:
            return found.user
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
