from __future__ import annotations

from django.urls import path

from opora.kb import views

app_name = "kb"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("categories/<slug:slug>/", views.category, name="category"),
    path("articles/<id:article_id>/", views.article, name="article"),
    path("ask/", views.ask, name="ask"),
    path("deflected/", views.deflected, name="deflected"),
    path("ask/sent/<id:number>/", views.ask_sent, name="sent"),
]
