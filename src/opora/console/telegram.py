"""The Telegram page of the console's Channels section: bots (list, add, change,
delete), "Test" (getMe: the bot's username, or what went wrong), "Set webhook" (or,
for a polling bot, remove it) and "Send a test message", with the last error shown.

The token field is write-only: it is never put back into the page; left empty when a
bot is changed, the saved token stays. The views are the shared ones of
`console/connection_pages.py`, plus "Set webhook"; the API (`api/telegram.py`) calls
the same actions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from opora.accounts.models import Language
from opora.console.connection_pages import (
    ConnectionKind,
    ConnectionPages,
    TeamChoices,
    channels_section,
    team_field,
    test_text_field,
    write_only,
)
from opora.messengers import actions
from opora.messengers.models import TELEGRAM_API, BotMode, TelegramBot
from opora.messengers.selectors import access_bot, visible_bots
from opora.pages import PageForm, current_user


class BotForm(TeamChoices):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    token = write_only(
        gettext_lazy("Bot token"),
        gettext_lazy("From @BotFather. Never shown again once saved."),
        200,
    )
    mode = forms.ChoiceField(label=gettext_lazy("How updates arrive"), choices=BotMode.choices)
    api_base = forms.CharField(
        label=gettext_lazy("Bot API server"),
        max_length=500,
        initial=TELEGRAM_API,
        help_text=gettext_lazy("Change only for a self-hosted Bot API server."),
    )
    team = team_field()
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=Language.choices,
        help_text=gettext_lazy("For people whose Telegram language is neither."),
    )
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False)


class TestMessageForm(PageForm):
    chat_id = forms.CharField(
        label=gettext_lazy("Chat id"),
        max_length=70,
        help_text=gettext_lazy(
            "Your own Telegram user id: write to the bot, then look at the ticket's customer."
        ),
    )
    text = test_text_field()


def _initial(bot: TelegramBot) -> dict[str, Any]:
    return {
        "name": bot.name,
        "mode": bot.mode,
        "api_base": bot.api_base,
        "team": bot.team_id or "",
        "language": bot.language,
        "active": bot.active,
    }


pages = ConnectionPages(
    ConnectionKind(
        page="telegram",
        one="bot",
        many="bots",
        form=BotForm,
        test_form=TestMessageForm,
        recipient="chat_id",
        access=access_bot,
        visible=visible_bots,
        initial=_initial,
        defaults={
            "active": True,
            "mode": BotMode.WEBHOOK,
            "api_base": TELEGRAM_API,
            "language": "en",
        },
        create=actions.create_bot,
        update=actions.update_bot,
        delete=actions.delete_bot,
        check=actions.check_bot,
        send_test=actions.send_test_message,
        address=("webhook_url", actions.webhook_url),
        added=gettext_lazy("Bot added. Test it, then connect it."),
        deleted=gettext_lazy("Bot %(name)s deleted."),
    )
)
bots, new_bot, edit_bot = pages.list, pages.new, pages.edit
delete_bot, test_bot, send_test = pages.delete, pages.test, pages.send_test


@require_POST
@channels_section
def connect_bot(request: HttpRequest, pk: int) -> HttpResponse:
    bot = pages.found(request, pk)
    result = actions.connect_bot(bot, by=current_user(request))
    return pages.page(request, bot, check=result)
