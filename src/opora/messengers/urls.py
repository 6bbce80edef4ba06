"""Messenger webhooks, mounted under /channels/."""

from __future__ import annotations

from django.urls import path

from opora.core import numbers  # noqa: F401 - the "id" converter, for the lean path too
from opora.messengers import views
from opora.messengers.vk import callback as vk_callback
from opora.messengers.whatsapp import views as whatsapp

app_name = "messengers"

urlpatterns = [
    path("telegram/<id:bot_id>/webhook", views.telegram_webhook, name="telegram_webhook"),
    path("vk/<id:community_id>/callback", vk_callback.vk_callback, name="vk_callback"),
    path("whatsapp/<id:number_id>/webhook", whatsapp.whatsapp_webhook, name="whatsapp_webhook"),
]
