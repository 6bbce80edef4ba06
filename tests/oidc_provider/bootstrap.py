"""Prepares the provider's database: tables, its people, and Opora registered as a
client (confidential, authorization code, RS256 ID tokens, no consent screen).

    OIDC_PROVIDER_DIR=... OIDC_PROVIDER_ISSUER=... python -m tests.oidc_provider.bootstrap
"""

from __future__ import annotations

import os

import django

REDIRECT_URIS = [
    # Django's test client, and the browser tests' live server on any loopback port.
    "http://testserver/signin/oidc/callback",
    "http://127.0.0.1/signin/oidc/callback",
    "http://localhost/signin/oidc/callback",
]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    from tests.oidc_provider.people import CLIENT_ID, CLIENT_SECRET, PASSWORD, PEOPLE

    call_command("migrate", verbosity=0, interactive=False)
    for username in PEOPLE:
        User.objects.create_user(username=username, password=PASSWORD)
    Application.objects.create(
        name="Opora",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(REDIRECT_URIS),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )


if __name__ == "__main__":
    main()
