from __future__ import annotations

from django.urls import path

from opora.console import audit, bot, channels, kb, outbox, views

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
    # Channels, outbox, answer bot, audit log
    path("channels/mailboxes/", channels.mailboxes, name="channels_mailboxes"),
    path("channels/mailboxes/new", channels.new_mailbox, name="channels_new_mailbox"),
    path("channels/mailboxes/<id:mailbox_id>/", channels.edit_mailbox, name="channels_mailbox"),
    path(
        "channels/mailboxes/<id:mailbox_id>/test",
        channels.test_mailbox,
        name="channels_mailbox_test",
    ),
    path(
        "channels/mailboxes/<id:mailbox_id>/delete",
        channels.delete_mailbox,
        name="channels_mailbox_delete",
    ),
    path("channels/outbox/", outbox.outbox_list, name="outbox"),
    path("channels/outbox/<id:delivery_id>/", outbox.outbox_message, name="outbox_message"),
    path("channels/outbox/<id:delivery_id>/retry", outbox.outbox_retry, name="outbox_retry"),
    path("bot/", bot.bot_page, name="bot"),
    path("audit/", audit.audit_page, name="audit"),
    path("audit/export.csv", audit.audit_csv, name="audit_csv"),
]
