# ruff: noqa: RUF001
"""The agent's chat inbox: presence, offers, live conversations, visitor details.

The page is a shell: the conversations arrive over the agent chat socket
(/ws/chat/agent/, docs/chat.md) and `static/opora/chat-inbox.js` draws them; files go
through the chat API (`POST /api/v1/chat/sessions/{id}/messages`). The same script
keeps the socket open on every workspace page (the "Chat" badge, offers' sound, the
count in the title); the agent's status is their own choice, made here.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from opora.accounts.models import SupportLine
from opora.agent.views import agents
from opora.pages import agent_required, current_user

# Ready answers in the visitor's language (not the agent's): what the visitor reads.
CANNED: dict[str, list[str]] = {
    "en": [
        "Hello! How can I help you?",
        "One moment, please: I am checking.",
        "Could you tell me a little more about the problem?",
        "Could you send a screenshot of what you see?",
        "Is there anything else I can help you with?",
        "Thank you for contacting us. Have a nice day!",
    ],
    "ru": [
        "Здравствуйте! Чем могу помочь?",
        "Одну минуту, пожалуйста: я проверяю.",
        "Расскажите, пожалуйста, о проблеме подробнее.",
        "Пришлите, пожалуйста, снимок экрана с тем, что вы видите.",
        "Могу ли я помочь чем-нибудь ещё?",
        "Спасибо за обращение! Хорошего дня!",
    ],
}


def _texts() -> dict[str, str]:
    """What the script shows, in the agent's language."""
    return {
        "online": _("Online"),
        "away": _("Away"),
        "offline": _("Offline"),
        "capacity": _("Chats: {active} of {capacity}"),
        "offline_hint": _("You are offline: choose Online to get chats."),
        "take": _("Take"),
        "waiting_for": _("waiting {minutes} min"),
        "waiting_now": _("waiting less than a minute"),
        "offered_to_other": _("offered to a colleague"),
        "no_waiting": _("No chats waiting."),
        "note": _("Internal note"),
        "accept": _("Accept"),
        "pass": _("Pass"),
        "expires": _("{seconds} s left"),
        "no_offers": _("No incoming chats."),
        "no_chats": _("No live conversations."),
        "visitor": _("Visitor"),
        "you": _("You"),
        "bot": _("Answer bot"),
        "typing": _("The visitor is typing…"),
        "read": _("Read"),
        "sending": _("Sending…"),
        "ended": _("The chat has ended."),
        "state_bot": _("with the bot"),
        "state_waiting": _("waiting"),
        "state_offered": _("offered"),
        "state_active": _("active"),
        "state_ended": _("ended"),
        "state_offline": _("by e-mail"),
        "unread": _("{count} unread"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "sent_file": _("File sent."),
        "file_failed": _("The file could not be sent."),
        "no_articles": _("No related articles."),
        "insert_article": _("Insert the article link"),
        "none": "—",
        "choose": _("Choose a conversation on the left."),
    }


@require_GET
@agent_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    config: dict[str, Any] = {
        "me": user.pk,
        "agents": [{"id": a.pk, "name": a.display_name} for a in agents() if a.pk != user.pk],
        "lines": [{"value": value, "label": str(label)} for value, label in SupportLine.choices],
        "canned": CANNED,
        "texts": _texts(),
    }
    return render(request, "agent/chat.html", {"nav": "chat", "chat_config": config})
