"""The invitation a customer receives: in their language, with the link, the tool's
own instructions, the session id and password when the agent gave them."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from opora.accounts.models import Language
from opora.remote import links
from opora.remote.models import RemoteTool


def language_of(value: str) -> str:
    return value if value in Language.values else Language.EN


def instructions(tool: RemoteTool, language: str) -> str:
    """The tool's instructions in `language`, else in the other one."""
    first, second = (
        (tool.instructions_ru, tool.instructions_en)
        if language == Language.RU
        else (tool.instructions_en, tool.instructions_ru)
    )
    return (first or second).strip()


def invitation_text(
    tool: RemoteTool,
    *,
    language: str,
    link: str,
    agent: str,
    code: str = "",
    password: str = "",
    ticket: int = 0,
) -> str:
    with translation.override(language):
        lines = [
            _(
                "%(agent)s invites you to a remote-assistance session with %(tool)s, "
                "so that we can look at the problem on your screen together."
            )
            % {"agent": agent, "tool": tool.name},
            "",
            _("To join, open this link:"),
            link,
        ]
        text = instructions(tool, language)
        if text:
            values = {"id": code, "password": password, "ticket": str(ticket)}
            lines += ["", links.fill_text(text, values)]
        credentials = []
        if code:
            credentials.append(_("Session ID: %(id)s") % {"id": code})
        if password:
            credentials.append(_("Password: %(password)s") % {"password": password})
        if credentials:
            lines += ["", *credentials]
        lines += [
            "",
            _(
                "Nothing happens on your computer without your consent; "
                "you can end the session at any time."
            ),
        ]
    return "\n".join(lines)
