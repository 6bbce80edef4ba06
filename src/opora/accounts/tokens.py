"""Personal API tokens: what each may do (its scopes), how long it lives, and the lookup
every API request and staff WebSocket makes with it.

Scopes nest, each including the ones before it:
- `read`: read-only, GET and HEAD operations;
- `tickets`: read, plus the work on tickets an integration posting replies needs
  (tickets, messages, attachments, time entries, ratings and feedback, chats);
- `admin`: everything the user's role allows.

A scope only ever narrows: the operation still checks the user's role exactly as for a
signed-in session, so an agent's `admin` token does what the agent may, no more. Which
scope an API operation needs is decided in one place, `api/common.py`
(`OporaAPI`, from the method and the router, with per-operation overrides); the check
itself is `authenticate`'s, before anything is written, `last_used_at` included.

Lifetimes are chosen when a token is made: up to `OPORA_API_TOKEN_MAX_DAYS`, or never
ending for the users `OPORA_API_TOKEN_NEVER_EXPIRES` names (admins by default).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from typing import Final

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from opora.accounts import errors
from opora.accounts.models import AccountEventKind, ApiToken, Organization, User, hash_token
from opora.accounts.twofactor import record_event
from opora.core.errors import Forbidden, NotFound, OporaError, ValidationFailed
from opora.core.rows import columns, from_row, utc

TOKEN_PREFIX = "opora_"  # noqa: S105 - a public prefix that makes leaked tokens easy to spot

READ: Final = "read"
TICKETS: Final = "tickets"
ADMIN: Final = "admin"
# Narrowest first: a scope includes every one before it.
SCOPES: Final = (READ, TICKETS, ADMIN)
SCOPE_HELP = {
    READ: _lazy("Read only: lists, tickets, reports. Nothing can be changed."),
    TICKETS: _lazy("Read, and work on tickets: replies, notes, files, time, ratings, chats."),
    ADMIN: _lazy("Everything your role allows, settings included."),
}
# The lifetimes the profile page offers (days); the API takes any number up to the maximum.
LIFETIMES: Final = (7, 30, 90, 365)


class TokenExpired(OporaError):
    """The token was right but its time is over: a new one is needed."""

    status = 401


class TokenOutOfScope(Forbidden):
    """The token is valid, but was made for less than this request does."""


def includes(granted: Iterable[str], needed: str) -> bool:
    """Whether scopes `granted` cover an operation that needs `needed`."""
    rank = max((SCOPES.index(s) for s in granted if s in SCOPES), default=-1)
    return rank >= SCOPES.index(needed)


def scopes_of(token: ApiToken) -> list[str]:
    return [s for s in token.scopes.split() if s in SCOPES]


def clean_scopes(scopes: Iterable[str]) -> list[str]:
    """Known scopes, each once, narrowest first; an empty or unknown choice is refused."""
    chosen = list(scopes)
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown or not chosen:
        raise ValidationFailed(
            errors.INVALID_CHOICE, _("Choose a scope: read, tickets or admin."), field="scopes"
        )
    return [s for s in SCOPES if s in chosen]


# --- lifetimes ---


def may_never_expire(user: User) -> bool:
    """Whether this user may make a token without an end (the desk's setting)."""
    who = settings.API_TOKEN_NEVER_EXPIRES
    return who == "everyone" or (who == "admins" and user.is_admin)


def lifetime_choices(user: User) -> list[int | None]:
    """What the profile page offers, in days; None is "never"."""
    longest = settings.API_TOKEN_MAX_DAYS
    days: list[int | None] = [d for d in sorted({*LIFETIMES, longest}) if d <= longest]
    return [*days, None] if may_never_expire(user) else days


def default_lifetime(user: User) -> int | None:
    """The lifetime of a token whose creator chose none (`OPORA_API_TOKEN_TTL_DAYS`)."""
    ttl = settings.API_TOKEN_TTL_DAYS
    if ttl == 0:
        return None if may_never_expire(user) else settings.API_TOKEN_MAX_DAYS
    return min(ttl, settings.API_TOKEN_MAX_DAYS)


def expiry_for(user: User, days: int | None) -> datetime | None:
    """When a token made now for `days` ends; a lifetime the desk does not allow is refused."""
    if days is None:
        if not may_never_expire(user):
            raise ValidationFailed(
                errors.TOKEN_LIFETIME,
                _("Tokens that never expire are not allowed for you: choose a number of days."),
                field="expires_in_days",
            )
        return None
    longest = settings.API_TOKEN_MAX_DAYS
    if not 1 <= days <= longest:
        raise ValidationFailed(
            errors.TOKEN_LIFETIME,
            _("A token lives from 1 to %(days)s days.") % {"days": longest},
            field="expires_in_days",
        )
    return timezone.now() + timedelta(days=days)


# --- writes ---

_DEFAULT: Final = -1  # "the creator chose no lifetime"


@transaction.atomic
def issue_token(
    user: User,
    *,
    name: str = "api",
    scopes: Iterable[str] = (ADMIN,),
    expires_in_days: int | None = _DEFAULT,
    by: User | None = None,
) -> tuple[ApiToken, str]:
    """Make a token; the raw value is returned once and only its hash is stored."""
    chosen = clean_scopes(scopes)
    days = default_lifetime(user) if expires_in_days == _DEFAULT else expires_in_days
    expires_at = expiry_for(user, days)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=" ".join(name.split())[:100] or "api",
        key_hash=hash_token(raw),
        prefix=raw[: len(TOKEN_PREFIX) + 4],
        scopes=" ".join(chosen),
        expires_at=expires_at,
    )
    record_event(user, AccountEventKind.TOKEN_CREATED, by=by or user, token=token.pk, scopes=chosen)
    return token, raw


@transaction.atomic
def revoke_token(token: ApiToken, *, by: User | None) -> None:
    """The token stops working at once; revoking a revoked one changes nothing."""
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(token.user, AccountEventKind.TOKEN_REVOKED, by=by, token=token.pk)


# --- reads ---


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """Every token of the user, revoked and expired ones too, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def access_own_token(user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens; anyone else's is NotFound, like a missing one."""
    found = tokens_of(user).filter(pk=token_id).first()
    if found is None:
        raise NotFound(_("token"))
    return found


def access_tokens_of(viewer: User, user_id: int) -> User:
    """The person whose tokens an administrator manages (someone leaving, a lost laptop)."""
    if not viewer.is_admin:
        raise Forbidden(errors.ADMINS_ONLY, _("Only administrators may do this."))
    found = User.objects.filter(pk=user_id).first()
    if found is None:
        raise NotFound(_("user"))
    return found


def is_expired(token: ApiToken) -> bool:
    return token.expires_at is not None and token.expires_at <= timezone.now()


# --- the lookup of every request ---


@cache
def _lookup_sql() -> str:
    """SELECT of a token with its user and the user's organization, built once.

    Every API request runs it: as a fixed statement it costs a tenth of the same
    lookup composed by the ORM each time.
    """
    quote = connection.ops.quote_name
    # Identifiers come from the models' metadata, quoted; the hash is a parameter.
    return (
        "SELECT t.id, t.expires_at, t.last_used_at, t.scopes, "  # noqa: S608
        + columns(User, "u")
        + ", "
        + columns(Organization, "o")
        + f" FROM {quote(ApiToken._meta.db_table)} t"
        + f" JOIN {quote(User._meta.db_table)} u ON u.id = t.user_id"
        + f" LEFT JOIN {quote(Organization._meta.db_table)} o ON o.id = u.organization_id"
        + " WHERE t.key_hash = %s AND t.revoked_at IS NULL"
    )


def authenticate(raw: str, *, needs: str) -> User | None:
    """The active user of a raw token, for an operation that needs scope `needs`.

    None for an unknown or revoked token or an inactive user; `TokenExpired` (401) for
    an expired one and `TokenOutOfScope` (403) for one made for less. Refusals write
    nothing; a token that passes has its last use noted, at most once a minute.
    """
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_lookup_sql(), [hash_token(raw)])
        row = cursor.fetchone()
    if row is None:
        return None
    token_id, expires_at, last_used_at, scopes = row[:4]
    width = len(User._meta.concrete_fields)
    user_values, org_values = row[4 : 4 + width], row[4 + width :]
    # The database's own converters (SQLite stores datetimes and booleans as text/int).
    user = from_row(User, user_values)
    if not user.is_active:
        return None
    if org_values[0] is not None:
        user.organization = from_row(Organization, org_values)
    now = timezone.now()
    expires_at, last_used_at = utc(expires_at), utc(last_used_at)
    if expires_at is not None and expires_at <= now:
        raise TokenExpired(errors.TOKEN_EXPIRED, _("This token has expired: make a new one."))
    if not includes(str(scopes).split(), needs):
        raise TokenOutOfScope(
            errors.TOKEN_SCOPE,
            _("This token's scope does not allow this request: it needs the “%(scope)s” scope.")
            % {"scope": needs},
        )
    # Write the last-use time at most once a minute: reads should not cost a write each.
    if last_used_at is None or now - last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return user
