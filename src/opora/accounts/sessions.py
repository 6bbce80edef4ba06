"""Signed-in browsers: each sign-in is recorded (`record_sign_in`), kept fresh by
`SessionActivityMiddleware`, listed in the profile and revocable from there or the API.

The session itself stays Django's (the database backend). A revoked session's row here
is deleted; the middleware notices the missing row on that browser's next request and
signs it out, which deletes Django's session too. Only a hash of the session key is
kept, so this table signs in nobody.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import logout
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts.models import AccountEventKind, SignInMethod, SignInSession, User
from opora.accounts.twofactor import record_event
from opora.core import ratelimit
from opora.core.errors import NotFound

# The session's own note of which SignInSession row it is.
SESSION_ROW = "_opora_signin_session"
# last_seen_at is written at most this often per session.
SEEN_EVERY = timedelta(minutes=1)


def _hash(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


def record_sign_in(
    request: HttpRequest,
    user: User,
    *,
    method: str = SignInMethod.PASSWORD,
    provider_mfa: bool = False,
) -> SignInSession:
    """Call right after `login()`: remembers this browser as one of the user's sessions,
    and how it signed in (`provider_mfa`: single sign-on whose provider asked a second
    factor, which stands in for Opora's own for this session)."""
    session = request.session
    if session.session_key is None:
        session.save()
    key = session.session_key or ""
    now = timezone.now()
    row, _created = SignInSession.objects.update_or_create(
        session_key_hash=_hash(key),
        defaults={
            "user": user,
            "user_agent": request.headers.get("User-Agent", "")[:400],
            "address": ratelimit.client_address(request.META)[:64],
            "method": method,
            "provider_mfa": provider_mfa,
            "created_at": now,
            "last_seen_at": now,
        },
    )
    session[SESSION_ROW] = row.pk
    user.second_factor_at_provider = provider_mfa
    return row


def forget_sign_in(request: HttpRequest) -> None:
    """Call before `logout()`: the session ends, so does its row."""
    row_id = request.session.get(SESSION_ROW)
    if row_id is not None:
        SignInSession.objects.filter(pk=row_id).delete()


def current_session_id(request: HttpRequest) -> int | None:
    value = request.session.get(SESSION_ROW)
    return value if isinstance(value, int) else None


def sessions_of(user: User) -> QuerySet[SignInSession]:
    return SignInSession.objects.filter(user=user).order_by("-last_seen_at", "-id")


def access_own_session(user: User, session_id: int) -> SignInSession:
    """One of the user's own sessions; anyone else's is NotFound, like a missing one."""
    found = sessions_of(user).filter(pk=session_id).first()
    if found is None:
        raise NotFound(_("session"))
    return found


def revoke_session(session: SignInSession, *, by: User) -> None:
    """Sign that browser out: its next request finds no row and is signed out."""
    SignInSession.objects.filter(pk=session.pk).delete()
    record_event(
        session.user,
        AccountEventKind.SESSION_REVOKED,
        by=by,
        session=session.pk,
        address=session.address,
    )


def revoke_other_sessions(user: User, *, keep: int | None) -> int:
    others = list(sessions_of(user).exclude(pk=keep or 0))
    for session in others:
        revoke_session(session, by=user)
    return len(others)


_BROWSERS = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Yandex Browser", re.compile(r"YaBrowser/")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("Linux", re.compile(r"Linux|X11")),
)


def describe_user_agent(user_agent: str) -> str:
    """ "Firefox on Windows" from a User-Agent header; a script's own name otherwise."""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if browser or system:
        return browser or system
    return user_agent.split(" ", 1)[0][:60] or _("Unknown browser")


class SessionActivityMiddleware:
    """Signs out a revoked session and notes when each session was last seen (at most
    once a minute). Runs right after authentication."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._acall(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            touch(request)
        return self.get_response(request)  # type: ignore[no-any-return]

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            await sync_to_async(touch)(request)
        response: HttpResponse = await self.get_response(request)
        return response


def touch(request: HttpRequest) -> None:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return
    row_id = current_session_id(request)
    if row_id is None:
        # Signed in some other way than the sign-in pages (or before they recorded
        # sessions): not listed, and nothing is written for it here.
        return
    now = timezone.now()
    found = (
        SignInSession.objects.filter(pk=row_id, user=user)
        .values_list("last_seen_at", "provider_mfa")
        .first()
    )
    if found is None:
        # Revoked elsewhere: this browser is signed out from this request on.
        logout(request)
        return
    seen, provider_mfa = found
    # For the rest of this request: the provider's second factor counts as Opora's
    # (`twofactor.must_enrol`), for this session only.
    user.second_factor_at_provider = provider_mfa
    if now - seen >= SEEN_EVERY:
        SignInSession.objects.filter(pk=row_id).update(
            last_seen_at=now, address=ratelimit.client_address(request.META)[:64]
        )
