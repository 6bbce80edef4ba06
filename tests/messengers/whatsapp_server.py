"""A local WhatsApp Business Cloud API (Graph API) server for the tests, speaking the
documented wire format.

https://developers.facebook.com/docs/whatsapp/cloud-api/reference: every call carries
`Authorization: Bearer <token>`; `POST /<version>/<phone id>/messages` (JSON) answers
`{"messaging_product": "whatsapp", "contacts": [...], "messages": [{"id": "wamid…"}]}`;
`POST /<version>/<phone id>/media` (multipart: file, type, messaging_product) answers
`{"id": …}`; `GET /<version>/<media id>` answers the media's short-lived URL, type,
hash and size, and that URL gives the bytes (with the token); `GET /<version>/<phone
id>` describes the number. Errors are `{"error": {"message", "type", "code",
"error_data": {"details"}, "fbtrace_id"}}` with a 4xx or 5xx status.

It keeps what it was asked (`calls`) and refuses on demand: a recipient whose window
is closed (131047) or who cannot be reached (131026), a failing server (500), a wrong
token (401, code 190), or none at all once stopped (connection refused).
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

PHONE_NUMBER_ID = "106540352242922"
ACCESS_TOKEN = "EAAG-local-test-access-token-0123456789abcdef"
VERSION = "21.0"
VERIFIED_NAME = "Acme Support"
DISPLAY_NUMBER = "+1 555-010-0000"
ERRORS = {
    131047: (
        "Re-engagement message",
        "More than 24 hours have passed since the recipient last replied to the sender number.",
    ),
    131026: ("Message undeliverable", "Unable to deliver message."),
    190: ("Invalid OAuth access token", "Invalid OAuth access token - Cannot parse access token"),
    1: ("An unknown error occurred", "Please retry your request later."),
}


@dataclass
class Call:
    method: str  # "GET" or "POST"
    path: str  # without the version: "/<phone id>/messages", "/<media id>", "/download/…"
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)


class WhatsAppServer:
    def __init__(self, token: str = ACCESS_TOKEN, phone_id: str = PHONE_NUMBER_ID) -> None:
        self.token = token
        self.phone_id = phone_id
        self.calls: list[Call] = []
        self.media: dict[str, tuple[bytes, str]] = {}  # media id → (bytes, mime type)
        self.refuse: dict[str, int] = {}  # recipient wa_id → error code
        self.failing = 0  # answer this many calls with 500
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # --- set-up -------------------------------------------------------------------

    def start(self) -> WhatsAppServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def add_media(self, media_id: str, data: bytes, mime_type: str) -> None:
        self.media[media_id] = (data, mime_type)

    def messages(self) -> list[dict[str, Any]]:
        """The messages sent, as the JSON bodies the client posted."""
        return [c.params for c in self.calls if c.path == f"/{self.phone_id}/messages"]

    def uploads(self) -> list[Call]:
        return [c for c in self.calls if c.path == f"/{self.phone_id}/media"]

    # --- the API ------------------------------------------------------------------

    def _error(self, status: int, code: int) -> tuple[int, Any]:
        title, details = ERRORS.get(code, ("Error", ""))
        return status, {
            "error": {
                "message": f"({code}) {title}",
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": details},
                "fbtrace_id": "AbCdEf",
            }
        }

    def answer(self, call: Call) -> tuple[int, Any]:
        parts = call.path.strip("/").split("/")
        if call.method == "GET" and parts == [self.phone_id]:
            return 200, {
                "id": self.phone_id,
                "verified_name": VERIFIED_NAME,
                "display_phone_number": DISPLAY_NUMBER,
                "quality_rating": "GREEN",
            }
        if call.method == "POST" and parts == [self.phone_id, "messages"]:
            to = str(call.params.get("to", ""))
            if to in self.refuse:
                return self._error(400, self.refuse[to])
            wamid = f"wamid.HBgL{next(self._ids):06d}"
            return 200, {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            }
        if call.method == "POST" and parts == [self.phone_id, "media"]:
            found = call.files.get("file")
            if found is None:
                return 400, {"error": {"message": "file is required", "code": 100}}
            media_id = f"{900000 + next(self._ids)}"
            self.media[media_id] = (found[1], found[2])
            return 200, {"id": media_id}
        if call.method == "GET" and len(parts) == 1 and parts[0] in self.media:
            data, mime = self.media[parts[0]]
            return 200, {
                "messaging_product": "whatsapp",
                "url": f"{self.url}/download/{parts[0]}?ext=1",
                "mime_type": mime,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": len(data),
                "id": parts[0],
            }
        return 404, {"error": {"message": "Unknown path components", "code": 2500}}

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

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                path = unquote(parts.path)
                params, files = self._params(parts.query)
                if self.headers.get("Authorization") != f"Bearer {api.token}":
                    status, value = api._error(401, 190)
                    return self._reply(status, json.dumps(value).encode())
                if path.startswith("/download/"):
                    with api._lock:
                        api.calls.append(Call(method, path, params))
                    found = api.media.get(path.removeprefix("/download/"))
                    if found is None:
                        return self._reply(404, b"Not Found", "text/plain")
                    return self._reply(200, found[0], found[1])
                prefix = f"/v{VERSION}/"
                if not path.startswith(prefix):
                    return self._reply(
                        400, b'{"error": {"message": "Unknown version", "code": 2500}}'
                    )
                call = Call(method, "/" + path[len(prefix) :], params, files)
                with api._lock:
                    api.calls.append(call)
                    if api.failing:
                        api.failing -= 1
                        status, value = api._error(500, 1)
                    else:
                        status, value = api.answer(call)
                return self._reply(status, json.dumps(value).encode())

            def _params(self, query: str) -> tuple[dict[str, Any], dict[str, Any]]:
                params: dict[str, Any] = dict(parse_qsl(query))
                files: dict[str, tuple[str, bytes, str]] = {}
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                ctype = self.headers.get("Content-Type", "")
                if ctype.startswith("application/json") and body:
                    params.update(json.loads(body))
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
                            files[str(name)] = (filename, data, part.get_content_type())
                        else:
                            params[str(name)] = data.decode()
                return params, files

        return Handler
