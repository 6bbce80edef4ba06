from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from opora.api.main import api
from opora.portal.urls import root_redirect


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("healthz", healthz),
    # Agent workspace, customer portal, sign-in pages.
    path("", root_redirect, name="root"),
    path("agent/", include("opora.agent.urls")),
    path("", include("opora.portal.urls")),
]
