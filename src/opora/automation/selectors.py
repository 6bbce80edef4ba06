"""Who may configure the answer bot, read its figures, and answer it."""

from __future__ import annotations

from django.utils.translation import gettext as _

from opora.accounts.models import Team, User
from opora.accounts.selectors import require_agent
from opora.automation import errors
from opora.automation.models import BotSettings
from opora.core.errors import Forbidden
from opora.tickets.models import Ticket
from opora.tickets.selectors import access_ticket


def access_bot_settings(user: User) -> None:
    """Team leads and admins configure the bot; other agents only work beside it."""
    require_agent(user)
    if not (user.is_admin or user.is_team_lead):
        raise Forbidden(errors.LEADS_ONLY, _("Only team leads and admins configure the bot."))


def access_team_bot(user: User, team_id: int | None) -> None:
    """A team lead configures the bot of her own teams; the bot of requests in no team
    (every team's triage) and other teams' bots are the admins'."""
    access_bot_settings(user)
    if user.is_admin:
        return
    if team_id is None or not user.teams.filter(pk=team_id).exists():
        raise Forbidden(
            errors.NOT_YOUR_TEAM, _("Team leads configure the bot of their own teams only.")
        )


def access_bot_stats(user: User) -> None:
    """The bot's figures are the desk's business, not its customers'."""
    require_agent(user)


def access_bot_question(user: User, number: int) -> Ticket:
    """A ticket whose "did this solve your question?" this user may answer.

    Only its requester answers: a colleague who may see a shared ticket, or an agent,
    would otherwise solve or hand off someone else's request.
    """
    ticket = access_ticket(user, number)
    if ticket.requester_id != user.pk:
        raise Forbidden(errors.REQUESTER_ONLY, _("Only the requester answers the bot."))
    return ticket


def teams_for_bot(user: User) -> list[Team]:
    """The teams whose bot this person configures: every team for admins, a lead's own."""
    access_bot_settings(user)
    teams = Team.objects.order_by("name", "id")
    if not user.is_admin:
        teams = teams.filter(pk__in=user.teams.values("pk"))
    return list(teams)


def access_team_bot_stats(user: User, team_id: int | None) -> None:
    """Figures of all teams: any agent (as before); of one team: whoever configures it."""
    access_bot_stats(user)
    if team_id is not None:
        access_team_bot(user, team_id)


def bot_settings_of(team_id: int | None) -> BotSettings:
    """A team's bot settings (None: requests in no team), or the defaults, unsaved."""
    rows = BotSettings.objects.all()
    found = rows.filter(team__isnull=True) if team_id is None else rows.filter(team_id=team_id)
    return found.first() or BotSettings(team_id=team_id)


def access_coach_rules(user: User) -> None:
    """The reply coach's rules are the desk's etiquette: admins change them."""
    require_agent(user)
    if not user.is_admin:
        raise Forbidden(errors.ADMINS_ONLY, _("Only admins change the reply coach's rules."))


def access_coach_report(user: User) -> None:
    """Each agent's etiquette share is for team leads and admins."""
    require_agent(user)
    if not (user.is_admin or user.is_team_lead):
        raise Forbidden(errors.LEADS_ONLY, _("Only team leads and admins see the coach's report."))
