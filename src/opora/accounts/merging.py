"""Merging two customers who turn out to be one person (an e-mail sender and a chat
visitor, say): the duplicate's identities join the kept person, the apps above move
their rows (`CustomersMerged`), and the duplicate stays behind deactivated, pointing at
the kept person, as the record of the merge."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts import errors
from opora.accounts.domain_events import CustomersMerged
from opora.accounts.identities import clean_phone
from opora.accounts.models import Identity, IdentityKind, Role, User
from opora.accounts.selectors import require_merger
from opora.core.dispatch import publish
from opora.core.errors import ValidationFailed


def _refuse(keep: User, drop: User) -> None:
    if keep.pk == drop.pk:
        raise ValidationFailed(
            errors.MERGE_SELF, _("A customer cannot be merged into themselves."), field="duplicate"
        )
    for user, field in ((keep, "id"), (drop, "duplicate")):
        if user.role != Role.CUSTOMER:
            raise ValidationFailed(
                errors.NOT_CUSTOMER, _("Only customers can be merged; this is staff."), field=field
            )
        if user.merged_into_id is not None or not user.is_active:
            raise ValidationFailed(
                errors.ALREADY_MERGED,
                _("This account is closed or already merged into another."),
                field=field,
            )


def _carry_over(keep: User, drop: User) -> list[Identity]:
    """The duplicate's own address and phone, as identities of the kept person (unless
    someone holds them already)."""
    wanted: list[tuple[str, str]] = []
    if drop.reachable_by_email:
        wanted.append((IdentityKind.EMAIL, drop.email))
    phone = clean_phone(drop.phone)
    if phone:
        wanted.append((IdentityKind.PHONE, phone))
    taken = {
        (i.kind, i.value)
        for i in Identity.objects.filter(
            kind__in=[k for k, _ in wanted], value__in=[v for _, v in wanted]
        )
    }
    return [
        Identity(user=keep, kind=kind, value=value, name=drop.name[:200], verified=False)
        for kind, value in wanted
        if (kind, value) not in taken
    ]


@transaction.atomic
def merge_customers(keep: User, drop: User, *, by: User) -> User:
    """Merge the customer `drop` into `keep`; returns `keep` as it now stands.

    Preconditions: both were loaded for `by` through `access_customer`. Team leads and
    admins only; staff, a person into themselves and an account merged already are
    refused before anything is written."""
    require_merger(by)
    if keep.pk == drop.pk:
        _refuse(keep, drop)
    # Lock both in id order, so two opposite merges cannot deadlock, and decide on the
    # rows as they are now (a concurrent merge may have closed one).
    locked = {u.pk: u for u in User.objects.select_for_update().filter(pk__in=[keep.pk, drop.pk])}
    if len(locked) != 2:
        raise ValidationFailed(
            errors.ALREADY_MERGED, _("This account is closed or already merged into another.")
        )
    keep, drop = locked[keep.pk], locked[drop.pk]
    _refuse(keep, drop)
    now = timezone.now()
    Identity.objects.filter(user=drop).update(user=keep)
    Identity.objects.bulk_create(_carry_over(keep, drop))
    # Blanks of the kept person are filled from the duplicate; nothing is overwritten.
    changed = []
    for field in ("name", "phone", "organization_id"):
        if not getattr(keep, field) and getattr(drop, field):
            setattr(keep, field, getattr(drop, field))
            changed.append(field.removesuffix("_id"))
    if changed:
        keep.save(update_fields=changed)
    # Accounts merged into the duplicate earlier now point at the kept person: one link.
    User.objects.filter(merged_into=drop).update(merged_into=keep)
    drop.is_active = False
    drop.merged_into = keep
    drop.merged_at = now
    drop.save(update_fields=["is_active", "merged_into", "merged_at"])
    publish([CustomersMerged(keep=keep, drop=drop, by=by)])
    return User.objects.select_related("organization").get(pk=keep.pk)
