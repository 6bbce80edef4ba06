"""Building TNEF (winmail.dat) streams for tests, from the format's description.

A stream is a signature, a key, then attributes: level (1 message, 2 attachment),
attribute id (16-bit name, 16-bit type), length, data, 16-bit checksum of the data.
An attachment starts with attAttachRendData; attAttachTitle holds its short name,
attAttachData its bytes, attAttachment its MAPI properties (the long file name).
"""

from __future__ import annotations

import struct

SIGNATURE = 0x223E9F78
BYTE, STRING, DWORD = 0x0006, 0x0001, 0x0008
PT_STRING8, PR_ATTACH_LONG_FILENAME = 0x001E, 0x3707


def attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", checksum)


def mapi_string(prop: int, value: bytes) -> bytes:
    """One MAPI property block holding one 8-bit string property."""
    value += b"\x00"
    padding = b"\x00" * (-len(value) % 4)
    return struct.pack("<IHHII", 1, PT_STRING8, prop, 1, len(value)) + value + padding


def tnef(
    files: list[tuple[str, bytes]],
    *,
    codepage: int = 1252,
    extra: bytes = b"",
    long_names: bool = True,
) -> bytes:
    """A stream carrying `files` (long name, bytes), as Outlook writes them; without
    `long_names` only the short 8.3 titles name them."""
    encoding = f"cp{codepage}"
    out = struct.pack("<IH", SIGNATURE, 0x0A5C)
    out += attribute(1, 0x9006, DWORD, struct.pack("<I", 0x00010000))  # TNEF version
    out += attribute(1, 0x9007, BYTE, struct.pack("<II", codepage, 0))  # OEM code page
    out += attribute(1, 0x8008, STRING, b"IPM.Microsoft Mail.Note\x00")  # message class
    out += extra
    for index, (name, content) in enumerate(files):
        short = f"FILE{index}~1.{name.rsplit('.', 1)[-1][:3].upper()}".encode()
        out += attribute(2, 0x9002, BYTE, struct.pack("<HIIHI", 1, 0xFFFFFFFF, 0, 0, 0))
        out += attribute(2, 0x8010, STRING, short + b"\x00")
        out += attribute(2, 0x800F, BYTE, content)
        if long_names:
            long_name = mapi_string(PR_ATTACH_LONG_FILENAME, name.encode(encoding))
            out += attribute(2, 0x9005, BYTE, long_name)
    return out
