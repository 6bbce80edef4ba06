"""The Telegram page of the console's Channels section: bots (list, add, change,
delete), "Test" (getMe: the bot's username, or what went wrong), "Set webhook" (or,
for a polling bot, remove it) and "Send a test message", with the last error shown.

The token field is write-only: it is never put back into the page; left empty when a
bot is changed, the saved token stays. Thin views: parse → `access_bot` → one action →
render; the API (`api/telegram.py`) calls the same actions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opora.accounts.models import Language, Team
from opora.console.access import section_required
from opora.console.context import console_context
from opora.core.errors import NotFound, OporaError
from opora.messengers import actions
from opora.messengers.models import TELEGRAM_API, BotMode, TelegramBot
from opora.messengers.selectors import access_bot, visible_bots
from opora.pages import PageForm, add_action_error, current_user, not_found_as_404

channels_section = section_required("channels")
PAGE = "telegram"


class BotForm(PageForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    token = forms.CharField(
        label=gettext_lazy("Bot token"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=gettext_lazy("From @BotFather. Never shown again once saved."),
    )
    mode = forms.ChoiceField(label=gettext_lazy("How updates arrive"), choices=BotMode.choices)
    api_base = forms.CharField(
        label=gettext_lazy("Bot API server"),
        max_length=500,
        initial=TELEGRAM_API,
        help_text=gettext_lazy("Change only for a self-hosted Bot API server."),
    )
    team = forms.TypedChoiceField(
        label=gettext_lazy("Team"), required=False, coerce=int, empty_value=None
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=Language.choices,
        help_text=gettext_lazy("For people whose Telegram language is neither."),
    )
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = Team.objects.order_by("name", "id").values_list("pk", "name")
        team = self.fields["team"]
        assert isinstance(team, forms.TypedChoiceField)
        team.choices = [("", _("No team"))] + [(pk, n) for pk, n in teams]


class TestMessageForm(PageForm):
    chat_id = forms.CharField(
        label=gettext_lazy("Chat id"),
        max_length=70,
        help_text=gettext_lazy(
            "Your own Telegram user id: write to the bot, then look at the ticket's customer."
        ),
    )
    text = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=4096,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _initial(bot: TelegramBot) -> dict[str, Any]:
    return {
        "name": bot.name,
        "mode": bot.mode,
        "api_base": bot.api_base,
        "team": bot.team_id or "",
        "language": bot.language,
        "active": bot.active,
    }


def _bot(request: HttpRequest, bot_id: int) -> TelegramBot:
    try:
        return access_bot(current_user(request), bot_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_GET
@channels_section
def bots(request: HttpRequest) -> HttpResponse:
    found = list(visible_bots(current_user(request)))
    return render(request, "console/telegram_bots.html", console_context(request, PAGE, bots=found))


@require_http_methods(["GET", "POST"])
@channels_section
def new_bot(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {
            "active": True,
            "mode": BotMode.WEBHOOK,
            "api_base": TELEGRAM_API,
            "language": "en",
        }
        return _page(request, BotForm(initial=initial), None)
    form = BotForm(request.POST)
    if not form.is_valid():
        return _page(request, form, None, status=400)
    try:
        bot = actions.create_bot(by=current_user(request), values=form.cleaned_data)
    except OporaError as exc:
        add_action_error(form, exc)
        return _page(request, form, None, status=400)
    messages.success(request, _("Bot added. Test it, then connect it."))
    return redirect("console:telegram_bot", bot.pk)


@require_http_methods(["GET", "POST"])
@channels_section
def edit_bot(request: HttpRequest, bot_id: int) -> HttpResponse:
    bot = _bot(request, bot_id)
    if request.method == "GET":
        return _page(request, BotForm(initial=_initial(bot)), bot)
    form = BotForm(request.POST)
    if not form.is_valid():
        return _page(request, form, bot, status=400)
    try:
        actions.update_bot(bot, by=current_user(request), changes=form.cleaned_data)
    except OporaError as exc:
        add_action_error(form, exc)
        return _page(request, form, bot, status=400)
    messages.success(request, _("Saved."))
    return redirect("console:telegram_bot", bot.pk)


@require_POST
@channels_section
def delete_bot(request: HttpRequest, bot_id: int) -> HttpResponse:
    bot = _bot(request, bot_id)
    actions.delete_bot(bot, by=current_user(request))
    messages.success(request, _("Bot %(name)s deleted.") % {"name": bot.name})
    return redirect("console:telegram_bots")


@require_POST
@channels_section
def test_bot(request: HttpRequest, bot_id: int) -> HttpResponse:
    bot = _bot(request, bot_id)
    result = actions.check_bot(bot, by=current_user(request))
    return _page(request, BotForm(initial=_initial(bot)), bot, check=result)


@require_POST
@channels_section
def connect_bot(request: HttpRequest, bot_id: int) -> HttpResponse:
    bot = _bot(request, bot_id)
    result = actions.connect_bot(bot, by=current_user(request))
    return _page(request, BotForm(initial=_initial(bot)), bot, check=result)


@require_POST
@channels_section
def send_test(request: HttpRequest, bot_id: int) -> HttpResponse:
    bot = _bot(request, bot_id)
    form = TestMessageForm(request.POST)
    if not form.is_valid():
        return _page(request, BotForm(initial=_initial(bot)), bot, test_form=form, status=400)
    try:
        result = actions.send_test_message(
            bot,
            by=current_user(request),
            chat_id=form.cleaned_data["chat_id"],
            text=form.cleaned_data["text"],
        )
    except OporaError as exc:
        add_action_error(form, exc, default_field="chat_id")
        return _page(request, BotForm(initial=_initial(bot)), bot, test_form=form, status=400)
    return _page(request, BotForm(initial=_initial(bot)), bot, check=result, test_form=form)


def _page(
    request: HttpRequest,
    form: BotForm,
    bot: TelegramBot | None,
    *,
    status: int = 200,
    check: Any = None,
    test_form: TestMessageForm | None = None,
) -> HttpResponse:
    if bot is not None:
        bot.refresh_from_db()
    context = console_context(
        request,
        PAGE,
        form=form,
        bot=bot,
        check=check,
        test_form=test_form or TestMessageForm(),
        webhook_url=actions.webhook_url(bot) if bot is not None else "",
    )
    return render(request, "console/telegram_bot.html", context, status=status)
