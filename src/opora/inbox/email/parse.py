"""Reading a raw message: headers, text and HTML bodies, attachments, whatever the charset.

Mail in the wild lies: charsets that are not what the header says, 8-bit bodies
without any charset, raw bytes in headers, broken MIME. Every reader here degrades to
a best guess instead of raising; `parse_message` only raises on input it cannot read
at all, and the pipeline turns that into a ticket flagged for review.
"""

from __future__ import annotations

import base64
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
    # Every (name, address) of From: RFC 5322 allows several (then Sender names one).
    from_all: list[tuple[str, str]] = field(default_factory=list)
    reply_to: str = ""
    reply_to_name: str = ""
    sender: str = ""
    sender_name: str = ""
    return_path: str = ""
    # The envelope sender an MTA noted ("X-Envelope-From", "(envelope-from <…>)").
    envelope_from: str = ""
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
    # Authentication-Results header values, topmost (added last, nearest to us) first.
    auth_results: list[str] = field(default_factory=list)
    # Which rule found the sender (see `recover_sender`), set when the message is read.
    sender_rule: str = ""


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
    """Text from bytes in a declared (possibly wrong or missing) charset; never raises.

    The chain: the declared charset; ASCII and UTF-8 (a few broken bytes in otherwise
    good UTF-8 become replacement characters: the rest of the text is right); the two
    common Cyrillic charsets, when the result reads as Russian; a detected charset;
    then the Western ones, which end in Latin-1, where every byte is some letter: a
    replacement character never stands for text that could be read."""
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
        return data.decode("utf-8")  # valid UTF-8 with 8-bit bytes is almost never anything else
    except UnicodeDecodeError:
        pass
    nearly = _nearly_utf8(data)
    if nearly is not None:
        return nearly
    cyr = [data.decode(c, errors="replace") for c in _CYRILLIC_SINGLE]
    best = max(cyr, key=_cyrillic_score)
    if _looks_russian(best):
        # Bytes that read as Russian in one of the two Cyrillic charsets.
        return best
    if charset in _CYRILLIC_SINGLE or charset in _PERMISSIVE:
        decoded = _strict(data, charset)
        if decoded is not None:
            return decoded
    # Detection needs some text to go on; on a few bytes it guesses wildly.
    guess = charset_normalizer.from_bytes(data[:20000]).best() if len(data) >= 64 else None
    if guess is not None and guess.encoding and not guess.encoding.startswith("utf_"):
        decoded = _strict(data, guess.encoding)
        if decoded is not None:
            return decoded
    return _strict(data, "cp1252") or data.decode("latin-1")


def _strict(data: bytes, charset: str) -> str | None:
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return None


def _nearly_utf8(data: bytes) -> str | None:
    """UTF-8 text with a few damaged bytes (a cut multi-byte letter), else None."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    if good >= 2 and bad * 4 <= good:
        return text
    return None


# An RFC 2047 encoded word; "*lang" after the charset is RFC 2231's language tag.
_EWORD = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?\s]*)\?=")
_QHEX = re.compile(rb"=([0-9A-Fa-f]{2})")


def _word_bytes(kind: str, payload: str) -> bytes | None:
    """The bytes of one encoded word; None when they cannot be read."""
    try:
        if kind in "bB":
            cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
            if len(cleaned) % 4 == 1:
                cleaned = cleaned[:-1]  # a stray character: no length of base64 ends so
            return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
        data = payload.replace("_", " ").encode("utf-8", "surrogatepass")
        return _QHEX.sub(lambda m: bytes([int(m.group(1), 16)]), data)
    except (ValueError, UnicodeError):
        return None


def decode_words(text: str) -> str:
    """RFC 2047 encoded words to text, leniently: a word in an unknown or wrong charset
    is read through `decode_bytes`, broken padding is mended, adjacent words of one
    charset are joined before decoding (a letter split across two words), and a word
    that cannot be read at all stays as it is, beside the rest of the readable text."""
    if "=?" not in text:
        return " ".join(text.split())
    out: list[str] = []
    pending: list[tuple[str, bytes]] = []

    def flush() -> None:
        out.extend(decode_bytes(data, charset) for charset, data in pending)
        pending.clear()

    pos = 0
    for match in _EWORD.finditer(text):
        between = text[pos : match.start()]
        pos = match.end()
        if between and not (pending and between.isspace()):
            flush()
            out.append(between)
        charset = match.group(1).split("*", 1)[0]
        data = _word_bytes(match.group(2), match.group(3))
        if data is None:
            flush()
            out.append(match.group(0))
        elif pending and pending[-1][0].lower() == charset.lower():
            pending[-1] = (charset, pending[-1][1] + data)
        else:
            pending.append((charset, data))
    flush()
    out.append(text[pos:])
    return " ".join("".join(out).split())


def _raw_text(raw: str) -> str:
    """A raw header value as text: raw 8-bit bytes (kept as surrogates) decoded."""
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        return decode_bytes(raw.encode("utf-8", "surrogateescape"))
    if not raw.isascii():
        return decode_bytes(raw.encode("utf-8", "surrogatepass"))
    return raw


def _decode_header_value(raw: str) -> str:
    """RFC 2047 words and raw 8-bit bytes (kept as surrogates) to text."""
    return decode_words(_raw_text(raw))


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


# A plausible address as mail really carries it: RFC 6532 UTF-8 in both parts, and
# underscores in domain labels (which DNS allows and some mail servers use).
_PLAUSIBLE = re.compile(r"[^\s@<>()\[\],;:\\\"]{1,64}@(?:[\w-]{1,63}\.)+[\w-]{1,63}")
_ADDRESS_TOKEN = re.compile(r"<?([^\s@<>()\[\],;:\\\"]{1,64}@[^\s@<>()\[\],;:\\\"]{1,255})>?")


def plausible_address(address: str) -> bool:
    """Whether mail could come from this address (lenient, unlike a sign-up form)."""
    return len(address) <= 254 and _PLAUSIBLE.fullmatch(address) is not None


def _clean_address(address: str) -> str:
    # "dana@acme.test." is a fully qualified domain; the root dot is not part of it.
    address = address.strip().strip("<>").strip().lower().rstrip(".")
    return address if plausible_address(address) else ""


def addresses(values: list[str]) -> list[tuple[str, str]]:
    """(name, address) pairs from address headers, leniently: a display name without
    angle brackets ("Big Bug bb@bug.com"), encoded-word names, UTF-8 addresses, a
    trailing dot or an underscore in the domain. What is no address is skipped."""
    out = []
    for value in values:
        text = _raw_text(value)
        for name, addr in email.utils.getaddresses([text]):
            cleaned = _clean_address(addr)
            if cleaned:
                out.append((decode_words(name.strip()), cleaned))
                continue
            out.extend(_loose_addresses(addr or text))
    return list(dict.fromkeys(out))


def _loose_addresses(text: str) -> list[tuple[str, str]]:
    """Addresses in text the address parser could not split: "Big Bug bb@bug.com"."""
    found = []
    for match in _ADDRESS_TOKEN.finditer(text):
        cleaned = _clean_address(match.group(1))
        if cleaned:
            name = (text[: match.start()] + " " + text[match.end() :]).strip(" ,;\"'")
            found.append((decode_words(name) if name and "@" not in name else "", cleaned))
    return found


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
    if ctype in ("message/rfc822", "message/delivery-status") or (
        ctype.startswith("message/") and not part.is_multipart()
    ):
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
    elif ctype == "message/delivery-status" and isinstance(payload, list):
        # Parsed as header blocks (per-message, then per-recipient): keep them as text.
        data = b"\r\n".join(_block_bytes(block) for block in payload if isinstance(block, Message))
    else:
        data = _payload_bytes(part)
    out.attachments.append(
        ParsedAttachment(
            filename=_part_filename(part) or f"message.{_EXT.get(ctype, 'txt')}",
            content_type=ctype,
            content=data,
        )
    )


def _block_bytes(block: Message) -> bytes:
    lines = [f"{k}: {v}" for k, v in block.raw_items()]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogateescape")


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


def _name_without_address(values: list[str]) -> str:
    """The display name of a From whose address is missing or obfuscated."""
    for name, _addr in email.utils.getaddresses([_raw_text(v) for v in values]):
        if name.strip() and "@" not in name:
            return decode_words(name.strip())[:200]
    return ""


def _first(found: list[tuple[str, str]]) -> tuple[str, str]:
    return found[0] if found else ("", "")


_ENVELOPE_IN_RECEIVED = re.compile(r"envelope-from\s*<?([^\s<>;()]+@[^\s<>;()]+)>?", re.I)


def _envelope_from(msg: Message) -> str:
    """The envelope sender as a delivering MTA noted it: its own header, or the
    "(envelope-from <…>)" comment of the topmost Received line."""
    for name in ("X-Envelope-From", "Envelope-From", "X-Sender"):
        found = addresses(_raw_header(msg, name))
        if found:
            return found[0][1]
    received = _raw_header(msg, "Received")
    if received:
        match = _ENVELOPE_IN_RECEIVED.search(received[0])
        if match:
            return _clean_address(match.group(1))
    return ""


def recover_sender(mail: ParsedMail) -> tuple[str, str, str]:
    """(address, name, rule): who a message is from, by the first rule that finds one.

    1. "from": the one address in From;
    2. "sender": From lists several people (RFC 5322 then requires Sender, the one who
       actually sent it); without Sender, "reply-to" when Reply-To is one of them,
       else the first of them ("from");
    3. no usable From (missing, obfuscated, "<>"): "reply-to", then "sender", then
       "return-path" (the envelope sender the delivering MTA wrote, or our own SMTP/LMTP
       receiver, see smtpd.py), then "envelope" (an MTA's X-Envelope-From or the
       envelope-from of the topmost Received line).
    ("", "", "") when none does: the message goes to review, with its text."""
    froms = mail.from_all
    if len(froms) == 1:
        return froms[0][1], froms[0][0], "from"
    if froms:
        listed = {a: n for n, a in froms}
        if mail.sender:
            return mail.sender, mail.sender_name or listed.get(mail.sender, ""), "sender"
        if mail.reply_to in listed:
            return mail.reply_to, listed[mail.reply_to] or mail.reply_to_name, "reply-to"
        return froms[0][1], froms[0][0], "from"
    name = mail.from_name
    for rule, address, its_name in (
        ("reply-to", mail.reply_to, mail.reply_to_name),
        ("sender", mail.sender, mail.sender_name),
        ("return-path", mail.return_path, ""),
        ("envelope", mail.envelope_from, ""),
    ):
        if address:
            return address, its_name or name, rule
    return "", "", ""


def parse_message(raw: bytes, *, headers_only: bool = False) -> ParsedMail:
    """Everything Opora needs from a raw message. Raises only on unreadable input."""
    # compat32 keeps header values raw (we decode them ourselves, see `header`) and
    # skips the structured header parsing of policy.default, most of the parse time.
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    out = ParsedMail()
    if not msg.keys():
        # No header at all (a pasted text, a broken upload): the bytes are the text.
        out.defects = ["no headers"]
        out.text = "" if headers_only else decode_bytes(raw[: 1024 * 1024]).strip()
        return out
    out.message_id = (message_ids(" ".join(_raw_header(msg, "Message-ID"))) or [""])[0][:250]
    out.in_reply_to = message_ids(" ".join(_raw_header(msg, "In-Reply-To")))
    out.references = message_ids(" ".join(_raw_header(msg, "References")))
    out.subject = header(msg, "Subject")[:1000]
    out.from_all = addresses(_raw_header(msg, "From"))
    if out.from_all:
        out.from_name, out.from_address = out.from_all[0]
    else:
        out.from_name = _name_without_address(_raw_header(msg, "From"))
    out.reply_to_name, out.reply_to = _first(addresses(_raw_header(msg, "Reply-To")))
    out.sender_name, out.sender = _first(addresses(_raw_header(msg, "Sender")))
    out.return_path = _first(addresses(_raw_header(msg, "Return-Path")))[1]
    out.envelope_from = _envelope_from(msg)
    out.auth_results = [_raw_text(v) for v in _raw_header(msg, "Authentication-Results")][:20]
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
