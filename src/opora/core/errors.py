"""Errors that actions raise and every entry point turns into a clear answer.

An error carries a stable machine code (see each domain's `errors.py`), the field it
concerns (if any) and a human message; the API answers 4xx with all three.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

NOT_FOUND = "not_found"
ADMINS_ONLY = "admins_only"


class OporaError(Exception):
    """Base for errors a user can cause; never a 500."""

    status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class ValidationFailed(OporaError):
    """The input is well-formed but not acceptable (unknown status, bad transition...)."""

    status = 422


class Forbidden(OporaError):
    """The user may see the object but not do this to it."""

    status = 403


class NotFound(OporaError):
    """Missing, or not visible to this user: the two are indistinguishable on purpose."""

    status = 404

    def __init__(self, what: str | None = None) -> None:
        """`what` names the missing thing for people, translated: `NotFound(_("ticket"))`."""
        # One template rather than a sentence per thing: Russian nouns differ in gender,
        # and its translation puts the noun last ("not found: ticket") to fit them all.
        message = _("%(what)s not found") % {"what": what} if what else _("Not found.")
        super().__init__(NOT_FOUND, message)


class TooLarge(OporaError):
    status = 413


class RateLimited(OporaError):
    status = 429
