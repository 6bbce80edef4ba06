"""What one line of a reply is: the start of quoted history, a header field, a footer.

Language tables for the ten languages the desk meets most (ru, en, de, fr, es, pt, it,
nl, pl, uk), as the common mail clients write them. Every pattern here is matched
against a single line cut to a bounded length, and none nests unbounded repetitions,
so the time per line is bounded whatever the line holds.
"""

from __future__ import annotations

import re

# Longer than any attribution or header line a client writes: longer lines are text.
MAX_LINE = 300
_I = re.IGNORECASE


def _alternatives(phrases: list[str]) -> str:
    """A regex alternation of literal phrases, longest first (so none hides another)."""
    return "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))


# "wrote" in each language, in the forms the clients use; the attribution ends with it
# (a colon after it), e.g. "On <date>, <name> wrote:", "<date>, <name> пишет:".
WROTE = [
    "wrote", "writes", "has written",  # en
    "пишет", "написал", "написала", "написал(а)", "написал(-а)",  # ru
    "schrieb", "hat geschrieben",  # de
    "a écrit", "écrit",  # fr
    "escribió", "ha escrito",  # es
    "escreveu",  # pt
    "ha scritto", "scrisse",  # it
    "schreef", "het volgende geschreven", "heeft geschreven",  # nl
    "napisał", "napisała", "napisał(a)", "pisze", "napisał/a",  # pl
    "пише", "написав", "написала", "написав(-ла)", "написав(ла)",  # uk
]  # fmt: skip
# The words an attribution may start with ("On", "Am", "Le", "El", "Em", "Il", "Op", ...).
OPENERS = [
    "on", "am", "le", "el", "em", "no dia", "il", "il giorno", "op", "w dniu", "dnia",
    "wiadomość napisana przez",
]  # fmt: skip
# "Original message" dividers, written between runs of dashes.
ORIGINAL = [
    "original message", "original-nachricht", "ursprüngliche nachricht",
    "ursprüngliche mail", "message d'origine", "message d’origine", "message original",
    "mail original", "mensaje original", "mensagem original", "messaggio originale",
    "oorspronkelijk bericht", "origineel bericht", "oorspronkelijke bericht",
    "wiadomość oryginalna", "oryginalna wiadomość", "исходное сообщение",
    "оригинальное сообщение", "исходное письмо", "оригінальне повідомлення",
    "вихідне повідомлення", "початкове повідомлення", "reply message", "original",
]  # fmt: skip
FORWARDED = [
    "forwarded message", "begin forwarded message", "weitergeleitete nachricht",
    "anfang der weitergeleiteten nachricht", "message transféré", "début du message réexpédié",
    "mensaje reenviado", "mensagem encaminhada", "messaggio inoltrato", "doorgestuurd bericht",
    "wiadomość przekazana", "przekazana wiadomość", "пересылаемое сообщение",
    "переадресованное сообщение", "пересланное сообщение", "переслане повідомлення",
]  # fmt: skip

# Header fields of a quoted original (Outlook, Windows Mail, Zimbra, Lotus, GMX, ...).
FIELDS = {
    "from": [
        "from", "от", "отправитель", "von", "absender", "de", "expéditeur", "remitente",
        "da", "mittente", "van", "afzender", "od", "nadawca", "від", "відправник",
    ],
    "sent": [
        "sent", "date", "отправлено", "дата", "gesendet", "datum", "envoyé", "envoyé le",
        "enviado", "enviado el", "enviada em", "enviado em", "enviados", "enviadas", "fecha",
        "data", "inviato", "verzonden", "wysłano", "wysłane", "надіслано", "відправлено",
    ],
    "to": ["to", "кому", "an", "à", "a", "para", "aan", "do", "empfänger"],
    "cc": ["cc", "копия", "копія", "kopie", "copie", "kopia", "dw"],
    "subject": [
        "subject", "тема", "betreff", "objet", "sujet", "asunto", "assunto", "oggetto",
        "onderwerp", "temat",
    ],
}  # fmt: skip
_FIELD_KIND = {label: kind for kind, labels in FIELDS.items() for label in labels}
_FIELD = re.compile(
    r"^[ \t>*]*(" + _alternatives(list(_FIELD_KIND)) + r")[ \t]*\*?[ \t]*:[ \t*]*(.*)$", _I
)

_VERB_END = re.compile(r"(?:^|[\s,)>\"'])(?:" + _alternatives(WROTE) + r")\s*:\s*$", _I)
# German and Dutch put the verb second: "Am <date> schrieb <name>:", "Op <date> schreef <name>:".
_VERB_INSIDE = re.compile(r"(?:^|[\s,])(?:" + _alternatives(WROTE) + r")\s", _I)
_OPENER = re.compile(r"^\s*(?:" + _alternatives(OPENERS) + r")\s", _I)
_TIME = re.compile(r"\d{1,2}:\d{2}")
_DATE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{1,2}\.? [^\W\d]{3,}\.? \d{4}\b")
# The local part is bounded and no part holds "@": linear even on a line of symbols.
_ADDRESS = re.compile(r"[^\s<>()\"@]{1,64}@[^\s<>()\"@]{1,255}\.[^\s<>()\"@]{1,63}")
_DIVIDER = re.compile(r"^\s*[-_=*]{2,}\s*(?:" + _alternatives(ORIGINAL) + r")\s*[-_=*]{2,}\s*$", _I)
# Zoho and some webmails: "---- On <date> <name> wrote ----".
_DASHED_ATTRIBUTION = re.compile(
    r"^\s*-{2,}\s.{0,300}(?:" + _alternatives(WROTE) + r")\s*-{2,}\s*$", _I
)
_RULE = re.compile(r"^\s*(?:-{5,}|_{5,}|={5,}|\*{5,})\s*$")
_FORWARD = re.compile(r"^\s*(?:-{2,}\s*)?(?:" + _alternatives(FORWARDED) + r")\b", _I)

# Mobile and app footers: "Sent from my iPhone", "Von meinem iPhone gesendet", ...
FOOTER_STARTS = [
    "sent from", "sent with", "sent via", "get outlook for", "von meinem", "gesendet von",
    "gesendet mit", "gesendet vom", "envoyé de", "envoyé depuis", "envoyé à partir de",
    "envoyé avec", "enviado desde", "enviado do", "enviado de", "enviado con", "inviato da",
    "inviato dal", "inviato con", "verstuurd vanaf", "verzonden vanaf", "verzonden vanuit",
    "verzonden met", "verstuurd met", "wysłane z", "wysłano z", "wysłane przy użyciu",
    "отправлено с", "отправлено из", "отправлено со", "надіслано з", "надіслано із",
    "скачайте outlook",
]  # fmt: skip
# A footer names the device or the app; a sentence that merely starts like one does not.
DEVICE_WORDS = [
    "iphone", "ipad", "android", "galaxy", "samsung", "smartphone", "mobile", "mobil",
    "huawei", "xiaomi", "pixel", "blackberry", "outlook", "mail", "gmail", "yahoo",
    "yandex", "яндекс", "почты", "почта", "пошти", "пошта", "windows", "телефон",
    "телефона", "smartfona", "smartfon", "handy", "móvil", "celular", "telemóvel",
    "cellulare", "telefoon", "dispositivo", "device", "appareil", "gerät", "urządzenia",
    "устройства", "пристрою", "tablet", "tablette", "courrier", "correo", "email", "posta",
    "poczta", "мобильной", "мобільної", "ios", "aquamail", "k-9", "fairemail", "spark",
]  # fmt: skip
_FOOTER = re.compile(r"^\s*(?:" + _alternatives(FOOTER_STARTS) + r")\b", _I)
_DEVICE = re.compile(r"(?:" + _alternatives(DEVICE_WORDS) + r")", _I)


def _head(line: str) -> str:
    return line[:MAX_LINE] if len(line) > MAX_LINE else line


def is_quoted(line: str) -> bool:
    """A "> " quoted line (leading spaces allowed)."""
    first = line[:1]
    if first == ">":
        return True
    return first in (" ", "\t") and line.lstrip(" \t")[:1] == ">"


def is_blank(line: str) -> bool:
    return not line.strip()


def looks_like_start(line: str) -> bool:
    """The first line of an attribution wrapped over several lines: it opens like one
    ("On", "Am", "Le", ...) or carries its date or time."""
    text = _head(line)
    if len(line) > MAX_LINE or text.rstrip().endswith((".", "!", "?", ";")):
        return False
    return bool(_OPENER.match(text) or _TIME.search(text) or _DATE.search(text))


def is_attribution(line: str) -> bool:
    """One line (or lines joined) that introduces the quoted original."""
    if len(line) > MAX_LINE:
        return False
    text = line.strip()
    if not text.endswith(":"):
        return bool(_DASHED_ATTRIBUTION.match(text))
    if _VERB_END.search(text):
        before = _VERB_END.split(text)[0].strip()
        # "<name> wrote:" alone is an attribution; a bare "wrote:" is the end of one.
        return bool(before)
    if _VERB_INSIDE.search(text) and (_OPENER.match(text) or _TIME.search(text)):
        return True
    # Date-first forms with the address: "12.03.2026, 10:04, "Name" <a@b.c>:",
    # "2016-10-24 15:36 GMT+02:00 Name <a@b.c>:", "чт, 12 мар. 2026 г. в 10:04, X <a@b.c>:".
    return bool(_has_address(text) and (_TIME.search(text) or _DATE.search(text)))


def is_divider(line: str) -> bool:
    """ "-----Original Message-----" and its translations."""
    return len(line) <= MAX_LINE and bool(_DIVIDER.match(line))


def is_rule(line: str) -> bool:
    """A line of dashes or underscores, as Outlook puts above the header block."""
    return len(line) <= MAX_LINE and bool(_RULE.match(line))


def is_forward(line: str) -> bool:
    return len(line) <= MAX_LINE and bool(_FORWARD.match(line))


def field(line: str) -> tuple[str, str] | None:
    """(kind, value) of a header-field line: "From: …", "*Gesendet:* …", "Тема: …"."""
    if len(line) > MAX_LINE:
        return None
    match = _FIELD.match(line)
    if not match:
        return None
    return _FIELD_KIND[match.group(1).lower()], match.group(2).strip()


def _has_address(text: str) -> bool:
    return "@" in text and bool(_ADDRESS.search(text))


def has_address_or_time(line: str) -> bool:
    text = _head(line)
    return bool(_has_address(text) or _TIME.search(text) or _DATE.search(text))


def is_footer(line: str) -> bool:
    """A mobile or app footer line: "Sent from my iPhone", "Von meinem iPhone gesendet"."""
    text = line.strip()
    if not text or len(text) > 80 or len(text.split()) > 7:
        return False
    if any(ch in text for ch in ",;!?"):
        return False
    return bool(_FOOTER.match(text) and _DEVICE.search(text))


def is_signature_delimiter(line: str) -> bool:
    """RFC 3676's "-- " (and the "--" that many clients leave of it)."""
    return line.strip() == "--"
