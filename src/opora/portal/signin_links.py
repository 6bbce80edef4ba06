"""One-time sign-in links: signed, expiring, and spent by the sign-in they allow.

The signed value holds the user id and a fingerprint of the user's last sign-in time
and password hash; signing in changes the last sign-in time, so a link works once
(the same idea as Django's password-reset tokens, without a table).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation

from opora.accounts.models import User
from opora.core.text import render_text

SALT = "opora.portal.signin-link"


def _fingerprint(user: User) -> str:
    seen = user.last_login.isoformat() if user.last_login else "never"
    # Blocking the person, like deactivating or a new password, ends every link sent.
    raw = f"{user.pk}|{seen}|{user.password}|{user.is_active}|{user.blocked}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def make_token(user: User) -> str:
    return signing.TimestampSigner(salt=SALT).sign(f"{user.pk}.{_fingerprint(user)}")


def user_for_token(token: str) -> User | None:
    """The user a still-valid, unused link belongs to; None when expired, used or forged."""
    max_age = timedelta(hours=settings.SIGNIN_LINK_HOURS)
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=max_age)
    except signing.BadSignature:  # also SignatureExpired
        return None
    user_id, _, fingerprint = value.partition(".")
    if not user_id.isdigit():
        return None
    user = User.objects.filter(pk=int(user_id), is_active=True, blocked=False).first()
    if user is None or _fingerprint(user) != fingerprint:
        return None
    return user


def send_signin_link(user: User) -> None:
    """E-mail the link, in the user's own language, through the configured backend."""
    link = settings.BASE_URL + reverse("signin-link-use", args=[make_token(user)])
    with translation.override(user.language):
        context = {"user": user, "link": link, "hours": settings.SIGNIN_LINK_HOURS}
        subject = render_text("emails/signin-link-subject.txt", context).strip()
        body = render_text("emails/signin-link-body.txt", context)
    send_mail(subject, body, None, [user.email])
