from __future__ import annotations

from django.urls import path

from opora.monitoring import views

app_name = "status"
urlpatterns = [
    path("", views.status_page, name="page"),
    path("badge.svg", views.badge, name="badge"),
    path("subscribe", views.subscribe, name="subscribe"),
    path("confirm/<str:token>", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>", views.unsubscribe, name="unsubscribe"),
]
