"""Macros: canned replies with the ticket changes that go with them.

An agent picks a macro in the composer; its text (in the ticket's language, with the
placeholders filled in) lands in the composer and, on send, the reply and the macro's
changes are one change: `apply_macro` runs `update_ticket` and `add_message` in one
transaction, so a refused change (an assignee outside the team, a closed ticket) writes
neither the reply nor the usage count.

Placeholders are checked when the macro is saved (an unknown one is refused with the
field it is in), and filled in as plain text: the composer and `add_message` treat the
result as text, so a customer's name can never become markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from opora.accounts.models import Language, SupportLine, Team, User
from opora.accounts.selectors import require_agent
from opora.automation import errors
from opora.automation.models import Macro, MacroOwner
from opora.core import audit
from opora.core import clock as wall_clock
from opora.core.errors import Forbidden, NotFound, ValidationFailed
from opora.kb.models import Article
from opora.kb.selectors import article_url
from opora.tickets import actions as ticket_actions
from opora.tickets.cleaning import clean_tags
from opora.tickets.models import Message, Priority, Ticket, TicketStatus, TicketType
from opora.tickets.selectors import access_assignee

MAX_TITLE = 200
MAX_BODY = 20_000
FIELDS = ("owner_kind", "owner", "team", "title", "body_en", "body_ru", "actions")
# The statuses a macro may set: "new" is only ever a ticket's first status, and a
# closed ticket is final, so neither is something a reply sets.
MACRO_STATUSES = ("open", "pending", "on_hold", "solved")
ACTION_KEYS = ("status", "priority", "type", "team", "line", "add_tags", "remove_tags", "assignee")

PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_KB = re.compile(r"kb\.(\d{1,18})")
PLACEHOLDERS = ("customer.first_name", "ticket.number", "agent.name", "sla.due")
# Russian patronymics end so; "Иванов Иван Петрович" is surname, name, patronymic.
_PATRONYMIC = re.compile(r"(вич|вна|ична|инична|оглы|кызы)$", re.IGNORECASE)


# Who sees and who edits ---------------------------------------------------------------


def visible_macros(user: User) -> QuerySet[Macro]:
    """Personal ones of this person, their teams' and the shared ones; admins also see
    every team's, so unused ones can be pruned."""
    require_agent(user)
    teams = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
    mine = Q(owner_kind=MacroOwner.PERSONAL, owner_id=user.pk)
    team = Q(owner_kind=MacroOwner.TEAM)
    if not user.is_admin:
        team &= Q(team_id__in=teams)
    return Macro.objects.filter(mine | team | Q(owner_kind=MacroOwner.SHARED)).select_related(
        "team", "owner"
    )


def picker_macros(user: User, q: str = "") -> QuerySet[Macro]:
    """What the composer's picker offers: the person's own, their teams' and shared."""
    require_agent(user)
    teams = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
    rows = Macro.objects.filter(
        Q(owner_kind=MacroOwner.PERSONAL, owner_id=user.pk)
        | Q(owner_kind=MacroOwner.TEAM, team_id__in=teams)
        | Q(owner_kind=MacroOwner.SHARED)
    ).select_related("team")
    if q.strip():
        rows = rows.filter(title__icontains=q.strip()[:200])
    return rows.order_by("-usage_count", "title", "id")


def access_macro(user: User, macro_id: int) -> Macro:
    """A macro this person may see (else 404, as if it did not exist)."""
    found = visible_macros(user).filter(pk=macro_id).first()
    if found is None:
        raise NotFound(_("macro"))
    return found


def may_edit(user: User, owner_kind: str, *, owner_id: int | None, team_id: int | None) -> bool:
    """Anyone their personal macros, team leads their teams', admins shared ones (and,
    as they run the desk, every team's)."""
    if not user.is_active or not user.is_agent:
        return False
    if owner_kind == MacroOwner.PERSONAL:
        return owner_id == user.pk
    if owner_kind == MacroOwner.TEAM:
        if user.is_admin:
            return True
        return team_id is not None and user.is_team_lead and user.teams.filter(pk=team_id).exists()
    return user.is_admin


def may_edit_macro(user: User, macro: Macro) -> bool:
    return may_edit(user, macro.owner_kind, owner_id=macro.owner_id, team_id=macro.team_id)


def access_macro_for_edit(user: User, macro_id: int) -> Macro:
    found = access_macro(user, macro_id)
    if not may_edit_macro(user, found):
        raise Forbidden(errors.MACRO_NOT_ALLOWED, _("You may not change this macro."))
    return found


def owner_kinds_for(user: User) -> list[str]:
    """The kinds of macro this person may create, for the forms."""
    kinds = [MacroOwner.PERSONAL.value]
    if user.is_admin or user.is_team_lead:
        kinds.append(MacroOwner.TEAM.value)
    if user.is_admin:
        kinds.append(MacroOwner.SHARED.value)
    return kinds


def teams_for_macros(user: User) -> list[Team]:
    """Teams whose macros this person may write: every team for admins, a lead's own."""
    teams = Team.objects.order_by("name", "id")
    if user.is_admin:
        return list(teams)
    if not user.is_team_lead:
        return []
    return list(teams.filter(pk__in=user.teams.values("pk")))


# Checking what is saved ---------------------------------------------------------------


@dataclass
class MacroInput:
    """A macro as a form or the API sends it."""

    title: str
    owner_kind: str = MacroOwner.PERSONAL
    team: int | None = None
    body_en: str = ""
    body_ru: str = ""
    actions: Mapping[str, Any] | None = None


def check_placeholders(text: str, *, field: str) -> None:
    """Refuse a text with a placeholder the desk cannot fill in, naming it."""
    for match in PLACEHOLDER.finditer(text):
        name = match.group(1).strip()
        if name in PLACEHOLDERS:
            continue
        kb = _KB.fullmatch(name)
        if kb and Article.objects.filter(pk=int(kb.group(1))).exists():
            continue
        raise ValidationFailed(
            errors.UNKNOWN_PLACEHOLDER,
            _("Unknown placeholder “%(name)s”: use %(known)s or {{kb.<article id>}}.")
            % {
                "name": "{{" + name[:60] + "}}",
                "known": ", ".join("{{" + p + "}}" for p in PLACEHOLDERS),
            },
            field=field,
        )


def _text(value: str, *, field: str, limit: int) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise ValidationFailed(
            errors.MACRO_TOO_LONG,
            _("At most %(count)s characters.") % {"count": limit},
            field=field,
        )
    return text


def _bad_action(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(errors.INVALID_ACTION, message, field=f"actions.{field}")


def clean_actions(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """The macro's changes, checked and normalized; empty values are dropped."""
    raw = dict(raw or {})
    unknown = sorted(set(raw) - set(ACTION_KEYS))
    if unknown:
        raise _bad_action(unknown[0], _("Unknown action “%(name)s”.") % {"name": unknown[0][:40]})
    out: dict[str, Any] = {}
    if raw.get("status"):
        if raw["status"] not in MACRO_STATUSES:
            raise _bad_action("status", _("Choose a status among open, pending, on hold, solved."))
        out["status"] = raw["status"]
    if raw.get("priority"):
        value = str(raw["priority"]).lower()
        if value not in [p.code for p in Priority]:
            raise _bad_action("priority", _("Choose a priority among low, normal, high, urgent."))
        out["priority"] = value
    if raw.get("type"):
        if raw["type"] not in TicketType.values:
            raise _bad_action("type", _("Unknown type “%(value)s”.") % {"value": raw["type"]})
        out["type"] = raw["type"]
    if raw.get("team") not in (None, ""):
        team_id = _int(raw["team"])
        if team_id is None or not Team.objects.filter(pk=team_id).exists():
            raise _bad_action("team", _("No such team."))
        out["team"] = team_id
    if raw.get("line") not in (None, ""):
        line = _int(raw["line"])
        if line not in SupportLine.values:
            raise _bad_action("line", _("The support line must be 1, 2 or 3."))
        out["line"] = line
    for key in ("add_tags", "remove_tags"):
        tags = raw.get(key) or []
        if isinstance(tags, str):
            tags = tags.replace(",", " ").split()
        if not isinstance(tags, list):
            raise _bad_action(key, _("A list of tags."))
        try:
            cleaned = clean_tags(tags)
        except ValidationFailed as exc:
            raise _bad_action(key, exc.message) from None
        if cleaned:
            out[key] = cleaned
    if raw.get("assignee") not in (None, ""):
        out["assignee"] = _assignee(raw["assignee"])
    return out


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _assignee(value: Any) -> str | int:
    if value == "me":
        return "me"
    agent_id = _int(value)
    if agent_id is None:
        raise _bad_action("assignee", _("The assignee is “me” or an agent."))
    try:
        access_assignee(agent_id)
    except NotFound:
        raise _bad_action("assignee", _("The assignee must be an active agent.")) from None
    return agent_id


def _clean(user: User, data: MacroInput) -> dict[str, Any]:
    title = " ".join((data.title or "").split())
    if not title:
        raise ValidationFailed(errors.MACRO_REQUIRED, _("A title is required."), field="title")
    if len(title) > MAX_TITLE:
        raise ValidationFailed(
            errors.MACRO_TOO_LONG,
            _("At most %(count)s characters.") % {"count": MAX_TITLE},
            field="title",
        )
    if data.owner_kind not in MacroOwner.values:
        raise ValidationFailed(
            errors.INVALID_OWNER, _("A macro is personal, a team's or shared."), field="owner_kind"
        )
    team_id = None
    if data.owner_kind == MacroOwner.TEAM:
        team_id = data.team
        if team_id is None or not Team.objects.filter(pk=team_id).exists():
            raise ValidationFailed(errors.INVALID_OWNER, _("Choose the team."), field="team")
    owner_id = user.pk if data.owner_kind == MacroOwner.PERSONAL else None
    if not may_edit(user, data.owner_kind, owner_id=owner_id, team_id=team_id):
        raise Forbidden(
            errors.MACRO_NOT_ALLOWED,
            _("Team leads write their teams' macros, admins the shared ones."),
            field="owner_kind",
        )
    body_en = _text(data.body_en, field="body_en", limit=MAX_BODY)
    body_ru = _text(data.body_ru, field="body_ru", limit=MAX_BODY)
    check_placeholders(body_en, field="body_en")
    check_placeholders(body_ru, field="body_ru")
    actions = clean_actions(data.actions)
    if not (body_en or body_ru or actions):
        raise ValidationFailed(
            errors.EMPTY_MACRO, _("Write a reply or choose an action."), field="body_en"
        )
    return {
        "title": title,
        "owner_kind": data.owner_kind,
        "owner_id": owner_id,
        "team_id": team_id,
        "body_en": body_en,
        "body_ru": body_ru,
        "actions": actions,
    }


# Writes -------------------------------------------------------------------------------


@transaction.atomic
def create_macro(data: MacroInput, *, by: User) -> Macro:
    require_agent(by)
    values = _clean(by, data)
    now = wall_clock.now()
    macro = Macro.objects.create(**values, created_at=now, updated_at=now)
    audit.record_change(
        actor=by,
        area="macros",
        action="created",
        target=macro,
        changes=audit.diff({}, audit.snapshot(macro, FIELDS)),
    )
    return macro


@transaction.atomic
def update_macro(macro: Macro, data: MacroInput, *, by: User) -> Macro:
    """Change a macro; a personal macro stays its author's (the author keeps it even
    when an admin is the one who edits the wording)."""
    macro = Macro.objects.select_for_update().get(pk=macro.pk)
    if not may_edit_macro(by, macro):
        raise Forbidden(errors.MACRO_NOT_ALLOWED, _("You may not change this macro."))
    before = audit.snapshot(macro, FIELDS)
    values = _clean(by, data)
    if macro.owner_kind == MacroOwner.PERSONAL and data.owner_kind == MacroOwner.PERSONAL:
        values["owner_id"] = macro.owner_id
    for name, value in values.items():
        setattr(macro, name, value)
    macro.updated_at = wall_clock.now()
    macro.save()
    audit.record_change(
        actor=by,
        area="macros",
        action="changed",
        target=macro,
        changes=audit.diff(before, audit.snapshot(macro, FIELDS)),
    )
    return macro


@transaction.atomic
def delete_macro(macro: Macro, *, by: User) -> None:
    if not may_edit_macro(by, macro):
        raise Forbidden(errors.MACRO_NOT_ALLOWED, _("You may not change this macro."))
    audit.record_change(
        actor=by,
        area="macros",
        action="deleted",
        target=macro,
        changes=audit.diff(audit.snapshot(macro, FIELDS), {}),
    )
    macro.delete()


# Rendering ----------------------------------------------------------------------------


def first_name(name: str, email: str = "") -> str:
    """The name to greet someone by, from one "name" field.

    "Иванов Иван Петрович" (surname, name, patronymic) greets Иван; "Иван Петрович"
    too; otherwise the first word ("Dana Scully": Dana). No name: the address's local
    part, so a greeting never reads "Hello ,".
    """
    words = name.split()
    if len(words) >= 3 and _PATRONYMIC.search(words[2]):
        return words[1]
    if words:
        return words[0]
    return email.split("@", 1)[0]


def body_for(macro: Macro, language: str) -> tuple[str, str]:
    """The macro's text in this language, else in the other one: (text, its language)."""
    other = Language.EN if language == Language.RU else Language.RU
    for lang in (language, other):
        text = macro.body_ru if lang == Language.RU else macro.body_en
        if text:
            return text, str(lang)
    return "", str(language)


def next_due(ticket: Ticket) -> datetime | None:
    """The next moment the ticket is due: its first response while unanswered, then its
    resolution."""
    if ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        return None
    dues = [ticket.resolution_due_at]
    if ticket.first_response_at is None:
        dues.append(ticket.first_response_due_at)
    found = [d for d in dues if d is not None]
    return min(found) if found else None


def format_due(due: datetime | None, *, agent: User, language: str) -> str:
    with translation.override(language):
        if due is None:
            return _("no due date")
        try:
            zone = ZoneInfo(agent.time_zone or "UTC")
        except (ValueError, KeyError):
            zone = ZoneInfo("UTC")
        local = due.astimezone(zone)
        shown = local.strftime("%d.%m.%Y %H:%M" if language == "ru" else "%Y-%m-%d %H:%M")
        return f"{shown} ({zone.key})"


def render(text: str, *, ticket: Ticket, agent: User, language: str) -> str:
    """Fill in the placeholders, as plain text, in one pass (a value is never read as
    a placeholder again)."""
    requester = ticket.requester
    values = {
        "customer.first_name": first_name(requester.name, requester.email),
        "ticket.number": str(ticket.number),
        "agent.name": agent.display_name,
    }

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name in values:
            return values[name]
        if name == "sla.due":
            return format_due(next_due(ticket), agent=agent, language=language)
        kb = _KB.fullmatch(name)
        if kb:
            return article_url(int(kb.group(1)))
        return match.group(0)  # checked at save; an article deleted since stays visible

    return PLACEHOLDER.sub(fill, text)


@dataclass
class ActionLine:
    field: str
    value: Any
    label: str


def describe_actions(actions: Mapping[str, Any], *, agent: User) -> list[ActionLine]:
    """What applying the macro will change, for the preview."""
    lines: list[ActionLine] = []
    if "status" in actions:
        label = TicketStatus(actions["status"]).label
        lines.append(ActionLine("status", actions["status"], _("Status: %(v)s") % {"v": label}))
    if "priority" in actions:
        label = Priority.by_name(actions["priority"]).label
        lines.append(
            ActionLine("priority", actions["priority"], _("Priority: %(v)s") % {"v": label})
        )
    if "type" in actions:
        label = TicketType(actions["type"]).label
        lines.append(ActionLine("type", actions["type"], _("Type: %(v)s") % {"v": label}))
    if "team" in actions:
        team = Team.objects.filter(pk=actions["team"]).first()
        name = team.name if team else "?"
        lines.append(ActionLine("team", actions["team"], _("Team: %(v)s") % {"v": name}))
    if "line" in actions:
        label = SupportLine(actions["line"]).label
        lines.append(ActionLine("line", actions["line"], _("Line: %(v)s") % {"v": label}))
    if actions.get("add_tags"):
        tags = ", ".join(actions["add_tags"])
        lines.append(
            ActionLine("add_tags", actions["add_tags"], _("Add tags: %(v)s") % {"v": tags})
        )
    if actions.get("remove_tags"):
        tags = ", ".join(actions["remove_tags"])
        lines.append(
            ActionLine("remove_tags", actions["remove_tags"], _("Remove tags: %(v)s") % {"v": tags})
        )
    if "assignee" in actions:
        value = actions["assignee"]
        person = agent if value == "me" else User.objects.filter(pk=value).first()
        name = person.display_name if person else "?"
        lines.append(ActionLine("assignee", value, _("Assign to: %(v)s") % {"v": name}))
    return lines


@dataclass
class Preview:
    macro: Macro
    body: str
    language: str
    actions: list[ActionLine]


def preview_macro(ticket: Ticket, macro: Macro, *, by: User) -> Preview:
    """The reply as it would be sent on this ticket, and the changes it would make."""
    text, language = body_for(macro, ticket.language)
    return Preview(
        macro=macro,
        body=render(text, ticket=ticket, agent=by, language=language),
        language=language,
        actions=describe_actions(macro.actions or {}, agent=by),
    )


def ticket_changes(actions: Mapping[str, Any], *, by: User) -> ticket_actions.TicketChanges:
    """The macro's actions (except the status, which goes with the reply) as changes."""
    changes = ticket_actions.TicketChanges()
    changes.priority = actions.get("priority")
    changes.type = actions.get("type")
    changes.team = actions.get("team")
    changes.line = actions.get("line")
    changes.add_tags = list(actions.get("add_tags") or [])
    changes.remove_tags = list(actions.get("remove_tags") or [])
    if "assignee" in actions:
        changes.assignee = by.pk if actions["assignee"] == "me" else int(actions["assignee"])
    return changes


@dataclass
class Applied:
    ticket: Ticket
    message: Message | None


@transaction.atomic
def apply_macro(
    ticket: Ticket,
    macro: Macro,
    *,
    by: User,
    body: str | None = None,
    internal: bool = False,
    channel: str = "",
    attachments: Any = (),
    status: str | None = None,
) -> Applied:
    """Apply the macro's changes and send its reply (or `body`, the text as the agent
    edited it) in one change: all of it, or on any refusal nothing at all.

    `status` is the one the agent chose in the composer; without it the macro's own.
    """
    require_agent(by)
    macro = access_macro(by, macro.pk)
    actions = macro.actions or {}
    ticket = ticket_actions.update_ticket(ticket, ticket_changes(actions, by=by), by=by)
    if body is None:
        body = preview_macro(ticket, macro, by=by).body
    message = None
    chosen_status = status or actions.get("status")
    if body.strip():
        message = ticket_actions.add_message(
            ticket,
            by=by,
            body=body,
            internal=internal,
            channel=channel,
            attachments=attachments,
            status=chosen_status,
        )
    elif chosen_status:
        ticket = ticket_actions.update_ticket(
            ticket, ticket_actions.TicketChanges(status=chosen_status), by=by
        )
    Macro.objects.filter(pk=macro.pk).update(
        usage_count=F("usage_count") + 1, last_used_at=wall_clock.now()
    )
    ticket.refresh_from_db()
    return Applied(ticket=ticket, message=message)


def apply_macro_by_id(ticket: Ticket, *, macro_id: int, by: User, **reply: Any) -> Applied:
    """`apply_macro` for the composer, which names the macro by its id."""
    return apply_macro(ticket, access_macro(by, macro_id), by=by, **reply)
