from __future__ import annotations

from django.urls import path

from opora.agent import chat, chat_settings, customers, ticket, views

app_name = "agent"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk", views.bulk, name="bulk"),
    path("chat/", chat.inbox, name="chat"),
    path("tickets/<int:number>", ticket.ticket_page, name="ticket"),
    path("tickets/<int:number>/reply", ticket.reply, name="reply"),
    path(
        "tickets/<int:number>/deliveries/<int:delivery_id>/retry",
        ticket.retry,
        name="retry_delivery",
    ),
    path("tickets/<int:number>/update", ticket.update, name="update"),
    path("tickets/<int:number>/merge", ticket.merge, name="merge"),
    path("tickets/<int:number>/problem", ticket.problem, name="problem"),
    path("tickets/<int:number>/time", ticket.time_card, name="time"),
    path("tickets/<int:number>/articles", ticket.related, name="related"),
    path("tickets/<int:number>/to-article", ticket.to_article, name="to_article"),
    path("customers/<int:user_id>", customers.customer_card, name="customer"),
    path(
        "customers/<int:user_id>/identities",
        customers.add_identity_view,
        name="customer_identities",
    ),
    path(
        "customers/<int:user_id>/identities/<int:identity_id>/remove",
        customers.remove_identity_view,
        name="customer_identity_remove",
    ),
    path("customers/<int:user_id>/merge", customers.merge, name="customer_merge"),
    path("chat/settings", chat_settings.widgets, name="chat_settings"),
    path("chat/settings/<int:widget_id>", chat_settings.widgets, name="chat_widget"),
]
