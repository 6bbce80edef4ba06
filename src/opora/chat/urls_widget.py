"""The widget's script and the demo page, mounted under /chat/."""

from __future__ import annotations

from django.urls import path

from opora.chat import widget_views

app_name = "chat-widget"

urlpatterns = [
    path("widget.js", widget_views.widget_script, name="script"),
    path("demo/", widget_views.demo, name="demo"),
]
