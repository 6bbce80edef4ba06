from __future__ import annotations

from django.contrib import admin
from django.urls import path

from opora.api.main import api
from opora.core.health import healthz, readyz
from opora.core.metrics import metrics_view

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("healthz", healthz),
    # Production mode: readiness for load balancers, Prometheus metrics.
    path("readyz", readyz),
    path("metrics", metrics_view),
]
