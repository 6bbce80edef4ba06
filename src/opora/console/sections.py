"""The console's sections: what its sidebar lists and who may open each.

A later screen (people, SLA, channels, audit…) adds one `Section` to `SECTIONS`, with
its pages and its permission check; the sidebar, the "Admin" link and the access
decorator follow. Only sections listed here appear: no link leads to a missing page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import User
from opora.accounts.selectors import may_see_agents
from opora.kb.selectors import may_edit_articles
from opora.monitoring.selectors import may_manage_monitors
from opora.sla.selectors import may_view_service


@dataclass(frozen=True)
class Page:
    key: str
    label: str | Promise
    url_name: str
    # Only admins see the link (the section is open to others for its other pages).
    admins_only: bool = False


@dataclass(frozen=True)
class Section:
    key: str
    label: str | Promise
    pages: tuple[Page, ...]
    # Who may open the section besides admins, who may open every one.
    allowed: Callable[[User], bool]

    @property
    def url_name(self) -> str:
        return self.pages[0].url_name


SECTIONS: list[Section] = [
    Section(
        key="kb",
        label=_("Knowledge base"),
        pages=(
            Page("articles", _("Articles"), "console:kb_articles"),
            Page("categories", _("Categories"), "console:kb_categories"),
            Page("synonyms", _("Search synonyms"), "console:kb_synonyms", admins_only=True),
        ),
        allowed=may_edit_articles,
    ),
    Section(
        key="channels",
        label=_("Channels"),
        pages=(
            Page("mailboxes", _("Mailboxes"), "console:channels_mailboxes"),
            Page("outbox", _("Outbox"), "console:outbox"),
            Page("chat", _("Chat settings"), "agent:chat_settings"),
            Page("telegram", _("Telegram"), "console:telegram_bots"),
            Page("vk", _("VK"), "console:vk_communities"),
            Page("remote", _("Remote sessions"), "console:remote_tools"),
            Page("phone", _("Phone"), "console:phone_lines"),
            Page("whatsapp", _("WhatsApp"), "console:whatsapp_numbers"),
        ),
        allowed=lambda user: False,  # admins only
    ),
    Section(
        key="security",
        label=_("Security"),
        pages=(
            Page("policy", _("Sign-in policy"), "agent:security_settings"),
            Page("sso", _("Single sign-on"), "agent:sso"),
        ),
        allowed=lambda user: False,  # admins only
    ),
    Section(
        key="service",
        label=_("Service"),
        pages=(
            Page("calendars", _("Business hours"), "console:service_calendars"),
            Page("policies", _("SLA policies"), "console:service_policies"),
            Page("rules", _("Escalation rules"), "console:service_rules"),
            Page("lines", _("Support lines"), "console:service_lines"),
        ),
        allowed=may_view_service,  # team leads read; the pages refuse their changes
    ),
    Section(
        key="people",
        label=_("People"),
        pages=(
            Page("agents", _("Agents"), "console:people_agents"),
            Page("invitations", _("Invitations"), "console:people_invitations", admins_only=True),
            Page("customers", _("Customers"), "console:people_customers", admins_only=True),
            Page(
                "organizations",
                _("Organizations"),
                "console:people_organizations",
                admins_only=True,
            ),
            Page("teams", _("Teams"), "console:people_teams", admins_only=True),
        ),
        # Team leads see the agents of their teams (read-only); the rest is admins'.
        allowed=may_see_agents,
    ),
    Section(
        key="records",
        label=_("Customer records"),
        pages=(
            Page("fields", _("Custom fields"), "console:records_fields"),
            Page("forms", _("Ticket forms"), "console:records_forms"),
            Page("import", _("Import and export"), "console:records_imports"),
        ),
        allowed=lambda user: False,  # admins only
    ),
    Section(
        key="bot",
        label=_("Answer bot"),
        pages=(Page("bot", _("Answer bot"), "console:bot"),),
        allowed=lambda user: user.is_team_lead,  # their own teams' bots
    ),
    Section(
        key="audit",
        label=_("Audit log"),
        pages=(Page("audit", _("Audit log"), "console:audit"),),
        allowed=lambda user: False,  # admins only
    ),
    Section(
        key="routing",
        label=_("Routing"),
        pages=(
            Page("routing", _("Routing"), "console:routing"),
            Page("routing_load", _("Team load"), "console:routing_load"),
        ),
        allowed=lambda user: user.is_team_lead,  # their own teams
    ),
    Section(
        key="macros",
        label=_("Macros"),
        pages=(Page("macros", _("Macros"), "console:macros"),),
        allowed=lambda user: user.is_agent,  # everyone their own; leads, admins more
    ),
    Section(
        key="coach",
        label=_("Reply coach"),
        pages=(
            Page("coach_report", _("Etiquette by agent"), "console:coach_report"),
            Page("coach", _("Rules"), "console:coach", admins_only=True),
        ),
        allowed=lambda user: user.is_team_lead,  # the report; the rules are admins'
    ),
    Section(
        key="complaints",
        label=_("Complaints"),
        pages=(
            Page("complaints_report", _("Complaints report"), "console:complaints_report"),
            Page(
                "complaints_settings",
                _("Complaint settings"),
                "console:complaints_settings",
                admins_only=True,
            ),
        ),
        allowed=lambda user: user.is_team_lead,  # the report; the settings are admins'
    ),
    Section(
        key="triage",
        label=_("Triage"),
        pages=(Page("triage", _("Triage"), "console:triage"),),
        allowed=lambda user: False,  # admins only
    ),
    Section(
        key="automation",
        label=_("Automation"),
        pages=(
            Page("triggers", _("Triggers"), "console:automation_triggers"),
            Page("rules", _("Time rules"), "console:automation_rules"),
            Page("webhooks", _("Webhooks"), "console:automation_webhooks"),
        ),
        allowed=lambda user: False,  # admins only, as the API
    ),
    Section(
        key="monitoring",
        label=_("Monitoring"),
        pages=(Page("monitors", _("Monitors"), "console:monitoring"),),
        allowed=may_manage_monitors,  # team leads: their teams' monitors
    ),
]
SECTIONS_BY_KEY = {s.key: s for s in SECTIONS}


def page_of(view_name: str) -> tuple[Section, Page] | None:
    """The section and page a URL name belongs to, when it is one of the console's."""
    for section in SECTIONS:
        for page in section.pages:
            if page.url_name == view_name:
                return section, page
    return None


def may_open(user: User | None, section: Section) -> bool:
    if user is None or not user.is_active:
        return False
    return user.is_admin or section.allowed(user)


def sections_for(user: User | None) -> list[Section]:
    """The sections this person may open, in the sidebar's order."""
    return [s for s in SECTIONS if may_open(user, s)]


def may_use_console(user: User | None) -> bool:
    return bool(sections_for(user))
