from __future__ import annotations

from django.urls import path

from opora.agent import (
    availability,
    chat,
    chat_settings,
    customers,
    new_ticket,
    organizations,
    profile,
    sso,
    ticket,
    views,
)

app_name = "agent"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk", views.bulk, name="bulk"),
    path("chat/", chat.inbox, name="chat"),
    path("presence", availability.switch, name="presence"),
    path("presence/heartbeat", availability.heartbeat, name="presence_heartbeat"),
    path("tickets/new", new_ticket.new_ticket, name="new_ticket"),
    path("people/search", new_ticket.people_search, name="people_search"),
    path("tickets/<id:number>", ticket.ticket_page, name="ticket"),
    path("tickets/<id:number>/followers", ticket.follower_add, name="follower_add"),
    path(
        "tickets/<id:number>/followers/<id:user_id>/remove",
        ticket.follower_remove,
        name="follower_remove",
    ),
    path("tickets/<id:number>/escalate", ticket.escalate, name="escalate"),
    path("tickets/<id:number>/hand-off", ticket.hand_off, name="hand_off"),
    path("tickets/<id:number>/reply", ticket.reply, name="reply"),
    path(
        "tickets/<id:number>/messages/<id:message_id>/original.eml",
        ticket.message_original,
        name="message_original",
    ),
    path(
        "tickets/<id:number>/deliveries/<id:delivery_id>/retry",
        ticket.retry,
        name="retry_delivery",
    ),
    path("tickets/<id:number>/update", ticket.update, name="update"),
    path("tickets/<id:number>/merge", ticket.merge, name="merge"),
    path("tickets/<id:number>/problem", ticket.problem, name="problem"),
    path("tickets/<id:number>/time", ticket.time_card, name="time"),
    path("tickets/<id:number>/articles", ticket.related, name="related"),
    path("tickets/<id:number>/to-article", ticket.to_article, name="to_article"),
    path("customers/<id:user_id>", customers.customer_card, name="customer"),
    path(
        "customers/<id:user_id>/identities",
        customers.add_identity_view,
        name="customer_identities",
    ),
    path(
        "customers/<id:user_id>/identities/<id:identity_id>/remove",
        customers.remove_identity_view,
        name="customer_identity_remove",
    ),
    path("customers/<id:user_id>/merge", customers.merge, name="customer_merge"),
    path(
        "organizations/<id:organization_id>",
        organizations.organization_page,
        name="organization",
    ),
    path("chat/settings", chat_settings.widgets, name="chat_settings"),
    path("chat/settings/<id:widget_id>", chat_settings.widgets, name="chat_widget"),
    path("profile", profile.profile_page, name="profile"),
    path("profile/password", profile.profile_password, name="profile_password"),
    path("profile/security", profile.security, name="profile_security"),
    path("profile/security/totp/start", profile.totp_start, name="totp_start"),
    path("profile/security/totp/confirm", profile.totp_confirm, name="totp_confirm"),
    path("profile/security/totp/disable", profile.totp_disable, name="totp_disable"),
    path("profile/security/recovery-codes", profile.recovery_codes, name="recovery_codes"),
    path("profile/security/keys/options", profile.key_options, name="key_options"),
    path("profile/security/keys", profile.key_add, name="key_add"),
    path("profile/security/keys/<id:key_id>/remove", profile.key_remove, name="key_remove"),
    path(
        "profile/security/sessions/<id:session_id>/revoke",
        profile.session_revoke,
        name="session_revoke",
    ),
    path(
        "profile/security/sessions/revoke-others",
        profile.sessions_revoke_others,
        name="sessions_revoke_others",
    ),
    path("profile/tokens", profile.api_tokens, name="profile_tokens"),
    path("profile/tokens/new", profile.api_token_create, name="profile_token_create"),
    path(
        "profile/tokens/<id:token_id>/revoke",
        profile.api_token_revoke,
        name="profile_token_revoke",
    ),
    path("security-settings", profile.security_settings, name="security_settings"),
    path("sso", sso.settings_page, name="sso"),
    path("sso/<id:mapping_id>", sso.settings_page, name="sso_mapping"),
    path("sso/<id:mapping_id>/delete", sso.delete_mapping, name="sso_mapping_delete"),
]
