"""SLA policies are set up on the admin pages, by administrators only."""

from __future__ import annotations

import pytest

from opora.sla.models import SlaPolicy
from tests.writes import nothing_written


def _policy_form(office, **changes):
    return {
        "name": "Premium",
        "position": "10",
        "priority": "",
        "organization": "",
        "type": "",
        "calendar": str(office.pk),
        "first_response_minutes": "60",
        "next_response_minutes": "60",
        "resolution_minutes": "480",
        "is_active": "on",
        "_save": "Save",
    } | changes


def test_an_admin_adds_and_changes_a_policy(client, ada, office):
    # given
    client.force_login(ada)
    # when
    added = client.post("/django-admin/sla/slapolicy/add/", _policy_form(office))
    policy = SlaPolicy.objects.get(name="Premium")
    changed = client.post(
        f"/django-admin/sla/slapolicy/{policy.pk}/change/",
        _policy_form(office, first_response_minutes="30"),
    )
    # then
    assert added.status_code == changed.status_code == 302
    policy.refresh_from_db()
    assert (policy.first_response_minutes, policy.resolution_minutes) == (30, 480)


@pytest.mark.parametrize("who", ["alice", "lena", "dana"])
def test_agents_leads_and_customers_cannot_add_change_or_delete_a_policy(
    client, policy, office, who, request
):
    # given the Standard policy, and someone who is no administrator signed in
    client.force_login(request.getfixturevalue(who))
    # when they post the admin forms
    with nothing_written(policy, office):
        answers = [
            client.post("/django-admin/sla/slapolicy/add/", _policy_form(office)),
            client.post(
                f"/django-admin/sla/slapolicy/{policy.pk}/change/",
                _policy_form(office, name="Standard", first_response_minutes="1"),
            ),
            client.post(f"/django-admin/sla/slapolicy/{policy.pk}/delete/", {"post": "yes"}),
        ]
    # then each is sent to the admin sign-in page
    for answer in answers:
        assert answer.status_code == 302
        assert answer["Location"].startswith("/django-admin/login/")
