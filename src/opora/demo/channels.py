# Russian text is intended here: Cyrillic letters that look like Latin ones are not typos.
# ruff: noqa: RUF001
"""The demo's channels: a Telegram bot, a VK community and a WhatsApp number pointed at
the local simulator (`demo/simulator.py`), a phone line and a remote-session tool, and
a few recent conversations on each, played through the same intake and actions as
live use (the messengers' `store`, the phone line's event intake, remote sessions).

The conversations are played after the quarter, each at its moment (a few hours or
days ago), so the workspace shows them near the top: an open Telegram request waiting
for an answer, a solved one with a remote session, a VK question, a WhatsApp chat
whose 24-hour window is still open, a missed call that was called back and one still
waiting for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson

from opora.accounts.identities import Contact
from opora.accounts.models import IdentityKind, Team, User
from opora.core import clock as wall_clock
from opora.demo.history import Cast, StoryClock
from opora.demo.simulator import base_url
from opora.messengers.actions import create_bot
from opora.messengers.conversations import Arrived, store
from opora.messengers.models import BotMode, TelegramBot, VkCommunity, WhatsAppNumber
from opora.messengers.vk.actions import create_community
from opora.messengers.whatsapp.actions import create_number
from opora.remote.actions import create_tool, end_session, invite, start_session
from opora.remote.models import RemoteTool
from opora.telephony import formats
from opora.telephony import intake as phone_intake
from opora.telephony.actions import create_line
from opora.telephony.models import PhoneLine
from opora.tickets.actions import add_message
from opora.tickets.models import Channel, Ticket, TicketStatus

# Made-up credentials of the simulator's accounts (it takes any).
TELEGRAM_TOKEN = "7000000001:AAdemo-opora-local-simulator-token"  # noqa: S105
VK_GROUP_ID = 218000001
VK_TOKEN = "vk1.a.demo-opora-local-simulator-token"  # noqa: S105
WHATSAPP_PHONE_ID = "100000000000001"
WHATSAPP_TOKEN = "EAAdemo-opora-local-simulator-token"  # noqa: S105
LINE_NUMBER = "+74951234567"


@dataclass
class Accounts:
    bot: TelegramBot
    vk: VkCommunity
    whatsapp: WhatsAppNumber
    line: PhoneLine
    tool: RemoteTool


def set_up(cast: Cast) -> Accounts:
    """Every channel of the Support team, as an administrator sets them up."""
    admin, team = cast.admin, cast.teams["Support"]
    sim = base_url()
    bot = create_bot(
        by=admin,
        values={
            "name": "Opora Demo",
            "token": TELEGRAM_TOKEN,
            "api_base": f"{sim}/telegram",
            "team": team.pk,
            # The desk fetches updates itself: a local desk has no public address.
            "mode": BotMode.POLLING,
            "language": "ru",
        },
    )
    vk = create_community(
        by=admin,
        values={
            "name": "Opora Demo VK",
            "group_id": VK_GROUP_ID,
            "token": VK_TOKEN,
            "secret_key": "demoSecretKey2026",
            "confirmation": "d3m0c0nf",
            "api_base": f"{sim}/vk",
            "team": team.pk,
            "language": "ru",
        },
    )
    whatsapp = create_number(
        by=admin,
        values={
            "name": "Opora Demo WhatsApp",
            "phone_number_id": WHATSAPP_PHONE_ID,
            "business_account_id": "200000000000002",
            "access_token": WHATSAPP_TOKEN,
            "app_secret": "demo-app-secret-2026",
            "api_base": f"{sim}/whatsapp",
            "team": team.pk,
            "language": "en",
            "templates": ["order_update", "hello_again"],
        },
    )
    line = create_line(
        by=admin,
        values={
            "name": "Office line",
            "team": team.pk,
            "numbers": LINE_NUMBER,
            "extensions": "\n".join(
                f"{101 + i} = {a.email}" for i, a in enumerate(cast.members["Support"])
            ),
        },
    ).line
    tool = create_tool(
        by=admin,
        values={
            "name": "RustDesk",
            "kind": "rustdesk",
            "instructions_en": "Install RustDesk from rustdesk.com, then open the link.",
            "instructions_ru": "Установите RustDesk с rustdesk.com и откройте ссылку.",
        },
    )
    return Accounts(bot=bot, vk=vk, whatsapp=whatsapp, line=line, tool=tool)


class _Scene:
    """Plays one channel's recent conversations at their moments."""

    def __init__(self, cast: Cast, accounts: Accounts, now: datetime) -> None:
        self.cast, self.accounts, self.now = cast, accounts, now
        self.clock = StoryClock()
        self.team: Team = cast.teams["Support"]
        agents = cast.members["Support"]
        self.ru = next((a for a in agents if a.language == "ru"), agents[0])
        self.en = next((a for a in agents if a.language == "en"), agents[0])

    def at(self, minutes_ago: float) -> None:
        self.clock.set(self.now - timedelta(minutes=minutes_ago))

    def message(
        self,
        channel: str,
        account: int,
        chat: str,
        contact: Contact,
        text: str,
        key: str,
        ticket: Ticket | None = None,
    ) -> Ticket:
        """A person writes, as the messenger's intake takes it in."""
        stored = store(
            Arrived(
                channel=channel,
                account_id=account,
                chat_id=chat,
                contact=contact,
                body=text,
                external_id=f"demo:{channel}:{key}",
                team_id=self.team.pk,
                ticket_id=ticket.pk if ticket else None,
                only_named=channel == Channel.VK,
                sent_at=wall_clock.now(),
            ),
            lambda: None,
        )
        assert stored is not None
        return stored.ticket

    def reply(self, ticket: Ticket, agent: User, text: str, status: str | None = None) -> None:
        add_message(ticket, by=agent, body=text, status=status)

    def call(self, event: str, call_id: str, number: str, **fields: object) -> None:
        """A PBX's event in the generic format, through the line's intake."""
        at = wall_clock.now()
        body = {
            "event": event,
            "call_id": call_id,
            "from": number,
            "to": LINE_NUMBER,
            "at": at.isoformat(),
            **fields,
        }
        if fields.get("direction") == "out":
            body["from"], body["to"] = LINE_NUMBER, number
        phone_intake.take(self.accounts.line, formats.read_generic(orjson.dumps(body)))


def play(cast: Cast, accounts: Accounts, now: datetime) -> None:
    scene = _Scene(cast, accounts, now)
    with wall_clock.use(scene.clock):
        _telegram(scene)
        _vk(scene)
        _whatsapp(scene)
        _phone(scene)


def _telegram(s: _Scene) -> None:
    bot = s.accounts.bot.pk
    maria = Contact(
        kind=IdentityKind.TELEGRAM, value="5012345678", name="Мария Котова", language="ru"
    )
    s.at(200)
    ticket = s.message(
        Channel.TELEGRAM,
        bot,
        "5012345678",
        maria,
        "Здравствуйте! Оплатила заказ 48213 вчера, а трек-номер так и не пришёл.",
        "tg-1",
    )
    s.at(185)
    s.reply(
        ticket,
        s.ru,
        "Здравствуйте, Мария! Заказ передан в службу доставки сегодня утром, "
        "трек-номер придёт SMS в течение часа.",
        TicketStatus.PENDING,
    )
    s.at(35)
    s.message(
        Channel.TELEGRAM,
        bot,
        "5012345678",
        maria,
        "Спасибо! SMS так и не пришло, можно номер прямо сюда?",
        "tg-2",
        ticket,
    )

    # A customer's app crashes: the agent looks at it in a remote session.
    tom = Contact(kind=IdentityKind.TELEGRAM, value="5087654321", name="Tom Walker", language="en")
    s.at(1500)
    ticket = s.message(
        Channel.TELEGRAM,
        bot,
        "5087654321",
        tom,
        "Hi, the desktop app closes right after the splash screen since yesterday's update.",
        "tg-3",
    )
    s.at(1480)
    session = invite(ticket, by=s.en, tool_id=s.accounts.tool.pk, session_id="482 913 577")
    s.at(1470)
    start_session(session, by=s.en)
    s.at(1445)
    end_session(session, by=s.en)
    s.at(1440)
    s.reply(
        ticket,
        s.en,
        "Thanks for your patience, Tom: a damaged cache file was the cause. "
        "I removed it and the app starts again.",
        TicketStatus.SOLVED,
    )


def _vk(s: _Scene) -> None:
    vk = s.accounts.vk.pk
    roman = Contact(kind=IdentityKind.VK, value="61234567", name="Роман Белов", language="ru")
    s.at(2900)
    ticket = s.message(
        Channel.VK,
        vk,
        "61234567",
        roman,
        "Добрый день! Можно вернуть наушники без чека, если коробка цела?",
        "vk-1",
    )
    s.at(2870)
    s.reply(
        ticket,
        s.ru,
        "Добрый день, Роман! Да, чек не нужен: вернуть товар можно в течение "
        "14 дней в разделе «Мои заказы → Возврат».",
        TicketStatus.SOLVED,
    )


def _whatsapp(s: _Scene) -> None:
    number = s.accounts.whatsapp.pk
    anna = Contact(
        kind=IdentityKind.WHATSAPP,
        value="+4915112345678",
        name="Anna Schmidt",
        phone="+4915112345678",
        phone_verified=True,
        language="en",
    )
    s.at(150)
    ticket = s.message(
        Channel.WHATSAPP,
        number,
        "4915112345678",
        anna,
        "Hi! Can I still change the delivery address of order 48377?",
        "wa-1",
    )
    s.at(140)
    s.reply(
        ticket,
        s.en,
        "Hi Anna, yes: the order is not packed yet. Which address should it go to?",
        TicketStatus.PENDING,
    )
    s.at(120)
    s.message(
        Channel.WHATSAPP,
        number,
        "4915112345678",
        anna,
        "Friedrichstraße 12, 10117 Berlin, please.",
        "wa-2",
        ticket,
    )


def _phone(s: _Scene) -> None:
    agent = s.cast.members["Support"][0].email
    # A missed call, called back half an hour later: the call-back is settled.
    s.at(95)
    s.call("ringing", "demo-call-1", "+74957770011")
    s.at(94)
    s.call("ended", "demo-call-1", "+74957770011", outcome="missed")
    s.at(60)
    s.call("ringing", "demo-call-2", "+74957770011", direction="out", agent=agent)
    s.at(59)
    s.call("answered", "demo-call-2", "+74957770011", direction="out", agent=agent)
    s.at(55)
    s.call(
        "ended",
        "demo-call-2",
        "+74957770011",
        direction="out",
        agent=agent,
        outcome="answered",
        duration=240,
    )
    # A missed call still waiting for a call back.
    s.at(15)
    s.call("ringing", "demo-call-3", "+74959990022")
    s.at(14)
    s.call("ended", "demo-call-3", "+74959990022", outcome="voicemail")
