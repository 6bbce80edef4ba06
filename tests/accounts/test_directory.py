from __future__ import annotations

import pytest

from opora.accounts.models import User
from tests.writes import nothing_written


def test_admins_create_agents_organizations_and_teams(api, ada):
    client = api(ada)
    # an organization with a domain
    org = client.post(
        "/organizations", {"name": "Globex", "domains": ["Globex.test"], "shared_tickets": True}
    )
    assert org.status_code == 201, org.content
    assert org.json()["domains"] == ["globex.test"]
    # an agent on line 2
    agent = client.post(
        "/users",
        {
            "email": "gina@desk.test",
            "name": "Gina",
            "role": "agent",
            "support_line": 2,
            "password": "s3cure-pass-42",
        },
    )
    assert agent.status_code == 201, agent.content
    assert agent.json()["support_line"] == 2
    # a team with her in it
    team = client.post("/teams", {"name": "Second line", "members": [agent.json()["id"]]})
    assert team.status_code == 201, team.content
    assert [m["email"] for m in team.json()["members"]] == ["gina@desk.test"]


def test_new_customers_join_their_organization_by_domain(api, ada, alice, acme):
    response = api(ada).post("/users", {"email": "zoe@acme.test"})
    assert response.json()["organization"]["name"] == "Acme"
    # and customers who came before the domain was registered join when it is
    early = api(ada).post("/users", {"email": "early@initech.test"}).json()
    assert early["organization"] is None
    api(ada).post("/organizations", {"name": "Initech", "domains": ["initech.test"]})
    joined = User.objects.select_related("organization").get(email="early@initech.test")
    assert joined.organization is not None
    assert joined.organization.name == "Initech"


@pytest.mark.parametrize("path", ["/users", "/organizations", "/teams"])
def test_agents_list_customers_do_not(api, alice, dana, support, path):
    assert api(alice).get(path).status_code == 200
    assert api(dana).get(path).status_code == 403


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/users", {"email": "x@desk.test", "role": "agent"}),
        ("/organizations", {"name": "Evil Corp"}),
        ("/teams", {"name": "Shadow team"}),
    ],
)
def test_only_admins_create(api, alice, lena, dana, support, path, body):
    clients = [api(user) for user in (alice, lena, dana)]
    anonymous = api(None)
    with nothing_written(support):
        refused = [client.post(path, body) for client in clients]
        unsigned = anonymous.post(path, body)
    assert [(r.status_code, r.json()["code"]) for r in refused] == [(403, "admins_only")] * 3
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "unauthorized")
    assert api(alice).get(path).status_code == 200


def test_directory_bad_input(api, ada, acme, alice, support):
    client = api(ada)
    with nothing_written(acme, alice, support):
        bad_email = client.post("/users", {"email": "not-an-email"})
        short = client.post("/users", {"email": "dana2@acme.test", "password": "123"})
        dup = client.post("/users", {"email": "ALICE@desk.test"})
        taken = client.post("/organizations", {"name": "Acme 2", "domains": ["acme.test"]})
        bad_domain = client.post("/organizations", {"name": "Bad", "domains": ["not a domain"]})
        unknown_member = client.post(
            "/teams", {"name": "T", "members": [User.objects.get(email="ada@desk.test").pk, 99999]}
        )
        team_taken = client.post("/teams", {"name": "Support", "members": [alice.pk]})
    assert [
        (r.status_code, r.json()["errors"][0]["field"])
        for r in (bad_email, short, bad_domain, unknown_member)
    ] == [(422, "email"), (422, "password"), (422, "domains"), (422, "members")]
    assert (dup.status_code, dup.json()["code"]) == (422, "email_taken")
    assert (taken.status_code, taken.json()["code"]) == (422, "domain_taken")
    assert (team_taken.status_code, team_taken.json()["errors"][0]["field"]) == (422, "name")


def test_users_can_be_filtered(api, alice, bob, dana, charlie):
    client = api(alice)
    agents = {u["email"] for u in client.get("/users", {"role": "agent"}).json()}
    assert agents == {"alice@desk.test", "bob@desk.test"}
    found = [u["email"] for u in client.get("/users", {"q": "char"}).json()]
    assert found == ["charlie@outside.test"]
