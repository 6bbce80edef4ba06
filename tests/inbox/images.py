"""Small real images for mail tests, built here rather than shipped as files."""

from __future__ import annotations

import struct
import zlib
from email.message import EmailMessage
from email.utils import make_msgid


def png(width: int = 12, height: int = 8, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid PNG of one colour, which any browser decodes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width  # filter byte 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def related_mail(
    *,
    cid: str = "logo.7f3a@acme.test",
    image: bytes = b"",
    extra_attachment: bool = False,
) -> bytes:
    """What mail clients send for HTML with a pasted picture: multipart/related."""
    image = image or png(16, 10)
    msg = EmailMessage()
    msg["From"] = "Dana <dana@acme.test>"
    msg["To"] = "support@desk.test"
    msg["Subject"] = "The error dialog"
    msg["Message-ID"] = make_msgid(domain="acme.test")
    msg.set_content("Hello, this dialog appears when I print:\n\n[image]\n")
    msg.add_alternative(
        f'<p>Hello, this dialog appears when I print:</p><p><img src="cid:{cid}" alt="dialog"></p>',
        subtype="html",
    )
    html_part = msg.get_body(preferencelist=("html",))
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(image, maintype="image", subtype="png", cid=f"<{cid}>")
    if extra_attachment:
        msg.add_attachment(b"printer log", maintype="text", subtype="plain", filename="log.txt")
    return msg.as_bytes()
