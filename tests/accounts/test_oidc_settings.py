"""The single sign-on group mapping: the admins' page `/agent/sso` and `/api/v1/sso/`."""

from __future__ import annotations

from django.test import Client

from opora.accounts.models import SsoGroupMapping, Team, User
from tests.writes import nothing_written


def page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the page ---


def test_an_admin_adds_a_group_with_its_role_line_and_teams(
    ada, support: Team, billing: Team, settings
):
    settings.BASE_URL = "https://desk.example.com"
    client = page_client(ada)

    answer = client.post(
        "/agent/sso",
        {"group": " helpdesk-l2 ", "role": "agent", "support_line": "2", "teams": [support.pk]},
    )

    assert answer.status_code == 302
    mapping = SsoGroupMapping.objects.get()
    assert (mapping.group, mapping.role, mapping.support_line) == ("helpdesk-l2", "agent", 2)
    assert list(mapping.teams.all()) == [support]
    page = client.get("/agent/sso").content.decode()
    assert 'data-mapping="helpdesk-l2"' in page
    # what to register at the provider
    assert "https://desk.example.com/signin/oidc/callback" in page


def test_an_admin_edits_and_removes_a_group(ada, support: Team, billing: Team):
    mapping = SsoGroupMapping.objects.create(group="helpdesk", role="agent")
    client = page_client(ada)

    client.post(
        f"/agent/sso/{mapping.pk}",
        {"group": "helpdesk", "role": "admin", "support_line": "", "teams": [billing.pk]},
    )
    mapping.refresh_from_db()
    assert mapping.role == "admin"
    assert list(mapping.teams.all()) == [billing]

    client.post(f"/agent/sso/{mapping.pk}/delete")
    assert not SsoGroupMapping.objects.exists()


def test_the_page_refuses_a_duplicate_group_and_writes_nothing(ada):
    SsoGroupMapping.objects.create(group="helpdesk", role="agent")
    client = page_client(ada)

    with nothing_written():
        answer = client.post("/agent/sso", {"group": "helpdesk", "role": "agent"})

    assert answer.status_code == 422
    assert "This group already has a mapping." in answer.content.decode()


def test_the_page_is_in_russian(ada):
    ada.language = "ru"
    ada.save(update_fields=["language"])

    page = page_client(ada).get("/agent/sso").content.decode()

    assert "Единый вход" in page
    assert "Группы с доступом" in page  # noqa: RUF001


def test_agents_do_not_see_the_page(alice):
    SsoGroupMapping.objects.create(group="helpdesk", role="agent")
    client = page_client(alice)

    assert client.get("/agent/sso").status_code == 404
    with nothing_written():
        assert client.post("/agent/sso", {"group": "x", "role": "admin"}).status_code == 404
    assert b"data-sso-nav" not in client.get("/agent/").content


# --- the API ---


def test_an_admin_manages_the_mapping_through_the_api(api, ada, support: Team, billing: Team):
    admin = api(ada)

    created = admin.post(
        "/sso/mappings",
        {"group": "helpdesk-l2", "role": "agent", "support_line": 2, "teams": [support.pk]},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["teams"] == [{"id": support.pk, "name": "Support"}]

    changed = admin.patch(f"/sso/mappings/{body['id']}", {"teams": [billing.pk], "role": "admin"})
    assert changed.status_code == 200
    assert (changed.json()["role"], changed.json()["support_line"]) == ("admin", 2)
    assert changed.json()["teams"] == [{"id": billing.pk, "name": "Billing"}]

    listed = admin.get("/sso/mappings").json()
    assert [m["group"] for m in listed] == ["helpdesk-l2"]
    assert admin.get(f"/sso/mappings/{body['id']}").json()["role"] == "admin"

    assert admin.delete(f"/sso/mappings/{body['id']}").status_code == 204
    assert admin.get(f"/sso/mappings/{body['id']}").status_code == 404


def test_the_api_shows_whether_single_sign_on_is_on(api, ada, settings):
    settings.OIDC_ISSUER = ""
    assert api(ada).get("/sso").json()["configured"] is False

    settings.OIDC_ISSUER = "https://id.example.com"
    settings.OIDC_CLIENT_ID = "desk"
    settings.OIDC_CLIENT_SECRET = "hush"
    body = api(ada).get("/sso").json()

    assert body["configured"] is True
    assert body["issuer"] == "https://id.example.com"
    assert "hush" not in str(body)


def test_the_api_refuses_bad_input_with_clear_errors_and_writes_nothing(api, ada, support):
    admin = api(ada)
    SsoGroupMapping.objects.create(group="taken", role="agent")

    with nothing_written():
        unknown_team = admin.post("/sso/mappings", {"group": "g", "teams": [999999]})
        duplicate = admin.post("/sso/mappings", {"group": "taken"})
        customer_role = admin.post("/sso/mappings", {"group": "g", "role": "customer"})
        blank = admin.post("/sso/mappings", {"group": "   "})
        extra = admin.post("/sso/mappings", {"group": "g", "secret": "x"})

    assert (unknown_team.status_code, unknown_team.json()["code"]) == (422, "invalid_choice")
    assert (duplicate.status_code, duplicate.json()["code"]) == (422, "group_taken")
    assert customer_role.status_code == 422
    assert (blank.status_code, blank.json()["code"]) == (422, "required")
    assert extra.status_code in (400, 422)


def test_agents_may_not_read_or_change_the_mapping(api, alice):
    mapping = SsoGroupMapping.objects.create(group="helpdesk", role="agent")
    agent = api(alice)

    assert agent.get("/sso").status_code == 403
    assert agent.get("/sso/mappings").status_code == 403
    with nothing_written(mapping):
        assert agent.post("/sso/mappings", {"group": "x", "role": "admin"}).status_code == 403
        assert agent.patch(f"/sso/mappings/{mapping.pk}", {"role": "admin"}).status_code == 403
        assert agent.delete(f"/sso/mappings/{mapping.pk}").status_code == 403


def test_the_mapping_endpoints_are_in_the_openapi_document(api, ada):
    paths = api(ada).get("/openapi.json").json()["paths"]

    assert {"get", "post"} <= set(paths["/api/v1/sso/mappings"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/sso/mappings/{mapping_id}"])
    assert "get" in paths["/api/v1/sso"]
