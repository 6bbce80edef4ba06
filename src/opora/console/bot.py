"""The answer bot's screen of the console: per team on/off, confidence threshold,
languages, the articles it may offer, and what it did in a period.

Admins see every team and the bot of requests in no team; team leads their own teams
(the scope check of `automation.selectors.access_team_bot`, as in the API).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from opora.accounts.models import Language, Team, User
from opora.automation import actions, bot
from opora.automation.selectors import access_team_bot, bot_settings_of, teams_for_bot
from opora.console.access import forbidden, section_required
from opora.console.context import console_context
from opora.core import clock
from opora.core.errors import Forbidden, OporaError
from opora.core.numbers import parse_id
from opora.kb.models import Article
from opora.kb.selectors import PUBLIC_STATUSES
from opora.pages import PageForm, add_action_error, current_user

bot_section = section_required("bot")
NO_TEAM = "none"
DEFAULT_DAYS = 30


class BotForm(PageForm):
    enabled = forms.BooleanField(label=gettext_lazy("Answer new requests"), required=False)
    threshold = forms.FloatField(
        label=gettext_lazy("Confidence threshold"),
        min_value=0,
        max_value=1,
        help_text=gettext_lazy(
            "From 0 to 1: the share of the request's words an article must cover to be offered."
        ),
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Languages it answers"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None chosen: every language."),
    )
    articles = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Articles it may offer"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "article-pick"}),
        help_text=gettext_lazy("None chosen: every published article."),
    )
    skip_complaints = forms.BooleanField(
        label=gettext_lazy("Leave complaints to people"), required=False
    )
    skip_urgent = forms.BooleanField(
        label=gettext_lazy("Leave urgent and angry requests to people"), required=False
    )
    skip_vip = forms.BooleanField(
        label=gettext_lazy("Leave VIP organizations to people"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        published = Article.objects.filter(status__in=PUBLIC_STATUSES).order_by("title", "id")
        articles = self.fields["articles"]
        assert isinstance(articles, forms.TypedMultipleChoiceField)
        articles.choices = [
            (pk, f"{title} ({language})")
            for pk, title, language in published.values_list("pk", "title", "language")
        ]


def _teams(user: User) -> list[tuple[str, str]]:
    """(value, label) of the bots this person configures."""
    found = [(str(t.pk), t.name) for t in teams_for_bot(user)]
    if user.is_admin:
        found.insert(0, (NO_TEAM, _("Requests in no team")))
    return found


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
@bot_section
def bot_page(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    choices = _teams(user)
    if not choices:
        return forbidden(request)
    chosen = request.GET.get("team", "") or choices[0][0]
    team_id = None if chosen == NO_TEAM else parse_id(chosen)
    if chosen != NO_TEAM and team_id is None:
        chosen, team_id = choices[0][0], (None if choices[0][0] == NO_TEAM else int(choices[0][0]))
    try:
        access_team_bot(user, team_id)
    except Forbidden:
        return forbidden(request)
    current = bot_settings_of(team_id)
    if request.method == "POST":
        form = BotForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.configure_bot(
                    by=user,
                    team_id=team_id,
                    enabled=data["enabled"],
                    threshold=data["threshold"],
                    languages=data["languages"],
                    articles=data["articles"],
                    skip={name: data[name] for name in bot.SKIP_FIELDS},
                )
            except OporaError as exc:
                add_action_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(f"{request.path}?team={chosen}")
        status = 400
    else:
        form = BotForm(
            initial={
                "enabled": current.enabled,
                "threshold": current.threshold,
                "languages": current.languages,
                "articles": current.articles,
                **{name: getattr(current, name) for name in bot.SKIP_FIELDS},
            }
        )
        status = 200
    today = clock.now().astimezone(UTC).date()
    end = _day(request.GET.get("end", "")) or today
    start = _day(request.GET.get("start", "")) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    stats = bot.bot_stats(
        team_id=team_id,
        start=datetime.combine(start, time.min, tzinfo=UTC),
        end=datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
    )
    team = Team.objects.filter(pk=team_id).first() if team_id is not None else None
    context = console_context(
        request,
        "bot",
        form=form,
        teams=choices,
        chosen=chosen,
        team=team,
        stats=stats,
        start=start.isoformat(),
        end=end.isoformat(),
    )
    return render(request, "console/bot.html", context, status=status)
