"""A local Telegram Bot API server for the tests, speaking the documented wire format.

https://core.telegram.org/bots/api#making-requests: methods at `/bot<token>/<METHOD>`,
parameters as a query string, `application/x-www-form-urlencoded`, `application/json`
or `multipart/form-data` (files), answers `{"ok": true, "result": …}` or `{"ok": false,
"error_code": …, "description": …}`; files at `/file/bot<token>/<file_path>`.

It keeps what it was asked (`calls`), holds updates for getUpdates and files for
getFile, and answers with a refusal on demand: a chat that blocked the bot (403
"Forbidden: bot was blocked by the user"), a failing server (500), or none at all once
stopped (connection refused). The real client library talks to it over HTTP.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

BOT_ID = 7000001
TOKEN = f"{BOT_ID}:AAH-local-test-token-0123456789abcdef"
USERNAME = "opora_desk_bot"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


class TelegramServer:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id → (file_path, bytes)
        self.blocked: set[str] = set()  # chat ids that blocked the bot
        self.failing = 0  # answer this many method calls with 500
        self.webhook: dict[str, Any] = {}
        self._ids = itertools.count(100)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # --- set-up -------------------------------------------------------------------

    def start(self) -> TelegramServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening: calls now meet a refused connection."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def add_file(self, file_id: str, data: bytes, path: str) -> None:
        self.files[file_id] = (path, data)

    def queue_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)

    def sent(self, *methods: str) -> list[Call]:
        return [c for c in self.calls if c.method in methods]

    # --- the methods --------------------------------------------------------------

    def _message(self, chat_id: str, **extra: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": int(chat_id) if chat_id.lstrip("-").isdigit() else 0, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Desk", "username": USERNAME},
            **extra,
        }

    def answer(self, method: str, params: dict[str, Any], files: dict[str, Any]) -> Any:
        """(status, result or description) of one method call."""
        if method == "getMe":
            return 200, {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Desk",
                "username": USERNAME,
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            limit = int(params.get("limit") or 100)
            # Asking from an offset confirms every update before it.
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            return 200, self.updates[:limit]
        if method in ("setWebhook", "deleteWebhook"):
            self.webhook = dict(params) if method == "setWebhook" else {}
            return 200, True
        if method == "getFile":
            found = self.files.get(str(params.get("file_id")))
            if found is None:
                return 400, "Bad Request: invalid file_id"
            path, data = found
            return 200, {
                "file_id": params["file_id"],
                "file_unique_id": f"u{params['file_id']}",
                "file_size": len(data),
                "file_path": path,
            }
        if method in ("sendMessage", "sendPhoto", "sendDocument"):
            chat_id = str(params.get("chat_id", ""))
            if chat_id in self.blocked:
                return 403, "Forbidden: bot was blocked by the user"
            if not chat_id:
                return 400, "Bad Request: chat not found"
            if method == "sendMessage":
                return 200, self._message(chat_id, text=params.get("text", ""))
            key = "photo" if method == "sendPhoto" else "document"
            name, data = files.get(key, ("", b""))
            if method == "sendPhoto":
                size = {"file_id": "p1", "file_unique_id": "up1", "width": 1, "height": 1}
                return 200, self._message(chat_id, photo=[size | {"file_size": len(data)}])
            return 200, self._message(
                chat_id,
                document={
                    "file_id": "d1",
                    "file_unique_id": "ud1",
                    "file_name": name,
                    "file_size": len(data),
                },
            )
        return 404, "Not Found: method not found"

    # --- HTTP ---------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet tests

            def _reply(self, status: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, value: Any) -> None:
                if status == 200:
                    payload = {"ok": True, "result": value}
                else:
                    payload = {"ok": False, "error_code": status, "description": value}
                self._reply(status, json.dumps(payload).encode())

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                path = unquote(parts.path)
                file_prefix = f"/file/bot{api.token}/"
                if path.startswith(file_prefix):
                    wanted = path[len(file_prefix) :]
                    for stored_path, data in api.files.values():
                        if stored_path == wanted:
                            return self._reply(200, data, "application/octet-stream")
                    return self._reply(404, b"Not Found")
                prefix = f"/bot{api.token}/"
                if not path.startswith(prefix):
                    return self._json(401, "Unauthorized")
                method = path[len(prefix) :]
                params, files = self._params(parts.query)
                with api._lock:
                    api.calls.append(Call(method, params, files))
                    if api.failing and method != "getFile":
                        api.failing -= 1
                        return self._json(500, "Internal Server Error")
                    status, value = api.answer(method, params, files)
                return self._json(status, value)

            def _params(self, query: str) -> tuple[dict[str, Any], dict[str, Any]]:
                params: dict[str, Any] = dict(parse_qsl(query))
                files: dict[str, tuple[str, bytes]] = {}
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                ctype = self.headers.get("Content-Type", "")
                if ctype.startswith("application/json") and body:
                    params.update(json.loads(body))
                elif ctype.startswith("application/x-www-form-urlencoded"):
                    params.update(parse_qsl(body.decode()))
                elif ctype.startswith("multipart/form-data"):
                    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                        f"Content-Type: {ctype}\r\n\r\n".encode() + body
                    )
                    for part in message.iter_parts():
                        name = part.get_param("name", header="content-disposition")
                        raw = part.get_payload(decode=True)
                        data = raw if isinstance(raw, bytes) else b""
                        filename = part.get_filename()
                        if filename is not None:
                            files[str(name)] = (filename, data)
                        else:
                            params[str(name)] = data.decode()
                return params, files

        return Handler
