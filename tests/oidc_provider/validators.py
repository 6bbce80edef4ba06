"""The provider's claims: address, groups and `amr` from `people.py`, and the
misbehaviour some of those people ask for."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from oauth2_provider.oauth2_validators import OAuth2Validator

from tests.oidc_provider.people import PEOPLE


def _person(request: Any) -> dict[str, Any]:
    return PEOPLE.get(request.user.username, {})


class Validator(OAuth2Validator):
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "groups": "groups",
        "amr": "openid",
    }

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        person = _person(request)
        return {
            "email": person.get("email", ""),
            "email_verified": person.get("verified", True),
            "name": request.user.username.title(),
            "preferred_username": request.user.username,
            "groups": person.get("groups", []),
            "amr": person.get("amr", ["pwd"]),
        }

    def get_id_token_dictionary(self, token: Any, token_handler: Any, request: Any) -> Any:
        claims, expiration = super().get_id_token_dictionary(token, token_handler, request)
        mischief = _person(request).get("mischief")
        if mischief == "nonce":
            claims["nonce"] = "not-the-nonce-asked-for"
        elif mischief == "audience":
            claims["aud"] = "another-client"
        elif mischief == "expired":
            past = timezone.now() - timedelta(hours=1)
            claims["exp"] = int(past.timestamp())
            claims["iat"] = int((past - timedelta(minutes=5)).timestamp())
        return claims, expiration
