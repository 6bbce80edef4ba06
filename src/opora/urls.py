from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import path

from opora.api.main import api
from opora.feedback import views as feedback_views
from opora.reports import views as report_views


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("healthz", healthz),
    # SLA, satisfaction and reports
    path("feedback/<str:token>/", feedback_views.rate, name="feedback-rate"),
    path("reports/", report_views.dashboard, name="reports-dashboard"),
]
