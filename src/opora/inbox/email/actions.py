"""Every write to mailboxes: create, change, delete (administrators only).

A mailbox never holds a password: `password_env` names the environment variable, or
the file in OPORA_MAILBOX_SECRET_DIR, that does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from opora.accounts.actions import clean_email
from opora.accounts.models import Language, Team, User
from opora.core import audit
from opora.core.errors import ValidationFailed
from opora.core.transaction import after_commit
from opora.inbox.email import errors
from opora.inbox.email.models import PASSWORD_ENV_PATTERN, Mailbox
from opora.inbox.email.noise import OWN_CACHE_KEY
from opora.inbox.email.selectors import require_mailbox_admin

EDITABLE = (
    "address",
    "team",
    "language",
    "active",
    "imap_host",
    "imap_port",
    "imap_tls",
    "imap_user",
    "imap_folder",
    "imap_done_folder",
    "password_env",
)
AUDIT_AREA = "channels"
_HOST = re.compile(r"^[A-Za-z0-9._:\[\]-]{1,255}$")


def password_refused(field: str = "password") -> ValidationFailed:
    """The answer to anyone who tries to hand Opora a mailbox password."""
    return ValidationFailed(
        errors.PASSWORD_NOT_STORED,
        _(
            "Opora never stores mailbox passwords. Put the password in an environment "
            "variable or in a file in OPORA_MAILBOX_SECRET_DIR, and give its name in "
            "password_env."
        ),
        field=field,
    )


def _team(value: Any) -> Team | None:
    if value is None:
        return None
    found = Team.objects.filter(pk=value).first() if isinstance(value, int) else None
    if found is None:
        raise ValidationFailed(errors.UNKNOWN_TEAM, _("There is no such team."), field="team")
    return found


def _text(value: Any, field: str, *, code: str, required: bool = False) -> str:
    text = str(value or "").strip()
    if len(text) > 255 or any(not ch.isprintable() for ch in text) or (required and not text):
        raise ValidationFailed(code, _("Enter a valid value."), field=field)
    return text


def _apply(mailbox: Mailbox, values: Mapping[str, Any]) -> None:
    for field, value in values.items():
        if field in ("password", "imap_password"):
            raise password_refused(field)
        if field not in EDITABLE:
            raise ValidationFailed(errors.UNKNOWN_FIELD, _("Unknown field."), field=field)
        if field == "address":
            mailbox.address = clean_email(str(value or ""), field="address")
        elif field == "team":
            mailbox.team = _team(value)
        elif field == "language":
            if value not in Language.values:
                raise ValidationFailed(
                    errors.INVALID_LANGUAGE, _("Choose “en” or “ru”."), field="language"
                )
            mailbox.language = value
        elif field in ("active", "imap_tls"):
            if not isinstance(value, bool):
                raise ValidationFailed(errors.INVALID, _("Enter true or false."), field=field)
            setattr(mailbox, field, value)
        elif field == "imap_port":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 65536:
                raise ValidationFailed(
                    errors.INVALID_PORT, _("A port is a number from 1 to 65535."), field=field
                )
            mailbox.imap_port = value
        elif field == "imap_host":
            host = _text(value, field, code=errors.INVALID_HOST)
            if host and not _HOST.match(host):
                raise ValidationFailed(
                    errors.INVALID_HOST, _("Enter a host name or an IP address."), field=field
                )
            mailbox.imap_host = host
        elif field == "password_env":
            name = str(value or "").strip()
            if name and not re.fullmatch(PASSWORD_ENV_PATTERN, name):
                raise ValidationFailed(
                    errors.INVALID_PASSWORD_ENV,
                    _("A variable or file name: letters, digits, “_”, “.” and “-”, not a path."),
                    field=field,
                )
            mailbox.password_env = name
        elif field == "imap_folder":
            mailbox.imap_folder = _text(value, field, code=errors.INVALID_FOLDER, required=True)
        else:  # imap_user, imap_done_folder
            setattr(mailbox, field, _text(value, field, code=errors.INVALID_FOLDER))


def _check(mailbox: Mailbox) -> None:
    """Rules between fields, and the one address per mailbox."""
    if mailbox.imap_host and not mailbox.password_env:
        raise ValidationFailed(
            errors.PASSWORD_ENV_REQUIRED,
            _("A mailbox fetched over IMAP needs password_env: where its password is kept."),
            field="password_env",
        )
    taken = Mailbox.objects.filter(address__iexact=mailbox.address).exclude(pk=mailbox.pk)
    if taken.exists():
        raise ValidationFailed(
            errors.ADDRESS_TAKEN, _("Another mailbox has this address."), field="address"
        )


def _save(mailbox: Mailbox) -> Mailbox:
    _check(mailbox)
    try:
        with transaction.atomic():
            mailbox.save()
    except IntegrityError:  # the same address created concurrently
        raise ValidationFailed(
            errors.ADDRESS_TAKEN, _("Another mailbox has this address."), field="address"
        ) from None
    # Mail from our own addresses is ignored (loops): the list of them has changed.
    after_commit(cache.delete, OWN_CACHE_KEY)
    return mailbox


@transaction.atomic
def create_mailbox(*, by: User, values: Mapping[str, Any]) -> Mailbox:
    """A new mailbox from `values` (keys of EDITABLE; `address` required)."""
    require_mailbox_admin(by)
    if "address" not in values:
        raise ValidationFailed(errors.REQUIRED, _("An address is required."), field="address")
    mailbox = Mailbox()
    _apply(mailbox, values)
    _save(mailbox)
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="created",
        target=mailbox,
        changes=audit.diff({}, audit.snapshot(mailbox, EDITABLE)),
    )
    return mailbox


@transaction.atomic
def update_mailbox(mailbox: Mailbox, *, by: User, changes: Mapping[str, Any]) -> Mailbox:
    """Change the given fields only."""
    require_mailbox_admin(by)
    locked = (
        Mailbox.objects.select_for_update(of=("self",)).select_related("team").get(pk=mailbox.pk)
    )
    before = audit.snapshot(locked, EDITABLE)
    _apply(locked, changes)
    _save(locked)
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="changed",
        target=locked,
        changes=audit.diff(before, audit.snapshot(locked, EDITABLE)),
    )
    return locked


@transaction.atomic
def delete_mailbox(mailbox: Mailbox, *, by: User) -> None:
    """Stop receiving at this address; mail already received stays with its tickets."""
    require_mailbox_admin(by)
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="deleted",
        target=mailbox,
        changes=audit.diff(audit.snapshot(mailbox, EDITABLE), {}),
    )
    Mailbox.objects.filter(pk=mailbox.pk).delete()
    after_commit(cache.delete, OWN_CACHE_KEY)


@transaction.atomic
def generate_dkim_key(mailbox: Mailbox, *, by: User, selector: str = "") -> Mailbox:
    """A new DKIM key for the mailbox's domain: mail from it is signed once the DNS
    record (`Mailbox.dkim_dns_name` / `dkim_dns_value`) is published. A new key
    replaces the old one; the private key never leaves the server."""
    from opora.inbox.email.dkim import generate_key

    require_mailbox_admin(by)
    selector = selector.strip().lower() or mailbox.dkim_selector or "opora"
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", selector):
        raise ValidationFailed(
            errors.INVALID_SELECTOR,
            _("A selector is one DNS label: letters, digits and “-”."),
            field="selector",
        )
    locked = Mailbox.objects.select_for_update(of=("self",)).get(pk=mailbox.pk)
    replaced = bool(locked.dkim_private_key)
    locked.dkim_selector = selector
    locked.dkim_private_key = generate_key()
    locked.save(update_fields=["dkim_selector", "dkim_private_key"])
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="changed",
        target=locked,
        changes={"dkim_key": ["replaced" if replaced else "", f"new ({selector})"]},
    )
    return locked
