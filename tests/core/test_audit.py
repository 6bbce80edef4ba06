"""The audit trail notes what an administrator changed, before and after, in the
change's own transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from opora.accounts.models import Team, User
from opora.core import audit
from opora.core.models import AdminChange

pytestmark = pytest.mark.django_db


def test_a_change_is_noted_with_the_fields_before_and_after(ada: User, alice: User) -> None:
    team = Team.objects.create(name="Billing")
    before = audit.snapshot(team, ["name", "description", "members"])
    team.name, team.description = "Billing and refunds", "Money matters"
    team.save()
    team.members.add(alice)
    after = audit.snapshot(team, ["name", "description", "members"])

    row = audit.record_change(
        actor=ada, area="people", action="changed", target=team, changes=audit.diff(before, after)
    )

    assert row is not None
    stored = AdminChange.objects.get(target_type="team")
    assert (stored.actor, stored.area, stored.action) == (ada, "people", "changed")
    assert (stored.target_type, stored.target_id) == ("team", str(team.pk))
    assert stored.target_label == "Billing and refunds"
    assert stored.changes == {
        "description": ["", "Money matters"],
        "members": [[], [alice.pk]],
        "name": ["Billing", "Billing and refunds"],
    }


def test_nothing_changed_writes_nothing(ada: User) -> None:
    team = Team.objects.create(name="Billing")
    before = AdminChange.objects.count()
    same = audit.snapshot(team, ["name"])
    assert (
        audit.record_change(
            actor=ada, area="people", action="changed", target=team, changes=audit.diff(same, same)
        )
        is None
    )
    assert AdminChange.objects.count() == before


def test_values_are_kept_as_plain_json(ada: User) -> None:
    stored = audit.record_change(
        actor=ada,
        area="people",
        action="changed",
        target=ada,
        changes={"cost_per_hour": [Decimal("1200.50"), Decimal("1300")], "note": "x" * 2000},
    )
    assert stored is not None
    stored.refresh_from_db()
    assert stored.changes["cost_per_hour"] == ["1200.50", "1300"]
    assert len(stored.changes["note"]) == audit.MAX_VALUE_CHARS + 1


def test_a_change_rolled_back_leaves_no_record(ada: User) -> None:
    before = AdminChange.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        team = Team.objects.create(name="Gone")
        audit.record_change(actor=ada, area="people", action="created", target=team)
        raise RuntimeError("the change failed")
    assert AdminChange.objects.count() == before
