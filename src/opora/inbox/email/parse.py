"""Reading a raw message: headers, text and HTML bodies, attachments, whatever the charset.

Mail in the wild lies: charsets that are not what the header says, 8-bit bodies
without any charset, raw bytes in headers, broken MIME. Every reader here degrades to
a best guess instead of raising; `parse_message` only raises on input it cannot read
at all, and the pipeline turns that into a ticket flagged for review.
"""

from __future__ import annotations

import codecs
import email
import email.header
import email.utils
import html
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message

import charset_normalizer

from opora.inbox.email import tnef

# Aliases mail clients write that Python does not know, or knows under another name.
_CHARSET_ALIASES = {
    "cp-1251": "cp1251",
    "win-1251": "cp1251",
    "windows1251": "cp1251",
    "x-cp1251": "cp1251",
    "koi8r": "koi8_r",
    "x-koi8-r": "koi8_r",
    "unicode-1-1-utf-7": "utf-7",
    "ks_c_5601-1987": "cp949",
    "x-unknown": "",
    "unknown-8bit": "",
    "x-user-defined": "",
    "default": "",
    "us-ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
}
# Single-byte charsets that decode any bytes, so a wrong one never fails loudly.
_PERMISSIVE = {"iso8859-1", "cp1252", "ascii"}
_CYRILLIC_SINGLE = ("cp1251", "koi8-r")


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""
    inline: bool = False


@dataclass
class ParsedMail:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    reply_to: str = ""
    sender: str = ""
    return_path: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    date: str = ""
    text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    content_type: str = "text/plain"
    report_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    defects: list[str] = field(default_factory=list)
    forwarded: list[Message] = field(default_factory=list)


def _norm_charset(name: str | None) -> str:
    if not name:
        return ""
    key = name.strip().strip('"').lower()
    key = _CHARSET_ALIASES.get(key, key)
    if not key:
        return ""
    try:
        return codecs.lookup(key).name
    except LookupError:
        return ""


def _cyrillic_score(text: str) -> int:
    # Russian prose is mostly lower-case; KOI8-R read as CP1251 (or the reverse)
    # turns it into mostly upper-case letters, which this tells apart.
    lower = sum(1 for ch in text if "а" <= ch <= "я")
    upper = sum(1 for ch in text if "А" <= ch <= "Я")
    return lower - 2 * upper


_WORD = re.compile(r"[^\W\d_]+")


def _looks_russian(text: str) -> bool:
    """Whole words in Cyrillic, mostly lower-case: not Latin text misread as Cyrillic
    (which shows as single Cyrillic letters inside Latin words)."""
    pure = mixed = 0
    for word in _WORD.findall(text[:5000]):
        cyr = sum(1 for ch in word if "\u0400" <= ch <= "\u04ff")
        if cyr == len(word):
            pure += 1
        elif cyr:
            mixed += 1
    return pure >= 1 and mixed * 4 <= pure and _cyrillic_score(text) > 0


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text from bytes in a declared (possibly wrong or missing) charset; never raises."""
    if not data:
        return ""
    charset = _norm_charset(declared)
    if charset and charset not in _PERMISSIVE and charset not in _CYRILLIC_SINGLE:
        try:
            return data.decode(charset)
        except (UnicodeDecodeError, LookupError):
            pass  # it lied: detect below
    if data.isascii():
        return data.decode("ascii")
    try:
        text = data.decode("utf-8")
        return text  # valid UTF-8 with 8-bit bytes is almost never anything else
    except UnicodeDecodeError:
        pass
    cyr = [data.decode(c, errors="replace") for c in _CYRILLIC_SINGLE]
    best = max(cyr, key=_cyrillic_score)
    if _looks_russian(best):
        # Bytes that read as Russian in one of the two Cyrillic charsets.
        return best
    if charset in _CYRILLIC_SINGLE or charset in _PERMISSIVE:
        return data.decode(charset, errors="replace")
    guess = charset_normalizer.from_bytes(data[:20000]).best()
    if guess is not None and guess.encoding:
        try:
            return data.decode(guess.encoding, errors="replace")
        except LookupError:
            pass
    return data.decode("cp1252", errors="replace")


def _decode_header_value(raw: str) -> str:
    """RFC 2047 words and raw 8-bit bytes (kept as surrogates) to text."""
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        raw = decode_bytes(raw.encode("utf-8", "surrogateescape"))
    elif not raw.isascii():
        raw = decode_bytes(raw.encode("utf-8", "surrogatepass"))
    if "=?" not in raw:
        return " ".join(raw.split())
    try:
        parts = []
        for chunk, cs in email.header.decode_header(raw):
            if isinstance(chunk, bytes):
                parts.append(decode_bytes(chunk, cs))
            else:
                parts.append(chunk)
        text = "".join(parts)
    except Exception:  # a malformed encoded word: keep the raw text
        text = raw
    return " ".join(text.split())


def header(msg: Message, name: str) -> str:
    """One header as text, decoded by us from the raw value: the policy's own parsing
    turns raw 8-bit bytes into replacement characters and fails on odd syntax."""
    values = _raw_header(msg, name)
    if not values:
        return ""
    return _decode_header_value(values[0])


def _raw_header(msg: Message, name: str) -> list[str]:
    wanted = name.lower()
    return [str(v) for k, v in msg.raw_items() if k.lower() == wanted]


_MSGID = re.compile(r"<([\x21-\x3b\x3d\x3f-\x7e]{1,250})>")


def message_ids(value: str) -> list[str]:
    """Message-IDs (without brackets) in a header value, in order, without repeats."""
    found = _MSGID.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = ["".join(ch for ch in value.strip().strip("<>") if "!" <= ch <= "~")[:250]]
    return list(dict.fromkeys(f for f in found if f))


def addresses(values: list[str]) -> list[tuple[str, str]]:
    """(name, address) pairs from address headers; malformed ones are skipped."""
    out = []
    for name, addr in email.utils.getaddresses([_decode_header_value(v) for v in values]):
        addr = addr.strip().strip("<>").lower()
        if "@" in addr and " " not in addr and len(addr) <= 254:
            out.append((name.strip(), addr))
    return out


_NAME_HEADERS = ("Content-Disposition", "Content-Type")


def _part_filename(part: Message) -> str:
    source = part
    raw = [(h, v) for h in _NAME_HEADERS for v in _raw_header(part, h)]
    if any(not v.isascii() for _, v in raw):
        # Raw 8-bit bytes in the header (a UTF-8 file name without encoding): read
        # the parameters from our decoding of it, not from the parser's.
        source = Message()
        for h, v in raw:
            source[h] = _decode_header_value(v)
    try:
        name = source.get_filename()
    except Exception:
        name = None
    if name:
        return _decode_header_value(str(name))
    return ""


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _part_text(part: Message) -> str:
    try:
        declared = part.get_content_charset()
    except Exception:
        declared = None
    return decode_bytes(_payload_bytes(part), declared)


_EXT = {"text/plain": "txt", "text/html": "html", "message/rfc822": "eml"}


def _walk(msg: Message, out: ParsedMail, depth: int = 0) -> None:
    texts: list[str] = []
    htmls: list[str] = []
    _collect(msg, out, texts, htmls, depth)
    out.text = "\n\n".join(t for t in texts if t.strip())
    out.html = "\n".join(htmls)


def _collect(
    part: Message, out: ParsedMail, texts: list[str], htmls: list[str], depth: int
) -> None:
    if depth > 30:  # a bomb of nested parts
        out.defects.append("nesting too deep")
        return
    ctype = part.get_content_type()
    if ctype == "message/rfc822" or (ctype.startswith("message/") and not part.is_multipart()):
        _attach_message(part, ctype, out)
        return
    if part.is_multipart():
        subparts = part.get_payload()
        if not isinstance(subparts, list):
            return
        if ctype == "multipart/alternative":
            # Prefer the richest alternative we can read, keep a plain one for text.
            parts = [p for p in subparts if isinstance(p, Message)]
            plain = [p for p in parts if p.get_content_type() == "text/plain"]
            rich = [p for p in parts if p.get_content_type() == "text/html"]
            inner_texts: list[str] = []
            inner_htmls: list[str] = []
            for sub in subparts:
                if isinstance(sub, Message) and sub.is_multipart():
                    # e.g. multipart/related: HTML with its inline images
                    _collect(sub, out, inner_texts, inner_htmls, depth + 1)
            texts.extend([_part_text(plain[-1])] if plain else inner_texts)
            htmls.extend([_part_text(rich[-1])] if rich else inner_htmls)
            return
        for sub in subparts:
            if isinstance(sub, Message):
                _collect(sub, out, texts, htmls, depth + 1)
        return
    filename = _part_filename(part)
    disposition = (part.get_content_disposition() or "").lower()
    if not filename and (ctype.startswith("multipart/") or ctype.split("/")[0] not in _BINARY):
        # A multipart whose parts could not be split, or a type nobody knows: the
        # bytes are most likely the text itself.
        ctype = "text/html" if ctype == "text/html" else "text/plain"
    is_body_text = ctype in ("text/plain", "text/html") and not filename
    if is_body_text and disposition != "attachment":
        (texts if ctype == "text/plain" else htmls).append(_part_text(part))
        return
    content_id = header(part, "Content-ID").strip().strip("<>")
    ext = _EXT.get(ctype) or ctype.split("/")[-1][:10] or "bin"
    content = _payload_bytes(part)
    out.attachments.append(
        ParsedAttachment(
            filename=filename or (f"{content_id or 'attachment'}.{ext}"),
            content_type=ctype,
            content=content,
            content_id=content_id,
            inline=disposition == "inline" or bool(content_id and disposition != "attachment"),
        )
    )
    if tnef.is_tnef(ctype, filename):
        # Outlook's winmail.dat: kept as it is, and the files inside it beside it.
        out.attachments.extend(
            ParsedAttachment(filename=f.filename, content_type=f.content_type, content=f.content)
            for f in tnef.extract(content)
        )


_BINARY = {"application", "image", "audio", "video", "font", "model", "message"}


def _attach_message(part: Message, ctype: str, out: ParsedMail) -> None:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if isinstance(inner, Message) and ctype == "message/rfc822":
        out.forwarded.append(inner)
        try:
            data = inner.as_bytes(policy=policy.default.clone(linesep="\r\n"))
        except Exception:  # a broken inner message cannot be serialised again
            data = _payload_bytes(part)
    else:
        data = _payload_bytes(part)
    out.attachments.append(
        ParsedAttachment(
            filename=_part_filename(part) or f"message.{_EXT.get(ctype, 'txt')}",
            content_type=ctype,
            content=data,
        )
    )


_TAGS = re.compile(r"<[^>]*>")
_BLOCK = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h\d|p|div|li|tr|hr)[^>]*>", re.IGNORECASE)
_DROP = re.compile(r"<(script|style|head|title)[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def html_to_text(markup: str) -> str:
    """Readable text from HTML, for the plain body of HTML-only mail."""
    text = _DROP.sub("", markup)
    text = re.sub(r"<\s*blockquote[^>]*>", "\n> ", text, flags=re.IGNORECASE)
    text = _BLOCK.sub("\n", text)
    text = html.unescape(_TAGS.sub("", text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def parse_message(raw: bytes, *, headers_only: bool = False) -> ParsedMail:
    """Everything Opora needs from a raw message. Raises only on unreadable input."""
    # compat32 keeps header values raw (we decode them ourselves, see `header`) and
    # skips the structured header parsing of policy.default, most of the parse time.
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    if not msg.keys():
        raise ValueError("no headers found")
    out = ParsedMail()
    out.message_id = (message_ids(" ".join(_raw_header(msg, "Message-ID"))) or [""])[0][:250]
    out.in_reply_to = message_ids(" ".join(_raw_header(msg, "In-Reply-To")))
    out.references = message_ids(" ".join(_raw_header(msg, "References")))
    out.subject = header(msg, "Subject")[:1000]
    froms = addresses(_raw_header(msg, "From"))
    if froms:
        out.from_name, out.from_address = froms[0]
    out.reply_to = next((a for _, a in addresses(_raw_header(msg, "Reply-To"))), "")
    out.sender = next((a for _, a in addresses(_raw_header(msg, "Sender"))), "")
    out.return_path = next((a for _, a in addresses(_raw_header(msg, "Return-Path"))), "")
    out.to = [a for _, a in addresses(_raw_header(msg, "To"))]
    out.cc = [a for _, a in addresses(_raw_header(msg, "Cc"))]
    out.delivered_to = [
        a
        for _, a in addresses(
            _raw_header(msg, "Delivered-To")
            + _raw_header(msg, "X-Original-To")
            + _raw_header(msg, "Envelope-To")
        )
    ]
    out.date = header(msg, "Date")
    for name in (
        "Auto-Submitted",
        "X-Autoreply",
        "X-Autorespond",
        "X-Auto-Response-Suppress",
        "Precedence",
        "List-Id",
        "X-Loop",
        "X-Opora-Loop",
        "X-Failed-Recipients",
        "X-Mailer",
    ):
        value = header(msg, name)
        if value:
            out.headers[name.lower()] = value[:500]
    out.content_type = msg.get_content_type()
    if out.content_type == "multipart/report":
        out.report_type = str(msg.get_param("report-type") or "").lower()
    out.defects = [type(d).__name__ for d in msg.defects][:20]
    if headers_only:
        return out
    _walk(msg, out)
    if not out.text.strip() and out.html.strip():
        out.text = html_to_text(out.html)
    return out
