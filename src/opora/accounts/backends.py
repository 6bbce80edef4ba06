"""Sign-in refusals that come before the password check."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from opora.accounts.models import User, normalize_email


class RefuseBlocked(ModelBackend):
    """Listed before Django's ModelBackend: a blocked customer's sign-in stops here
    (PermissionDenied ends `authenticate` for every backend), whatever the password;
    anyone else is left to the next backend. Sessions it is named in (the first backend
    is what `force_login` records) load their user as ModelBackend does."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **credentials: Any,
    ) -> None:
        username = username or credentials.get(User.USERNAME_FIELD)
        if username and User.objects.filter(email=normalize_email(username), blocked=True).exists():
            raise PermissionDenied
