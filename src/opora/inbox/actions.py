"""Writes of the channel layer that people make: a customer's choice of notices, an
agent sending a failed delivery again."""

from __future__ import annotations

from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import ValidationFailed
from opora.inbox import delivery as outbox
from opora.inbox import errors
from opora.inbox.models import Delivery, DeliveryState


def set_email_notifications(user: User, *, enabled: bool) -> User:
    """Whether `user` is e-mailed when the desk answers a request made in the portal
    (or acknowledges a new one); e-mail conversations are answered by mail anyway."""
    if user.notify_by_email != enabled:
        user.notify_by_email = enabled
        user.save(update_fields=["notify_by_email"])
    return user


def retry_delivery(delivery: Delivery, *, by: User) -> Delivery:
    """Send a failed delivery again ("Send again"); `delivery` comes from
    `selectors.access_delivery`, which checks that `by` may."""
    if delivery.state != DeliveryState.FAILED:
        raise ValidationFailed(errors.NOT_FAILED, _("Only a failed delivery can be sent again."))
    return outbox.retry(delivery)
