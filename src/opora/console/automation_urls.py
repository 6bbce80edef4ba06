"""The Automation section's addresses (triggers, time rules, webhooks), included by
`console/urls.py`."""

from __future__ import annotations

from django.urls import path

from opora.console import automation, automation_hooks

automation_urls = [
    path("automation/", automation.trigger_list, name="automation_triggers"),
    path("automation/triggers/new", automation.trigger_new, name="automation_trigger_new"),
    path(
        "automation/triggers/<id:trigger_id>/",
        automation.trigger_edit,
        name="automation_trigger",
    ),
    path(
        "automation/triggers/<id:trigger_id>/move",
        automation.trigger_move,
        name="automation_trigger_move",
    ),
    path(
        "automation/triggers/<id:trigger_id>/toggle",
        automation.trigger_toggle,
        name="automation_trigger_toggle",
    ),
    path(
        "automation/triggers/<id:trigger_id>/delete",
        automation.trigger_delete,
        name="automation_trigger_delete",
    ),
    path(
        "automation/triggers/<id:trigger_id>/runs",
        automation.trigger_runs,
        name="automation_trigger_runs",
    ),
    path("automation/rules/", automation_hooks.rule_list, name="automation_rules"),
    path("automation/rules/new", automation_hooks.rule_new, name="automation_rule_new"),
    path("automation/rules/<id:rule_id>/", automation_hooks.rule_edit, name="automation_rule"),
    path(
        "automation/rules/<id:rule_id>/move",
        automation_hooks.rule_move,
        name="automation_rule_move",
    ),
    path(
        "automation/rules/<id:rule_id>/toggle",
        automation_hooks.rule_toggle,
        name="automation_rule_toggle",
    ),
    path(
        "automation/rules/<id:rule_id>/delete",
        automation_hooks.rule_delete,
        name="automation_rule_delete",
    ),
    path(
        "automation/rules/<id:rule_id>/runs",
        automation_hooks.rule_runs,
        name="automation_rule_runs",
    ),
    path("automation/webhooks/", automation_hooks.webhook_list, name="automation_webhooks"),
    path("automation/webhooks/new", automation_hooks.webhook_new, name="automation_webhook_new"),
    path(
        "automation/webhooks/<id:webhook_id>/",
        automation_hooks.webhook_edit,
        name="automation_webhook",
    ),
    path(
        "automation/webhooks/<id:webhook_id>/toggle",
        automation_hooks.webhook_toggle,
        name="automation_webhook_toggle",
    ),
    path(
        "automation/webhooks/<id:webhook_id>/delete",
        automation_hooks.webhook_delete,
        name="automation_webhook_delete",
    ),
    path(
        "automation/webhooks/<id:webhook_id>/secret",
        automation_hooks.webhook_secret,
        name="automation_webhook_secret",
    ),
    path(
        "automation/webhooks/<id:webhook_id>/test",
        automation_hooks.webhook_test,
        name="automation_webhook_test",
    ),
    path(
        "automation/webhooks/<id:webhook_id>/deliveries",
        automation_hooks.webhook_deliveries,
        name="automation_webhook_deliveries",
    ),
    path(
        "automation/deliveries/<id:delivery_id>/again",
        automation_hooks.delivery_again,
        name="automation_delivery_again",
    ),
]
