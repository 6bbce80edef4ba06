"""Writes of the channel layer that people make: a customer's choice of notices, an
agent sending a failed delivery again."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core import audit
from opora.core.errors import ValidationFailed
from opora.inbox import delivery as outbox
from opora.inbox import errors
from opora.inbox.models import Delivery, DeliveryState
from opora.inbox.selectors import require_outbox_admin


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


@transaction.atomic
def resend_from_outbox(delivery: Delivery, *, by: User) -> Delivery:
    """An administrator's "Send again" on the outbox page (any failed mail, with or
    without a ticket); noted in the audit log."""
    require_outbox_admin(by)
    found = retry_delivery(delivery, by=by)
    audit.record_change(
        actor=by,
        area="channels",
        action="resent",
        target=found,
        target_type="delivery",
        label=f"{found.subject or found.kind} → {found.address}",
    )
    return found
