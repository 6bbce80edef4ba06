from __future__ import annotations

from django.urls import path

from opora.console import kb, views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    # Knowledge base
    path("kb/", kb.articles, name="kb_articles"),
    path("kb/articles/new", kb.new_article, name="kb_new"),
    path("kb/articles/<id:article_id>/", kb.edit_article, name="kb_article"),
    path("kb/articles/<id:article_id>/translations", kb.translations, name="kb_translations"),
    path(
        "kb/articles/<id:article_id>/translations/save",
        kb.save_translation,
        name="kb_save_translation",
    ),
    path(
        "kb/articles/<id:article_id>/translations/add",
        kb.add_translation,
        name="kb_add_translation",
    ),
    path("kb/articles/<id:article_id>/history", kb.history, name="kb_history"),
    path("kb/articles/<id:article_id>/versions/<id:number>/restore", kb.restore, name="kb_restore"),
    path("kb/preview", kb.preview, name="kb_preview"),
    path("kb/from-ticket/<id:number>", kb.from_ticket, name="kb_from_ticket"),
    path("kb/categories/", kb.category_list, name="kb_categories"),
    path("kb/categories/<id:category_id>/", kb.category_edit, name="kb_category"),
    path("kb/categories/<id:category_id>/move", kb.category_move, name="kb_category_move"),
    path("kb/categories/<id:category_id>/delete", kb.category_delete, name="kb_category_delete"),
]
