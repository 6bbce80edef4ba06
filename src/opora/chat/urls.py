from __future__ import annotations

from django.urls import path

from opora.chat import views

app_name = "chat"

urlpatterns = [
    path("api/<str:public_key>/config", views.config, name="config"),
    path("api/<str:public_key>/visitor", views.visitor, name="visitor"),
    path("api/<str:public_key>/history", views.messages, name="history"),
    path("api/<str:public_key>/upload", views.upload, name="upload"),
    path("files/<str:signed>", views.file, name="file"),
]
