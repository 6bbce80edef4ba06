"""Phone lines' webhooks, mounted under /channels/phone/."""

from __future__ import annotations

from django.urls import path

from opora.telephony import views

app_name = "telephony"

urlpatterns = [
    path("<id:line_id>/<slug:provider>", views.webhook, name="webhook"),
]
