"""The files inside an Outlook TNEF part (winmail.dat), read with tnefparse.

The winmail.dat itself is always kept; the files found inside are added next to it.
Nothing here may fail a message: a broken or hostile stream yields no files.

tnefparse trusts the counts inside the stream: a MAPI property block claiming four
billion properties keeps its loop running for hours, and every object costs a copy of
the rest of the stream. So it is handed, one attachment at a time, small streams
rebuilt from the objects Opora needs, each checked first by a walk here that is bounded
by the bytes it reads: lengths inside the data, counts no larger than the bytes could
hold, no embedded messages (which tnefparse would parse again, unchecked).
"""

from __future__ import annotations

import logging
import mimetypes
import struct
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("opora.inbox.email")

SIGNATURE = struct.pack("<I", 0x223E9F78)
CONTENT_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}
MAX_STREAM = 64 * 1024 * 1024  # larger parts are kept, not opened
MAX_FILES = 500

LEVEL_MESSAGE, LEVEL_ATTACHMENT = 1, 2
# Attribute ids (the low 16 bits; the high 16 bits are the type).
ATT_ATTACH_DATA = 0x800F
ATT_ATTACH_TITLE = 0x8010
ATT_ATTACH_REND_DATA = 0x9002  # starts each attachment
ATT_ATTACHMENT = 0x9005  # the attachment's MAPI properties (long file name, data)
ATT_TNEF_VERSION = 0x9006
ATT_OEM_CODEPAGE = 0x9007
_KEEP = {ATT_ATTACH_DATA, ATT_ATTACH_TITLE, ATT_ATTACH_REND_DATA, ATT_ATTACHMENT}

_IMESSAGE = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"
_ATTACH_DATA_OBJ = 0x3701


@dataclass(frozen=True)
class TnefFile:
    filename: str
    content_type: str
    content: bytes


def is_tnef(content_type: str, filename: str) -> bool:
    return content_type.lower() in CONTENT_TYPES or filename.lower() == "winmail.dat"


def extract(data: bytes) -> list[TnefFile]:
    """The files inside a TNEF stream; [] when it is not one, is broken, or is hostile."""
    if not data.startswith(SIGNATURE) or len(data) > MAX_STREAM:
        return []
    try:
        streams = _checked_streams(data)
    except (struct.error, IndexError):
        streams = None
    if streams is None:
        logger.info("TNEF part not readable")
        return []
    from tnefparse import TNEF

    files: list[TnefFile] = []
    for stream in streams:
        try:
            attachments = TNEF(stream, do_checksum=False).attachments
        except Exception as exc:  # this attachment is broken: the others still count
            logger.info("TNEF attachment not readable: %s", type(exc).__name__)
            continue
        for attachment in attachments:
            content = attachment.data
            if not isinstance(content, bytes) or not content:
                continue
            name = _filename(attachment) or f"attachment-{len(files) + 1}.bin"
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            files.append(TnefFile(filename=name, content_type=content_type, content=content))
    return files


def _filename(attachment: Any) -> str:
    """The long file name, else the short title; tnefparse reads titles as UTF-8 and
    raises on the Windows code pages Outlook writes them in."""
    try:
        name = _text(attachment.long_filename())
    except Exception:
        name = ""
    return name or _text(getattr(attachment, "_name", b""))


def _text(value: object) -> str:
    if isinstance(value, bytes):
        from opora.inbox.email.parse import decode_bytes

        value = decode_bytes(value.replace(b"\x00", b""))
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "").strip()


class _Broken(Exception):
    pass


def _checked_streams(data: bytes) -> list[bytes] | None:
    """One small stream per attachment (signature, key, version and code page, then the
    attachment's own attributes, each checked); None when the stream is broken.

    Read one by one, each costs tnefparse a few copies of its own size, not of the
    whole stream, and one broken attachment does not cost the others.
    """
    head = [data[:6]]
    groups: list[dict[int, bytes]] = []
    offset, size = 6, len(data)
    while offset + 11 <= size:
        level = data[offset]
        name, _type, length = struct.unpack_from("<HHI", data, offset + 1)
        end = offset + 9 + length + 2
        if level not in (LEVEL_MESSAGE, LEVEL_ATTACHMENT) or end > size:
            return None
        if level == LEVEL_MESSAGE and name in (ATT_TNEF_VERSION, ATT_OEM_CODEPAGE):
            head.append(data[offset:end])
        elif level == LEVEL_ATTACHMENT and name == ATT_ATTACH_REND_DATA:
            if len(groups) >= MAX_FILES:
                break
            groups.append({name: data[offset:end]})
        elif level == LEVEL_ATTACHMENT and name in _KEEP and groups and name not in groups[-1]:
            # Attributes before the first rendering record belong to no attachment, and
            # an attachment has each of them once: repeats are ignored.
            value = data[offset + 9 : offset + 9 + length]
            if name != ATT_ATTACHMENT or _mapi_is_safe(value):
                groups[-1][name] = data[offset:end]
        offset = end
    prefix = b"".join(head[:3])
    # tnefparse stops 12 bytes short of the end, which would skip a last attribute of
    # one byte (a one-byte file): two bytes of padding, too short to be read, avoid it.
    return [prefix + b"".join(group.values()) + b"\x00\x00" for group in groups]


def _mapi_is_safe(data: bytes) -> bool:
    """Whether tnefparse's MAPI decoder will finish quickly on this block.

    Walks the block the way the decoder does; every step must stay inside the bytes,
    so the walk (and the decoder after it) ends after at most len(data) / 2 steps.
    """
    size = len(data)

    def u32(at: int) -> int:
        if at + 4 > size:
            raise _Broken
        value: int = struct.unpack_from("<I", data, at)[0]
        return value

    def padded(length: int) -> int:
        return length + (-length % 4)

    try:
        count = u32(0)
        offset = 4
        if count > size // 4:
            return False
        for _ in range(count):
            if offset >= size:
                return True  # the decoder skips the rest
            if offset + 4 > size:
                return False
            kind, name = struct.unpack_from("<HH", data, offset)
            offset += 4
            if name >= 0x8000:  # a named property: GUID, then an id or a name
                offset += 16
                offset += 8 if u32(offset) == 0 else 4 + padded(u32(offset + 4)) + 4
            values = None
            if kind & 0x1000:
                kind ^= 0x1000
                values = u32(offset)
                offset += 4
                if values > (size - offset) // 2 + 1:
                    return False
            for _ in range(values or 1):
                if kind in (0x0002, 0x000B):
                    offset += 2
                elif kind in (0x0003, 0x0004, 0x000A):
                    offset += 4
                elif kind in (0x0005, 0x0006, 0x0007, 0x0014, 0x0040):
                    offset += 8
                elif kind == 0x0048:
                    offset += 16
                elif kind in (0x0000, 0x001E, 0x001F, 0x000D, 0x0102):
                    items = 1 if values else u32(offset)
                    if not values:
                        offset += 4
                    if items > (size - offset) // 4 + 1:
                        return False
                    for _ in range(items):
                        length = u32(offset)
                        start = offset + 4
                        if name == _ATTACH_DATA_OBJ and data.startswith(_IMESSAGE, start):
                            return False  # an embedded message: parsed again, unchecked
                        offset = start + padded(length)
                        if offset > size:
                            return False
                else:
                    return True  # the decoder stops at an unknown type
                if offset > size:
                    return False
            if (values or 1) % 2 and kind in (0x0002, 0x000B):
                offset += 2
    except (_Broken, struct.error):
        return False
    return True
