"""A local stand-in for the messengers' servers, so the demo's channels work offline.

The demo's Telegram bot, VK community and WhatsApp number point their API server at
this simulator (`http://127.0.0.1:<OPORA_DEMO_SIMULATOR_PORT>/telegram`, `/vk`,
`/whatsapp`): the console's "Test" buttons succeed, and the desk's replies on the
demo's messenger tickets are delivered (and kept in `sent`, newest last, for a look).
It speaks just enough of each API, in the wire format the desk's client libraries
expect: Telegram's Bot API (getMe, getUpdates with nothing new, set/deleteWebhook,
sendMessage/Photo/Document), VK's methods (groups.getById, users.get, messages.send,
wall.createComment, wall.getById and the upload round trip for a reply's files), and
WhatsApp's Graph API (the number, messages, media).

Why a separate little server rather than routes of the desk itself: the desk's clients
call their provider over HTTP with the same code as in production, the simulator holds
no data of the desk (nothing to secure), and it runs beside a test without a web
server. `opora serve` starts it, in a thread on 127.0.0.1, only in the embedded default
mode (its own job worker) and only when the demo's accounts point at it
(`start_for_demo`); `OPORA_DEMO_SIMULATOR_PORT=0` turns it off. The phone line and the
remote tool need nothing of it: a PBX posts to the desk, and "Send a test event" posts
to the desk's own address.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.conf import settings

logger = logging.getLogger("opora.demo")

HOST = "127.0.0.1"
BOT_ID = 7000000001
BOT_USERNAME = "opora_demo_bot"
VK_GROUP_NAME = "Opora Demo"
WHATSAPP_NAME = "Opora Demo"
WHATSAPP_DISPLAY = "+7 495 000-00-00"
MAX_BODY = 30 * 1024 * 1024  # a reply's attachments, as the real servers take them


def base_url(port: int | None = None) -> str:
    """The simulator's address (its configured port unless told)."""
    return f"http://{HOST}:{settings.DEMO_SIMULATOR_PORT if port is None else port}"


@dataclass(frozen=True)
class Sent:
    """Something the desk sent a person through the simulator."""

    provider: str  # telegram, vk, whatsapp
    method: str
    to: str
    text: str


class Simulator:
    def __init__(self) -> None:
        self.sent: deque[Sent] = deque(maxlen=1000)
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    def start(self, port: int) -> Simulator:
        """Listen on 127.0.0.1:`port` (0: a free one) in a daemon thread."""
        server = ThreadingHTTPServer((HOST, port), _handler(self))
        server.daemon_threads = True
        self._server = server
        self.port = int(server.server_address[1])
        threading.Thread(target=server.serve_forever, name="opora-demo-sim", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return base_url(self.port)

    def next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def note(self, provider: str, method: str, to: Any, text: Any) -> None:
        self.sent.append(Sent(provider, method, str(to or ""), str(text or "")))

    # --- Telegram: /telegram/bot<token>/<method> ---------------------------------------

    def telegram(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        me = {"id": BOT_ID, "is_bot": True, "first_name": "Opora Demo", "username": BOT_USERNAME}
        if method == "getMe":
            return 200, me | {
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "getUpdates":
            return 200, []
        if method in ("setWebhook", "deleteWebhook"):
            return 200, True
        if method in ("sendMessage", "sendPhoto", "sendDocument"):
            chat = str(params.get("chat_id", ""))
            self.note("telegram", method, chat, params.get("text") or params.get("caption"))
            return 200, {
                "message_id": self.next_id(),
                "date": int(time.time()),
                "chat": {"id": int(chat) if chat.lstrip("-").isdigit() else 0, "type": "private"},
                "from": me,
                "text": str(params.get("text") or ""),
            }
        return 404, "Not Found: method not found"

    # --- VK: /vk/method/<name> ---------------------------------------------------------

    def vk(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        """(0, response) or (VK error code, message)."""
        if method == "groups.getById":
            group = str(params.get("group_id") or params.get("group_ids") or "1").split(",")[0]
            found = {
                "id": int(group) if group.isdigit() else 1,
                "name": VK_GROUP_NAME,
                "screen_name": "opora_demo",
                "type": "group",
            }
            return 0, {"groups": [found], "profiles": []}
        if method == "users.get":
            ids = [i for i in str(params.get("user_ids", "")).split(",") if i.strip().isdigit()]
            return 0, [{"id": int(i), "first_name": "VK", "last_name": f"id{i}"} for i in ids]
        if method == "wall.getById":
            return 0, {"items": []}
        if method == "messages.send":
            self.note("vk", method, params.get("peer_id"), params.get("message"))
            return 0, self.next_id()
        if method == "wall.createComment":
            self.note("vk", method, params.get("post_id"), params.get("message"))
            return 0, {"comment_id": self.next_id(), "parents_stack": []}
        if method in ("photos.getMessagesUploadServer", "docs.getMessagesUploadServer"):
            kind = "photo" if method.startswith("photos") else "doc"
            return 0, {"upload_url": f"{self.url}/vk/upload/{kind}", "album_id": -3, "user_id": 0}
        if method == "photos.saveMessagesPhoto":
            return 0, [{"id": self.next_id(), "owner_id": -1, "access_key": "demo"}]
        if method == "docs.save":
            doc = {"id": self.next_id(), "owner_id": -1, "title": str(params.get("title", ""))}
            return 0, {"type": "doc", "doc": doc}
        return 3, "Unknown method passed"

    # --- WhatsApp: /whatsapp/v<version>/<phone id>[/messages|/media] -------------------

    def whatsapp(self, http: str, parts: list[str], params: dict[str, Any]) -> tuple[int, Any]:
        if http == "GET" and len(parts) == 1:
            return 200, {
                "id": parts[0],
                "verified_name": WHATSAPP_NAME,
                "display_phone_number": WHATSAPP_DISPLAY,
                "quality_rating": "GREEN",
            }
        if http == "POST" and len(parts) == 2 and parts[1] == "messages":
            to = str(params.get("to", ""))
            body = params.get("text")
            text = body.get("body") if isinstance(body, dict) else params.get("type")
            self.note("whatsapp", "messages", to, text)
            return 200, {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": f"wamid.DEMO{self.next_id():08d}"}],
            }
        if http == "POST" and len(parts) == 2 and parts[1] == "media":
            return 200, {"id": str(900000 + self.next_id())}
        return 404, {"error": {"message": "Unknown path components", "code": 2500}}


def _handler(sim: Simulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the desk logs what it sends

        def _reply(self, status: int, value: Any, ctype: str = "application/json") -> None:
            body = value if isinstance(value, bytes) else json.dumps(value).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def _handle(self, http: str) -> None:
            parts = urlsplit(self.path)
            path = unquote(parts.path).strip("/").split("/")
            params = self._params(parts.query)
            if params is None:
                return self._reply(413, b"Too large", "text/plain")
            provider, rest = path[0], path[1:]
            if provider == "status" and rest in (["up"], ["flap"]):
                # The demo's monitors: always up, or down two minutes in every ten.
                down = rest == ["flap"] and time.localtime().tm_min % 10 < 2
                text = b"Unavailable" if down else b"All systems operational"
                return self._reply(503 if down else 200, text, "text/plain")
            if provider == "telegram" and len(rest) == 2 and rest[0].startswith("bot"):
                status, value = sim.telegram(rest[1], params)
                if status == 200:
                    return self._reply(200, {"ok": True, "result": value})
                return self._reply(
                    status, {"ok": False, "error_code": status, "description": value}
                )
            if provider == "vk" and len(rest) == 2 and rest[0] == "method":
                code, value = sim.vk(rest[1], params)
                if code:
                    return self._reply(200, {"error": {"error_code": code, "error_msg": value}})
                return self._reply(200, {"response": value})
            if provider == "vk" and rest[:1] == ["upload"]:
                token = json.dumps({"n": sim.next_id()})
                return self._reply(
                    200, {"server": 1, "photo": token, "hash": "demo", "file": token}
                )
            if provider == "whatsapp" and len(rest) >= 2 and rest[0].startswith("v"):
                return self._reply(*sim.whatsapp(http, rest[1:], params))
            return self._reply(404, b"Not Found", "text/plain")

        def _params(self, query: str) -> dict[str, Any] | None:
            params: dict[str, Any] = dict(parse_qsl(query))
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return None
            body = self.rfile.read(length) if length else b""
            ctype = self.headers.get("Content-Type", "")
            if ctype.startswith("application/json") and body:
                found = json.loads(body)
                params.update(found if isinstance(found, dict) else {})
            elif ctype.startswith("application/x-www-form-urlencoded"):
                params.update(parse_qsl(body.decode()))
            elif ctype.startswith("multipart/form-data"):
                message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    f"Content-Type: {ctype}\r\n\r\n".encode() + body
                )
                for part in message.iter_parts():
                    if part.get_filename() is None:
                        raw = part.get_payload(decode=True)
                        name = part.get_param("name", header="content-disposition")
                        params[str(name)] = raw.decode() if isinstance(raw, bytes) else ""
            return params

    return Handler


_running: Simulator | None = None


def demo_points_here() -> bool:
    """Whether this database's demo accounts use the simulator at its configured port."""
    from opora.messengers.models import TelegramBot

    return TelegramBot.objects.filter(api_base__startswith=base_url()).exists()


def start_for_demo(events: list[Any]) -> None:
    """`opora serve` in the embedded default mode: start the simulator when the demo
    is loaded here. A busy port or a database not yet migrated only logs why not."""
    global _running
    port = settings.DEMO_SIMULATOR_PORT
    if _running is not None or not port:
        return
    try:
        if not demo_points_here():
            return
        _running = Simulator().start(port)
    except Exception as exc:
        logger.warning("the demo's messenger simulator did not start on port %s: %s", port, exc)
        return
    logger.info("the demo's messenger simulator listens on %s", _running.url)
