"""A local VK API server for the tests, speaking the documented wire format.

https://dev.vk.com/en/api/api-requests: methods at `/method/<name>`, parameters (with
`access_token` and `v`) in the query string or an `application/x-www-form-urlencoded`
body, answers `{"response": …}` or `{"error": {"error_code": …, "error_msg": …,
"request_params": […]}}` (HTTP 200 either way). Uploads
(https://dev.vk.com/en/api/upload): the `upload_url` a get…UploadServer method gives
takes `multipart/form-data` (`photo` for a message photo, `file` for a document) and
answers what the save method then takes. Attachments' files are served at `/files/…`.

It keeps what it was asked (`calls`, `uploads`) and answers with a refusal on demand: a
person who does not take the community's messages (error 901), a failing server (HTTP
500 with an HTML page), or none at all once stopped (connection refused). The real
client library talks to it over HTTP.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

GROUP_ID = 218000111
TOKEN = "vk1.a.local-test-token-0123456789abcdefABCDEF"
SECRET = "s3cretKey42"
CONFIRMATION = "a1b2c3d4"
GROUP_NAME = "Acme Support VK"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


class VkServer:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.uploads: list[Call] = []  # what reached the upload addresses
        self.files: dict[str, bytes] = {}  # path under /files/ → bytes
        self.people: dict[int, tuple[str, str]] = {}  # user id → (first, last name)
        self.posts: dict[str, str] = {}  # "<owner>_<post>" → text
        self.denied: set[int] = set()  # people who do not take the community's messages
        self.failing = 0  # answer this many method calls with HTTP 500
        self.errors: dict[str, tuple[int, str]] = {}  # method → its VK error, every time
        self.sent_ids: dict[tuple[str, str], int] = {}  # (peer, random_id) → message id
        self._ids = itertools.count(500)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # --- set-up -------------------------------------------------------------------

    def start(self) -> VkServer:
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

    def add_file(self, path: str, data: bytes) -> str:
        """Serve `data`; its address, as VK puts it in an attachment."""
        self.files[path] = data
        return f"{self.url}/files/{path}"

    def sent(self, *methods: str) -> list[Call]:
        return [c for c in self.calls if c.method in methods]

    # --- the methods --------------------------------------------------------------

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        """(0, response) or (error code, message) of one method call."""
        if params.get("access_token") != self.token:
            return 5, "User authorization failed: invalid access_token (4)."
        if method in self.errors:
            return self.errors[method]
        if method == "groups.getById":
            group = {"id": GROUP_ID, "name": GROUP_NAME, "screen_name": "acme", "type": "group"}
            return 0, {"groups": [group], "profiles": []}
        if method == "users.get":
            out = []
            for raw in str(params.get("user_ids", "")).split(","):
                if raw.strip().isdigit():
                    first, last = self.people.get(int(raw), ("Ivan", "Petrov"))
                    out.append({"id": int(raw), "first_name": first, "last_name": last})
            return 0, out
        if method == "wall.getById":
            key = str(params.get("posts", "")).split(",")[0]
            if key not in self.posts:
                return 0, {"items": []}
            owner, _, post = key.partition("_")
            return 0, {
                "items": [{"id": int(post), "owner_id": int(owner), "text": self.posts[key]}]
            }
        if method == "messages.send":
            peer = str(params.get("peer_id", ""))
            if not peer.isdigit():
                return 100, "One of the parameters specified was missing or invalid: peer_id"
            if int(peer) in self.denied:
                return 901, "Can't send messages for user without permission"
            once = (peer, str(params.get("random_id", "")))
            if once not in self.sent_ids:  # VK sends a random_id once
                self.sent_ids[once] = next(self._ids)
            return 0, self.sent_ids[once]
        if method == "photos.getMessagesUploadServer":
            return 0, {"upload_url": f"{self.url}/upload/photo", "album_id": -3, "user_id": 0}
        if method == "docs.getMessagesUploadServer":
            return 0, {"upload_url": f"{self.url}/upload/doc"}
        if method == "photos.saveMessagesPhoto":
            upload = json.loads(str(params.get("photo", "{}")))
            return 0, [{"id": upload["n"], "owner_id": -GROUP_ID, "access_key": "k1"}]
        if method == "docs.save":
            upload = json.loads(str(params.get("file", "{}")))
            doc = {"id": upload["n"], "owner_id": -GROUP_ID, "title": params.get("title", "")}
            return 0, {"type": "doc", "doc": doc}
        if method == "wall.createComment":
            return 0, {"comment_id": next(self._ids), "parents_stack": []}
        return 3, "Unknown method passed"

    def _upload(self, kind: str, files: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        number = len(self.uploads) + 1
        self.uploads.append(Call(kind, {}, files))
        token = json.dumps({"n": number})
        if kind == "photo":
            return {"server": 1, "photo": token, "hash": f"h{number}"}
        return {"file": token}

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
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                path = unquote(parts.path)
                params, files = self._params(parts.query)
                if path.startswith("/files/"):
                    data = api.files.get(path[len("/files/") :])
                    if data is None:
                        return self._reply(404, b"Not Found", "text/plain")
                    return self._reply(200, data, "application/octet-stream")
                if path in ("/upload/photo", "/upload/doc"):
                    kind = path.rsplit("/", 1)[1]
                    with api._lock:
                        answer = api._upload(kind, files)
                    return self._reply(200, json.dumps(answer).encode())
                if not path.startswith("/method/"):
                    return self._reply(404, b"Not Found", "text/plain")
                method = path[len("/method/") :]
                with api._lock:
                    api.calls.append(Call(method, params, files))
                    if api.failing:
                        api.failing -= 1
                        return self._reply(500, b"<html>Internal Server Error</html>", "text/html")
                    code, value = api.answer(method, params)
                if code:
                    request_params = [
                        {"key": "method", "value": method},
                        {"key": "v", "value": str(params.get("v", ""))},
                    ]
                    error = {
                        "error_code": code,
                        "error_msg": value,
                        "request_params": request_params,
                    }
                    return self._reply(200, json.dumps({"error": error}).encode())
                return self._reply(200, json.dumps({"response": value}).encode())

            def _params(self, query: str) -> tuple[dict[str, Any], dict[str, Any]]:
                params: dict[str, Any] = dict(parse_qsl(query))
                files: dict[str, tuple[str, bytes]] = {}
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                ctype = self.headers.get("Content-Type", "")
                if ctype.startswith("application/x-www-form-urlencoded"):
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
