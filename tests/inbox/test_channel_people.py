"""People known only by a messenger identity, created many at once (`receive_many`)."""

from __future__ import annotations

import pytest

from opora.accounts.identities import Contact
from opora.accounts.models import Identity, IdentityKind
from opora.inbox.channels import _new_people, requesters_for

pytestmark = pytest.mark.django_db


def test_new_people_come_with_their_identity_and_one_recorded_meanwhile_is_kept() -> None:
    ann = Contact(kind=IdentityKind.TELEGRAM, value="777", name="Ann", language="ru")
    bob = Contact(kind=IdentityKind.TELEGRAM, value="778", name="Bob", language="en")
    first, second = requesters_for([ann, bob])
    assert (first.name, first.language, second.name) == ("Ann", "ru", "Bob")
    assert Identity.objects.get(kind=IdentityKind.TELEGRAM, value="777").user == first
    # Another process recorded Ann a moment before this batch looked: her person stays.
    again = _new_people([ann])
    assert again[(IdentityKind.TELEGRAM, "777")] == first
    assert Identity.objects.filter(kind=IdentityKind.TELEGRAM, value="777").count() == 1
