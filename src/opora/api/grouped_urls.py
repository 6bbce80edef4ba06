"""The API paths whose usual POSTs the event loop answers (`api/grouped.py`)."""

from django.urls import path

from opora.api.grouped import create_view, reply_view

urlpatterns = [
    path("tickets", create_view),
    path("tickets/<int:number>/messages", reply_view),
]
