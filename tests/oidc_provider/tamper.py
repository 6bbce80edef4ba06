"""Changes the claims of some ID tokens after they were signed, keeping the signature:
what an attacker between the provider and the desk would try."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse

from tests.oidc_provider.people import PEOPLE


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _tampered(id_token: str) -> str:
    header, payload, signature = id_token.split(".")
    claims = json.loads(_b64decode(payload))
    user = User.objects.filter(pk=int(claims["sub"])).first()
    if user is None or PEOPLE.get(user.username, {}).get("mischief") != "tamper":
        return id_token
    claims["groups"] = ["helpdesk-admins"]
    claims["amr"] = ["pwd", "mfa"]
    return ".".join([header, _b64encode(json.dumps(claims).encode()), signature])


class TamperMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        if request.path.endswith("/token/") and response.status_code == 200:
            body = json.loads(response.content)
            if "id_token" in body:
                body["id_token"] = _tampered(body["id_token"])
                response.content = json.dumps(body).encode()
                response["Content-Length"] = str(len(response.content))
        return response
