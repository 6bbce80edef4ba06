"""Messenger webhooks, mounted under /channels/."""

from __future__ import annotations

from django.urls import path

from opora.messengers import views

app_name = "messengers"

urlpatterns = [
    path("telegram/<id:bot_id>/webhook", views.telegram_webhook, name="telegram_webhook"),
]
