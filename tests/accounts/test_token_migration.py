"""Upgrading keeps every existing token working as before: tokens made before scopes
existed had the user's full power, so they get the `admin` scope."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from opora.accounts.models import ApiToken, User, hash_token

BEFORE = [("accounts", "0006_single_sign_on")]
AFTER = [("accounts", "0007_api_token_scopes")]
RAW = "opora_made-before-scopes-existed"


@pytest.fixture
def at_previous_schema(transactional_db: None) -> Iterator[MigrationExecutor]:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    yield executor
    # Leave the schema as the other tests expect it.
    call_command("migrate", verbosity=0)


def test_tokens_made_before_scopes_keep_full_power(at_previous_schema: MigrationExecutor) -> None:
    # given a token of an administrator, stored before the upgrade
    old = at_previous_schema.loader.project_state(BEFORE).apps
    OldUser, OldToken = old.get_model("accounts", "User"), old.get_model("accounts", "ApiToken")
    ada = OldUser.objects.create(email="ada@desk.test", name="Ada", role="admin")
    OldToken.objects.create(user=ada, name="cron", key_hash=hash_token(RAW), prefix=RAW[:10])

    # when the schema is upgraded
    MigrationExecutor(connection).migrate(AFTER)
    call_command("migrate", verbosity=0)

    # then the token has the admin scope and still does what the administrator may
    assert ApiToken.objects.get(name="cron").scopes == "admin"
    made = Client(HTTP_AUTHORIZATION=f"Bearer {RAW}").post(
        "/api/v1/teams", '{"name": "Night shift"}', content_type="application/json"
    )
    assert made.status_code == 201, made.content
    assert User.objects.get(email="ada@desk.test").is_admin
