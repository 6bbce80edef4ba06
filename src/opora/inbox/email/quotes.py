"""Cutting quoted history and signatures off a reply, so agents see only what is new.

The full original stays in the raw message; only the visible reply is shortened.
Covers the reply headers of Gmail, Outlook, Thunderbird, Apple Mail, Yandex Mail and
Mail.ru in Russian and English, ">" quotes and the usual signatures.
"""

from __future__ import annotations

import re

_F = re.IGNORECASE | re.MULTILINE

# A line that starts the quoted original. Each is matched against one line, or a line
# joined with the next (Gmail and Apple wrap long attributions over two lines).
_ATTRIBUTION = [
    # Outlook / Exchange, Yandex, Thunderbird forwards-as-reply
    re.compile(r"^\s*-{2,}\s*(original message|исходное сообщение)\s*-{2,}\s*$", _F),
    re.compile(r"^\s*_{10,}\s*$", _F),  # Outlook web divider before "From:"
    # Gmail, Thunderbird, Apple Mail (en): "On <date>, <name> wrote:"
    re.compile(r"^\s*on\b.{0,300}\bwrote:\s*$", _F),
    re.compile(r"^\s*le\b.{0,300}\ba écrit\s*:\s*$", _F),
    # Russian clients: "… пишет:", "… написал(а):"
    re.compile(r"^.{0,300}\b(пишет|написал|написала|написал\(а\))\s*:\s*$", _F),
    # Mail.ru: "Понедельник, 12 марта 2024, 10:00 +03:00 от Иван <ivan@mail.ru>:"
    re.compile(r"^.{0,200}\d{1,2}:\d{2}.{0,40}\bот\s.{0,200}:\s*$", _F),
    # Gmail (ru) and others: "чт, 12 мар. 2026 г. в 10:00, Support <s@desk.test>:"
    re.compile(r"^.{0,200}\d{1,2}:\d{2}.{0,200}<[^>\s]+@[^>\s]+>\s*:\s*$", _F),
    # Yandex: "12.03.2024, 10:00, "Ivan" <ivan@yandex.ru>:"
    re.compile(r"^\s*\d{1,2}\.\d{1,2}\.\d{2,4},?\s+\d{1,2}:\d{2}.{0,200}<[^>]+@[^>]+>\s*:\s*$", _F),
]
# Outlook's header block: "From: …" followed within two lines by "Sent:"/"Date:".
_OUTLOOK_FROM = re.compile(r"^\s*\*?(from|от|отправитель)\s*:\*?\s*\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(sent|date|to|отправлено|дата|кому|subject|тема)\s*:", re.IGNORECASE
)
_SIGNATURE = [
    re.compile(r"^-- ?$"),  # RFC 3676 signature separator
    re.compile(r"^\s*(sent from my|sent from mail for|get outlook for)\b", re.IGNORECASE),
    re.compile(
        r"^\s*(отправлено (с|из) |с уважением,?\s*$|best regards,?\s*$|kind regards,?\s*$)",
        re.IGNORECASE,
    ),
]
_FORWARD = re.compile(
    r"^\s*-{2,}\s*(forwarded message|пересылаемое сообщение|переадресованное сообщение)",
    re.IGNORECASE,
)


def _is_attribution(line: str, following: str) -> bool:
    if any(p.match(line) for p in _ATTRIBUTION):
        return True
    joined = f"{line} {following}".strip()
    return bool(following) and len(line) < 200 and any(p.match(joined) for p in _ATTRIBUTION[2:5])


def strip_quotes(text: str) -> str:
    """The new part of a reply: quoted history and signature removed.

    Returns the text unchanged when cutting would leave nothing (a message that is
    only a quote, or a forward), so nothing the customer wrote can disappear.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        if _FORWARD.match(line):
            break  # a forward is content, not history
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if _is_attribution(line, following):
            cut = i
            break
        if _OUTLOOK_FROM.match(line):
            window = lines[i + 1 : i + 4]
            if any(_OUTLOOK_NEXT.match(n) for n in window):
                cut = i
                break
        if line.startswith(">") and all(
            not n.strip() or n.startswith(">") for n in lines[i : i + 30]
        ):
            cut = i
            break
    kept = lines[:cut]
    for i, line in enumerate(kept):
        if any(p.match(line) for p in _SIGNATURE) and i > 0:
            kept = kept[:i]
            break
    visible = "\n".join(kept).strip()
    return visible or text.strip()


# Where quoted history starts in the HTML of the common clients.
_HTML_QUOTE = re.compile(
    r"<div[^>]*class=\"?[^\">]*gmail_quote"
    r"|<blockquote[^>]*type=\"?cite"
    r"|<div[^>]*class=\"?[^\">]*moz-cite-prefix"
    r"|<div[^>]*id=\"?(appendonsend|divRplyFwdMsg|mail-editor-reference-message-container)"
    r"|<hr[^>]*id=\"?stopSpelling"
    r"|<div[^>]*class=\"?[^\">]*(yandex_quote|js-helper|mailru_quote)"
    r"|<blockquote",
    re.IGNORECASE,
)


def strip_html_quotes(markup: str) -> str:
    """HTML cut where the quoted history starts; unchanged when nothing would remain."""
    match = _HTML_QUOTE.search(markup)
    if not match:
        return markup
    head = markup[: match.start()]
    if not re.sub(r"<[^>]*>|&nbsp;|\s", "", head):
        return markup
    return head
