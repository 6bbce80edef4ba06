"""Remote tools' reports, mounted under /channels/remote/."""

from __future__ import annotations

from django.urls import path

from opora.remote import views

app_name = "remote"

urlpatterns = [
    path("<id:tool_id>/events", views.tool_events, name="events"),
]
