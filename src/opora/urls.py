from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from opora.api.main import api


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("healthz", healthz),
    # Help center (knowledge base), public.
    path("help/", include("opora.kb.urls")),
]
