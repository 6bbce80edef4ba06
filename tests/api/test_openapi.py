from __future__ import annotations


def test_the_openapi_document_describes_the_api(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    paths = spec["paths"]
    for path in (
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/tickets",
        "/api/v1/tickets/{number}",
        "/api/v1/tickets/{number}/messages",
        "/api/v1/tickets/{number}/merge",
        "/api/v1/tickets/{number}/problem",
        "/api/v1/users",
        "/api/v1/organizations",
        "/api/v1/teams",
        "/api/v1/mailboxes",
        "/api/v1/mailboxes/{mailbox_id}",
    ):
        assert path in paths, path
    create = paths["/api/v1/tickets"]["post"]["requestBody"]["content"]
    assert set(create) == {"application/json", "multipart/form-data"}
    assert {"subject", "body", "priority", "type", "tags"} <= set(
        create["application/json"]["schema"]["properties"]
    )
    assert "bearer" in str(spec["components"]["securitySchemes"]).lower()
    # mailboxes: list, create, get, change, delete; a password is no documented field
    assert set(paths["/api/v1/mailboxes"]) == {"get", "post"}
    assert set(paths["/api/v1/mailboxes/{mailbox_id}"]) == {"get", "patch", "delete"}
    schemas = spec["components"]["schemas"]
    for name in ("MailboxCreate", "MailboxUpdate", "MailboxOut"):
        fields = set(schemas[name]["properties"])
        assert "password_env" in fields
        assert not {"password", "imap_password"} & fields, name


def test_the_interactive_docs_are_served(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
