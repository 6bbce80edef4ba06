"""Mail that must not open tickets or get answers: auto-replies, bounces, loops, floods.

The rules are RFC 3834's: a message is silent when it says it was sent automatically
(Auto-Submitted other than "no", the X-Autoreply / X-Autorespond headers of common
responders, Precedence: auto_reply or junk, an out-of-office subject), when it is a
delivery report (multipart/report; report-type=delivery-status, or a mailer daemon's
bounce) or when it is our own mail coming back. Mailing-list and bulk headers
(Precedence: list or bulk, List-Id) are not among them: a person answering through a
list is a customer. Such mail opens its ticket but gets no automatic acknowledgement
(`no_auto_answer`), as RFC 3834 asks of every automatic responder.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.cache import cache

from opora.core import ratelimit
from opora.inbox.email.parse import ParsedMail, addresses, plausible_address

# Out-of-office and delivery-failure subjects in English, Russian, German, French and
# Spanish, as the common clients and servers write them.
_OOO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response)|out of (the )?office|"
    r"automatische antwort|abwesenheit|nicht im büro|abwesend\b|"
    r"réponse automatique|absent du bureau|absence du bureau|message d'absence|"
    r"respuesta automática|fuera de la oficina|ausente de la oficina|"
    r"автоответ|автоматический ответ|вне офиса|в отпуске|отсутствую|нет на месте|"
    r"undeliver|delivery status notification|mail delivery (failed|system)|returned mail|"
    r"unzustellbar|non remis|no se puede entregar|"
    r"недоставленное сообщение|не доставлено)",
    re.IGNORECASE,
)
_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)
_SILENT_PRECEDENCE = ("junk", "auto_reply")
_LIST_PRECEDENCE = ("bulk", "list")


def classify(mail: ParsedMail) -> str:
    """ "auto_reply", "bounce" or "" (a person wrote this)."""
    h = mail.headers
    if mail.content_type == "multipart/report" and mail.report_type in (
        "delivery-status",
        "disposition-notification",
    ):
        return "bounce"
    if "x-failed-recipients" in h or _BOUNCE_SENDERS.match(mail.from_address or ""):
        return "bounce"
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return "auto_reply"
    if "x-autoreply" in h or "x-autorespond" in h or h.get("x-opora-loop"):
        return "auto_reply"
    if h.get("precedence", "").strip().lower() in _SILENT_PRECEDENCE:
        return "auto_reply"
    if _OOO_SUBJECT.match(mail.subject):
        return "auto_reply"
    return ""


def no_auto_answer(mail: ParsedMail) -> bool:
    """Mail a person sent through a list or in bulk: a ticket, but no acknowledgement
    (RFC 3834 section 2: never auto-respond to list or bulk mail)."""
    h = mail.headers
    return "list-id" in h or h.get("precedence", "").strip().lower() in _LIST_PRECEDENCE


_FIELD = re.compile(r"^([A-Za-z-]+):[ \t]*(.*)$")


def failed_recipients(mail: ParsedMail) -> list[str]:
    """The addresses a delivery report says mail could not reach for good: each
    per-recipient block of the message/delivery-status part with "Action: failed"
    (or a 5.x.x status), and the X-Failed-Recipients header of Exim-style bounces."""
    found = [a for _, a in addresses([mail.headers.get("x-failed-recipients", "")])]
    for part in mail.attachments:
        if part.content_type != "message/delivery-status":
            continue
        text = part.content[:65536].decode("utf-8", "replace")
        for block in re.split(r"\r?\n\s*\r?\n", text):
            fields: dict[str, str] = {}
            for line in block.splitlines():
                match = _FIELD.match(line.strip())
                if match:
                    fields[match.group(1).lower()] = match.group(2).strip()
            action = fields.get("action", "").lower()
            status = fields.get("status", "")
            if action != "failed" and not status.startswith("5"):
                continue
            recipient = fields.get("final-recipient") or fields.get("original-recipient", "")
            address = recipient.split(";", 1)[-1].strip().strip("<>").lower().rstrip(".")
            if plausible_address(address):
                found.append(address)
    return list(dict.fromkeys(found))


OWN_CACHE_KEY = "inbox:own-addresses"


def own_addresses() -> set[str]:
    """Opora's own addresses; cached briefly, as every message needs them."""
    from opora.inbox.email.models import Mailbox

    cached = cache.get(OWN_CACHE_KEY)
    if cached is not None:
        return set(cached)
    own = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
    own.add(settings.DEFAULT_FROM_EMAIL.lower())
    cache.set(OWN_CACHE_KEY, sorted(own), timeout=30)
    return own


def is_own(address: str, own: set[str]) -> bool:
    """Mail from one of Opora's own addresses (or their +token forms) would loop."""
    local, _, domain = address.lower().partition("@")
    return address.lower() in own or f"{local.split('+')[0]}@{domain}" in own


def within_rate_limit(address: str) -> bool:
    return ratelimit.hit(
        "email-sender",
        address.lower(),
        limit=settings.EMAIL_RATE_LIMIT_PER_HOUR,
        window_seconds=3600,
    )


def redact(address: str) -> str:
    """An address fit for logs: "d***@acme.test"."""
    local, at, domain = address.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else "***"
