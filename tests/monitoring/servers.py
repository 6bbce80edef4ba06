"""Local servers the monitoring tests check: plain HTTP whose answers the test sets,
TLS with a self-signed certificate made by the test, and a bare TCP listener. All on
127.0.0.1, on free ports, in daemon threads."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Behaviour:
    status: int = 200
    body: bytes = b"<html>All systems operational</html>"
    content_type: str = "text/html"
    delay: float = 0.0
    redirect_to: str = ""
    hits: int = 0
    paths: list[str] = field(default_factory=list)


class HttpServer:
    """Answers every GET as `behaviour` says; `/redirect/<n>` redirects n more times."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.behaviour = Behaviour()
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        self.server = server
        self.port = int(server.server_address[1])
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def set(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self.behaviour, name, value)

    def json(self, value: Any) -> None:
        self.set(body=json.dumps(value).encode(), content_type="application/json")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                b = outer.behaviour
                b.hits += 1
                b.paths.append(self.path)
                if self.path.startswith("/redirect/"):
                    left = int(self.path.rsplit("/", 1)[1])
                    target = (
                        b.redirect_to if left == 0 and b.redirect_to else f"/redirect/{left - 1}"
                    )
                    if left == 0 and not b.redirect_to:
                        target = "/"
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if b.delay:
                    time.sleep(b.delay)
                self.send_response(b.status)
                self.send_header("Content-Type", b.content_type)
                self.send_header("Content-Length", str(len(b.body)))
                self.end_headers()
                self.wfile.write(b.body)

        return Handler


def self_signed(directory: Path, *, days: float) -> ssl.SSLContext:
    """A server context with a new key and a certificate for 127.0.0.1 valid `days`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file = directory / f"cert-{days}.pem"
    key_file = directory / f"key-{days}.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


class TcpListener:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = int(self.sock.getsockname()[1])
        self._open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self._open:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            conn.close()

    def stop(self) -> None:
        self._open = False
        self.sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
