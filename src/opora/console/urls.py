from __future__ import annotations

from django.urls import path

from opora.console import (
    audit,
    bot,
    channels,
    coach,
    complaints,
    directory,
    kb,
    kb_synonyms,
    macros,
    monitoring,
    outbox,
    people,
    phone,
    records,
    remote,
    routing,
    service,
    telegram,
    triage,
    views,
    vk,
    whatsapp,
)
from opora.console.automation_urls import automation_urls

app_name = "console"

# Service: calendars, SLA policies, escalation rules, support lines' names
service_urls = [
    path("service/", service.calendar_list, name="service_calendars"),
    path("service/calendars/new", service.calendar_new, name="service_calendar_new"),
    path("service/calendars/<id:calendar_id>/", service.calendar_edit, name="service_calendar"),
    path(
        "service/calendars/<id:calendar_id>/load-ru",
        service.calendar_load_ru,
        name="service_calendar_load_ru",
    ),
    path(
        "service/calendars/<id:calendar_id>/delete",
        service.calendar_delete,
        name="service_calendar_delete",
    ),
    path("service/policies/", service.policy_list, name="service_policies"),
    path("service/policies/new", service.policy_new, name="service_policy_new"),
    path("service/policies/<id:policy_id>/", service.policy_edit, name="service_policy"),
    path("service/policies/<id:policy_id>/move", service.policy_move, name="service_policy_move"),
    path(
        "service/policies/<id:policy_id>/toggle",
        service.policy_toggle,
        name="service_policy_toggle",
    ),
    path(
        "service/policies/<id:policy_id>/delete",
        service.policy_delete,
        name="service_policy_delete",
    ),
    path("service/rules/", service.rule_list, name="service_rules"),
    path("service/rules/new", service.rule_new, name="service_rule_new"),
    path("service/rules/<id:rule_id>/", service.rule_edit, name="service_rule"),
    path("service/rules/<id:rule_id>/move", service.rule_move, name="service_rule_move"),
    path("service/rules/<id:rule_id>/delete", service.rule_delete, name="service_rule_delete"),
    path("service/lines", service.line_names, name="service_lines"),
]

whatsapp_urls = [
    path("channels/whatsapp/", whatsapp.numbers, name="whatsapp_numbers"),
    path("channels/whatsapp/new", whatsapp.new_number, name="whatsapp_new"),
    path("channels/whatsapp/<id:pk>/", whatsapp.edit_number, name="whatsapp_number"),
    path("channels/whatsapp/<id:pk>/delete", whatsapp.delete_number, name="whatsapp_delete"),
    path("channels/whatsapp/<id:pk>/test", whatsapp.test_number, name="whatsapp_test"),
    path("channels/whatsapp/<id:pk>/send-test", whatsapp.send_test, name="whatsapp_send_test"),
]

telegram_urls = [
    path("channels/telegram/", telegram.bots, name="telegram_bots"),
    path("channels/telegram/new", telegram.new_bot, name="telegram_new"),
    path("channels/telegram/<id:pk>/", telegram.edit_bot, name="telegram_bot"),
    path("channels/telegram/<id:pk>/delete", telegram.delete_bot, name="telegram_delete"),
    path("channels/telegram/<id:pk>/test", telegram.test_bot, name="telegram_test"),
    path("channels/telegram/<id:pk>/connect", telegram.connect_bot, name="telegram_connect"),
    path("channels/telegram/<id:pk>/send-test", telegram.send_test, name="telegram_send_test"),
]

vk_urls = [
    path("channels/vk/", vk.communities, name="vk_communities"),
    path("channels/vk/new", vk.new_community, name="vk_new"),
    path("channels/vk/<id:pk>/", vk.edit_community, name="vk_community"),
    path("channels/vk/<id:pk>/delete", vk.delete_community, name="vk_delete"),
    path("channels/vk/<id:pk>/test", vk.test_community, name="vk_test"),
    path("channels/vk/<id:pk>/send-test", vk.send_test, name="vk_send_test"),
]


remote_urls = [
    path("channels/remote/", remote.tools, name="remote_tools"),
    path("channels/remote/new", remote.new_tool, name="remote_new"),
    path("channels/remote/<id:tool_id>/", remote.edit_tool, name="remote_tool"),
    path("channels/remote/<id:tool_id>/delete", remote.delete_tool, name="remote_delete"),
]


monitoring_urls = [
    path("monitoring/", monitoring.monitor_list, name="monitoring"),
    path("monitoring/new", monitoring.monitor_new, name="monitor_new"),
    path("monitoring/<id:monitor_id>/", monitoring.monitor_page, name="monitor"),
    path("monitoring/incidents/<id:incident_id>/", monitoring.incident_page, name="incident"),
    path(
        "monitoring/incidents/<id:incident_id>/update",
        monitoring.incident_update,
        name="incident_update",
    ),
    path(
        "monitoring/incidents/<id:incident_id>/resolve",
        monitoring.incident_resolve,
        name="incident_resolve",
    ),
    path(
        "monitoring/incidents/<id:incident_id>/settings",
        monitoring.incident_settings,
        name="incident_settings",
    ),
    path(
        "monitoring/incidents/<id:incident_id>/link", monitoring.incident_link, name="incident_link"
    ),
    path(
        "monitoring/incidents/<id:incident_id>/answer",
        monitoring.incident_answer,
        name="incident_answer",
    ),
    path("monitoring/<id:monitor_id>/edit", monitoring.monitor_edit, name="monitor_edit"),
    path("monitoring/<id:monitor_id>/delete", monitoring.monitor_delete, name="monitor_delete"),
    path("monitoring/<id:monitor_id>/maintenance", monitoring.window_new, name="monitor_window"),
    path(
        "monitoring/<id:monitor_id>/maintenance/<id:window_id>/delete",
        monitoring.window_delete,
        name="monitor_window_delete",
    ),
]

phone_urls = [
    path("channels/phone/", phone.lines, name="phone_lines"),
    path("channels/phone/new", phone.new_line, name="phone_new"),
    path("channels/phone/<id:line_id>/", phone.edit_line, name="phone_line"),
    path("channels/phone/<id:line_id>/delete", phone.delete_line, name="phone_delete"),
    path("channels/phone/<id:line_id>/secret", phone.new_secret, name="phone_secret"),
    path("channels/phone/<id:line_id>/test", phone.test_line, name="phone_test"),
]

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
    path("kb/synonyms/", kb_synonyms.synonyms, name="kb_synonyms"),
    path("kb/synonyms/restore", kb_synonyms.restore, name="kb_synonyms_restore"),
    path("kb/synonyms/<id:group_id>/", kb_synonyms.edit, name="kb_synonym"),
    path("kb/synonyms/<id:group_id>/delete", kb_synonyms.delete, name="kb_synonym_delete"),
    *service_urls,
    *telegram_urls,
    *vk_urls,
    *remote_urls,
    *phone_urls,
    *whatsapp_urls,
    *monitoring_urls,
    # People
    path("people/agents/", people.agents, name="people_agents"),
    path("people/agents/new", people.agent_new, name="people_agent_new"),
    path("people/agents/<id:agent_id>/", people.agent_edit, name="people_agent"),
    path(
        "people/agents/<id:agent_id>/deactivate", people.agent_deactivate, name="people_deactivate"
    ),
    path(
        "people/agents/<id:agent_id>/reactivate", people.agent_reactivate, name="people_reactivate"
    ),
    path("people/invitations/", people.invitation_list, name="people_invitations"),
    path(
        "people/invitations/<id:invitation_id>/resend",
        people.invitation_resend,
        name="people_invitation_resend",
    ),
    path(
        "people/invitations/<id:invitation_id>/revoke",
        people.invitation_revoke,
        name="people_invitation_revoke",
    ),
    path("people/customers/", directory.customers, name="people_customers"),
    path("people/customers/<id:customer_id>/", directory.customer_edit, name="people_customer"),
    path(
        "people/customers/<id:customer_id>/block",
        directory.customer_block,
        name="people_customer_block",
    ),
    path(
        "people/customers/<id:customer_id>/merge",
        directory.customer_merge,
        name="people_customer_merge",
    ),
    path("people/organizations/", directory.organizations, name="people_organizations"),
    path(
        "people/organizations/<id:organization_id>/",
        directory.organization_edit,
        name="people_organization",
    ),
    path(
        "people/organizations/<id:organization_id>/delete",
        directory.organization_delete,
        name="people_organization_delete",
    ),
    path(
        "people/organizations/<id:organization_id>/contract",
        records.organization_contract,
        name="people_organization_contract",
    ),
    path(
        "people/customers/<id:customer_id>/contract",
        records.customer_contract,
        name="people_customer_contract",
    ),
    # Customer records: custom fields, ticket forms, CSV import and export
    path("records/fields/", records.fields, name="records_fields"),
    path("records/fields/<id:field_id>/", records.field_edit, name="records_field"),
    path("records/forms/", records.forms, name="records_forms"),
    path("records/import/", records.imports, name="records_imports"),
    path("records/import/<id:job_id>/", records.import_page, name="records_import"),
    path("records/export/<str:kind>.csv", records.export, name="records_export"),
    path("people/teams/", directory.teams, name="people_teams"),
    path("people/teams/<id:team_id>/", directory.team_edit, name="people_team"),
    path("people/teams/<id:team_id>/delete", directory.team_delete, name="people_team_delete"),
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
        "channels/mailboxes/<id:mailbox_id>/dkim",
        channels.dkim_key,
        name="channels_mailbox_dkim",
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
    path("routing/", routing.routing_page, name="routing"),
    path("routing/load/", routing.load_page, name="routing_load"),
    path("coach/", coach.report_page, name="coach_report"),
    path("coach/rules", coach.rules_page, name="coach"),
    path("complaints/", complaints.report_page, name="complaints_report"),
    path("complaints/settings", complaints.settings_page, name="complaints_settings"),
    path("triage/", triage.triage_page, name="triage"),
    path("triage/train", triage.triage_train, name="triage_train"),
    path("audit/", audit.audit_page, name="audit"),
    path("audit/export.csv", audit.audit_csv, name="audit_csv"),
    path("macros/", macros.macro_list, name="macros"),
    path("macros/new", macros.macro_new, name="macro_new"),
    path("macros/<id:macro_id>/", macros.macro_edit, name="macro"),
    path("macros/<id:macro_id>/delete", macros.macro_delete, name="macro_delete"),
    *automation_urls,
]
