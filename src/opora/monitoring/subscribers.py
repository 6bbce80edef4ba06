"""E-mail subscribers of the status page: double opt-in, signed links, and the mail of
each public incident update.

Subscribing stores an unconfirmed address and mails a confirmation link; only
confirmed addresses get updates. Both links are signed (`django.core.signing`, one
salt each): the confirmation expires after `CONFIRM_DAYS`, the unsubscribe link does
not. The mails go through the desk's outbox like any other (`send_mail` →
`inbox/mail_backend.OutboxBackend`), so a mail server that is down is a retried
delivery, not a lost update.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opora.core.errors import ValidationFailed
from opora.monitoring import errors
from opora.monitoring.models import IncidentUpdate, StatusSubscriber, UpdateStatus

logger = logging.getLogger("opora.monitoring")
CONFIRM_SALT = "opora.status.confirm"
UNSUBSCRIBE_SALT = "opora.status.unsubscribe"
CONFIRM_DAYS = 7
LANGUAGES = ("en", "ru")


def confirm_token(subscriber: StatusSubscriber) -> str:
    return signing.dumps([subscriber.pk, subscriber.email], salt=CONFIRM_SALT)


def unsubscribe_token(subscriber: StatusSubscriber) -> str:
    return signing.dumps([subscriber.pk, subscriber.email], salt=UNSUBSCRIBE_SALT)


def _read(token: str, salt: str, max_age: timedelta | None) -> StatusSubscriber | None:
    try:
        pk, email = signing.loads(token, salt=salt, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return StatusSubscriber.objects.filter(pk=pk, email=email).first()


def by_confirm_token(token: str) -> StatusSubscriber | None:
    return _read(token, CONFIRM_SALT, timedelta(days=CONFIRM_DAYS))


def by_unsubscribe_token(token: str) -> StatusSubscriber | None:
    return _read(token, UNSUBSCRIBE_SALT, None)


def _link(name: str, token: str) -> str:
    return settings.BASE_URL + reverse(name, args=[token])


def subscribe(email: str, language: str) -> StatusSubscriber:
    """Store the address (unconfirmed) and mail the confirmation link. Subscribing
    again re-sends the link; a confirmed address hears nothing new (and the answer is
    the same, so the form tells no one who is subscribed)."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(
            errors.INVALID_EMAIL, _("Enter a valid e-mail address."), field="email"
        ) from None
    if len(email) > 254:
        raise ValidationFailed(
            errors.INVALID_EMAIL, _("Enter a valid e-mail address."), field="email"
        )
    language = language if language in LANGUAGES else settings.LANGUAGE_CODE
    with transaction.atomic():
        subscriber, _created = StatusSubscriber.objects.get_or_create(
            email=email, defaults={"language": language}
        )
        if subscriber.confirmed_at is None:
            subscriber.language = language
            subscriber.save(update_fields=["language"])
            _mail_confirmation(subscriber)
    return subscriber


def _mail_confirmation(subscriber: StatusSubscriber) -> None:
    with translation.override(subscriber.language):
        subject = _("Confirm your subscription to status updates")
        body = "\n".join(
            [
                _("Someone (we hope you) asked to receive incident updates of our status page."),
                _("To confirm, open this link within %(days)s days:") % {"days": CONFIRM_DAYS},
                _link("status:confirm", confirm_token(subscriber)),
                "",
                _("If it was not you, ignore this message: nothing will be sent."),
                "",
            ]
        )
    EmailMessage(subject, body, None, [subscriber.email]).send()


def confirm(subscriber: StatusSubscriber) -> StatusSubscriber:
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["confirmed_at"])
    return subscriber


def unsubscribe(subscriber: StatusSubscriber) -> None:
    subscriber.delete()


def status_word(status: str) -> str:
    return str(UpdateStatus(status).label)


def mail_update(update_id: int) -> int:
    """Mail one public update to every confirmed subscriber, each in their language,
    with an unsubscribe link (and List-Unsubscribe for one-click). Returns how many."""
    update = (
        IncidentUpdate.objects.select_related("incident", "incident__monitor")
        .filter(pk=update_id, public=True)
        .first()
    )
    if update is None:
        return 0
    incident = update.incident
    sent = 0
    for subscriber in StatusSubscriber.objects.filter(confirmed_at__isnull=False).iterator():
        leave = _link("status:unsubscribe", unsubscribe_token(subscriber))
        with translation.override(subscriber.language):
            title = incident.public_title or (
                _("%(name)s is unavailable") % {"name": incident.monitor.shown_name}
                if incident.monitor is not None
                else incident.title
            )
            subject = _("[Status] %(title)s: %(status)s") % {
                "title": title,
                "status": status_word(update.status),
            }
            body = "\n".join(
                [
                    f"{status_word(update.status)}: {title}",
                    "",
                    update.body,
                    "",
                    _("Current status: %(link)s") % {"link": settings.BASE_URL + "/status/"},
                    _("Unsubscribe: %(link)s") % {"link": leave},
                    "",
                ]
            )
        message = EmailMessage(
            subject,
            body,
            None,
            [subscriber.email],
            headers={
                "List-Unsubscribe": f"<{leave}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        try:
            message.send()
        except OSError:  # the outbox stores it; a failure here must not stop the rest
            logger.exception("could not queue the status update for %s", subscriber.pk)
            continue
        sent += 1
    return sent
